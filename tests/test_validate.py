"""Config fuzzing: wrong keys, types and values fail with one line naming the key.

In-process cases go through `validate.validate` (and a few through `train.Run` and
`train.train`, which must refuse before reading any data); launch cases run
`launch.py` as a user does and check for one line on stderr, no traceback, exit != 0.
"""
from __future__ import annotations

import gzip
import os
import subprocess
import sys

import numpy as np
import pytest

from gan_jax import data, methods, train, validate
from tests.conftest import ROOT, experiment_config

PENALTY = {"gradient_penalty": {"weight": 10.0, "every": 1}}

# (experiment, {dotted key: bad value}, regularizers block or None, text the message has)
BAD_VALUES = [
    ("gan.py:smoke", {"data.batch_size": -8}, None, "data.batch_size=-8"),
    ("gan.py:smoke", {"data.batch_size": 0}, None, "data.batch_size=0"),
    ("gan.py:smoke", {"train.n_critic": 0}, None, "train.n_critic=0"),
    ("gan.py:smoke", {"train.n_gen": -1}, None, "train.n_gen=-1"),
    ("gan.py:smoke", {"train.steps": -10}, None, "train.steps=-10"),
    ("gan.py:smoke", {"train.steps": 0}, None, "train.steps=0 must be an integer >= 1"),
    ("gan.py:smoke", {"optim.d.lr": 0.0}, None, "optim.d.lr=0.0"),
    ("gan.py:smoke", {"optim.g.lr": -1e-4}, None, "optim.g.lr=-0.0001"),
    ("gan.py:smoke", {"optim.d.lr": float("nan")}, None, "optim.d.lr=nan"),
    ("gan.py:smoke", {"optim.d.b1": 1.0}, None, "optim.d.b1=1.0"),
    ("gan.py:smoke", {"optim.g.b2": -0.5}, None, "optim.g.b2=-0.5"),
    ("gan.py:smoke", {"ema.decay": 1.0}, None, "ema.decay=1.0"),
    ("gan.py:smoke", {"ema.decay": -0.1}, None, "ema.decay=-0.1"),
    ("gan.py:smoke", {"log.every": -1}, None, "log.every=-1"),
    ("gan.py:smoke", {"ckpt.every": -5}, None, "ckpt.every=-5"),
    ("gan.py:smoke", {"sample.every": -1}, None, "sample.every=-1"),
    ("gan.py:smoke", {"eval.every": -100}, None, "eval.every=-100"),
    ("gan.py:smoke", {"eval.num_samples": 0}, None, "eval.num_samples=0"),
    ("gan.py:smoke", {"ckpt.keep": 0}, None, "ckpt.keep=0"),
    ("gan.py:smoke", {"sample.num": 0}, None, "sample.num=0"),
    ("gan.py:smoke", {"seed": -1}, None, "seed=-1"),
    ("gan.py:smoke", {"seed": 2**40}, None, "seed=1099511627776"),
    ("gan.py:smoke", {"parallel.num_devices": -2}, None, "parallel.num_devices=-2"),
    ("gan.py:smoke", {"model.z_dim": 0}, None, "model.z_dim=0"),
    ("gan.py:smoke", {"model.width": -64}, None, "model.width=-64"),
    ("gan.py:smoke", {"model.depth": 0}, None, "model.depth=0"),
    ("dcgan.py:smoke", {"data.channels": 2}, None, "data.channels=2"),
    ("dcgan.py:smoke", {"data.image_size": -32}, None, "data.image_size=-32"),
    ("gan.py:smoke", {"eval.metrics": ("fid",)}, None, "eval.metrics"),
    # Unknown names: each family's own error, naming the key.
    ("gan.py:smoke", {"loss.name": "wgan-gp"}, None, "(loss.name)"),
    ("gan.py:smoke", {"model.name": "dcgam"}, None, "(model.name)"),
    ("gan.py:smoke", {"method": "wgan"}, None, "(config.method)"),
    ("gan.py:smoke", {"optim.d.name": "adamw"}, None, "optim.d.name='adamw'"),
    ("gan.py:smoke", {"optim.g.schedule": "cosine"}, None, "optim.g.schedule='cosine'"),
    ("gan.py:smoke", {"model.z_dist": "gaussian"}, None, "model.z_dist='gaussian'"),
    ("dcgan.py:smoke", {"model.d_norm": "weight"}, None, "model.d_norm"),
    ("dcgan.py:smoke", {"model.g_norm": "group"}, None, "model.g_norm"),
    ("gan.py:smoke", {"data.name": "ring9"}, None, "(data.name)"),
    # Regularizers: unknown names, weights, clip c, intervals, types.
    ("gan.py:smoke", {}, {"gp": {"weight": 10.0}}, "(regularizers.gp)"),
    ("gan.py:smoke", {}, {"gradient_penalty": {"weight": -1.0, "every": 1}},
     "regularizers.gradient_penalty.weight=-1.0"),
    ("gan.py:smoke", {}, {"r1": {"weight": float("inf"), "every": 1}},
     "regularizers.r1.weight=inf"),
    ("gan.py:smoke", {}, {"dragan": {"weight": "10", "every": 1}},
     "regularizers.dragan.weight='10'"),
    ("gan.py:smoke", {}, {"weight_clip": {"c": 0.0, "every": 1}}, "regularizers.weight_clip.c=0.0"),
    ("gan.py:smoke", {}, {"weight_clip": {"c": -0.01, "every": 1}},
     "regularizers.weight_clip.c=-0.01"),
    ("gan.py:smoke", {}, {"r1": {"weight": 1.0, "every": 0}}, "regularizers.r1.every=0"),
    ("gan.py:smoke", {}, {"weight_clip": {"c": 0.01}, **PENALTY}, "with_penalty=True"),
    # A gradient penalty, R1 or DRAGAN on a BatchNorm critic: refused, with the fix.
    ("dcgan.py:smoke", {"model.d_norm": "batch"}, PENALTY, "--config.model.d_norm=layer"),
    ("dcgan.py:smoke", {}, {"r1": {"weight": 1.0, "every": 1}}, "model.d_norm='batch'"),
    ("celeba64.py:smoke", {}, {"dragan": {"weight": 1.0, "every": 1}},
     "model.d_norm='batch'"),
    ("wgan.py:smoke", {"model.d_norm": "batch"}, None, "--config.model.d_norm=layer"),
    # The mode-collapse remedies.
    ("gan.py:smoke", {"model.pack": 0}, None, "model.pack=0 must be an integer >= 1"),
    ("gan.py:smoke", {"model.pack": 3}, None, "multiple of model.pack=3"),
    ("cgan.py:smoke", {"model.pack": 2}, None, "not method 'cgan'"),
    ("gan.py:smoke", {"train.unroll": -1}, None, "train.unroll=-1 must be an integer >= 0"),
    ("gan.py:smoke", {"train.unroll": 1.5}, None, "train.unroll=1.5"),
    ("gan.py:smoke", {"model.minibatch": "foo"}, None, "--config.model.minibatch=stddev"),
    ("sngan.py:smoke", {"model.minibatch": "disc"}, None, "not of model.name='resnet'"),
]


def bad_config(spec, overrides, regs):
  config = experiment_config(spec)
  config.unlock()
  for key, value in overrides.items():
    *path, leaf = key.split(".")
    node = config
    for p in path:
      node = node[p]
    with node.ignore_type():  # the fuzz sets values of any type
      node[leaf] = value
  if regs is not None:
    config.regularizers = regs
  return config


def _one_line(message: str):
  assert "\n" not in message and len(message) < 600, message


@pytest.mark.parametrize("spec,overrides,regs,expected", BAD_VALUES,
                         ids=[f"{i}-{next(iter(o), 'regularizers')}" for i, (_, o, _, _) in
                              enumerate(BAD_VALUES)])
def test_bad_value_names_the_key(spec, overrides, regs, expected):
  with pytest.raises(ValueError) as error:
    validate.validate(bad_config(spec, overrides, regs))
  message = str(error.value)
  _one_line(message)
  assert expected in message, message
  for key in overrides:  # the key itself, not just its last part
    assert key in message or key.split(".")[-1] in message, message


@pytest.mark.parametrize("arg,expected", [
    ("pack=0", "model.pack=0"), ("unroll=-1", "train.unroll=-1"),
    ("minibatch=foo", "model.minibatch='foo'")])
def test_bad_mode_args_name_the_key(arg, expected):
  with pytest.raises(ValueError, match=r"--config\.") as error:
    validate.validate(experiment_config(f"gan.py:smoke,{arg}"))
  assert expected in str(error.value)


@pytest.mark.parametrize("overrides,key", [
    ({"data.batch_size": "64"}, "'data.batch_size' is a int"),
    ({"train.steps": 2.5}, "'train.steps' is a int"),
    ({"optim.d.lr": "fast"}, "'optim.d.lr' is a float"),
    ({"model.spectral_norm": "yes"}, "'model.spectral_norm' is a bool"),
])
def test_wrong_types_name_the_key(overrides, key):
  with pytest.raises(TypeError, match=key):
    experiment_config("gan.py:smoke", **overrides)


@pytest.mark.parametrize("key,closest", [("data.nme", "data.name"), ("optim.d.lrate", "optim.d.lr"),
                                         ("train.ncritic", "train.n_critic")])
def test_unknown_keys_name_the_closest(key, closest):
  with pytest.raises(ValueError, match=rf"'{key}' \(did you mean '{closest}'\?\)"):
    experiment_config("gan.py:smoke", **{key: 1})


@pytest.mark.parametrize("spec", ["gan.py:smoke", "gan.py", "dcgan.py:smoke", "wgan.py:smoke",
                                  "wgan.py:data=grid25", "wgan.py:penalty=clip", "sngan.py",
                                  "sngan.py:net=dcgan", "lsgan.py:smoke", "celeba64.py",
                                  "cyclegan.py", "cyclegan.py:variant=discogan",
                                  "cyclegan.py:variant=dualgan", "cogan.py", "unit.py",
                                  "gan.py:pack=4,unroll=5,minibatch=disc",
                                  "wgan.py:data=grid25,pack=2,minibatch=stddev"])
def test_every_experiment_config_is_valid(spec):
  validate.validate(experiment_config(spec))  # raises on any wrong value


def test_penalty_on_a_critic_without_batch_statistics_is_allowed():
  for spec, overrides in (("dcgan.py:smoke", {"model.d_norm": "layer"}),
                          ("dcgan.py:smoke", {"model.d_norm": "none"}),
                          ("sngan.py:smoke", {}),      # the ResNet D has no normalisation
                          ("gan.py:smoke", {})):       # nor has the MLP (d_norm unread)
    validate.validate(bad_config(spec, overrides, PENALTY))


def test_run_refuses_before_reading_data(monkeypatch, tmp_path):
  def no_data(*args, **kwargs):
    raise AssertionError("data was read for a config that validation must refuse")
  monkeypatch.setattr(data, "get_source", no_data)
  config = bad_config("dcgan.py:smoke", {}, PENALTY)
  with pytest.raises(ValueError, match="model.d_norm"):
    train.Run(config)
  with pytest.raises(ValueError, match="train.n_critic=0"):
    train.train(bad_config("gan.py:smoke", {"train.n_critic": 0}, None), str(tmp_path / "run"))
  assert not os.path.exists(tmp_path / "run")  # nothing written either


def test_a_method_adds_its_own_checks(monkeypatch):
  """validate runs the method module's `check(config)` after the shared checks."""
  gan = methods.get("gan")
  seen = []
  monkeypatch.setattr(gan, "check", lambda config: seen.append(config.method), raising=True)
  validate.validate(experiment_config("gan.py:smoke"))
  assert seen == ["gan"]

  def needs_labels(config):
    raise ValueError(f"data.name={config.data.name!r} has no labels; method 'gan' needs them.")
  monkeypatch.setattr(gan, "check", needs_labels)
  with pytest.raises(ValueError, match="data.name='grid25' has no labels"):
    validate.validate(experiment_config("gan.py:smoke"))


# ------------------------------------------------------------------ through launch.py

def _write_bad_inputs(tmp_path):
  folder = tmp_path / "corrupt"
  folder.mkdir()
  (folder / "a.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 20)
  (folder / "b.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
  (folder / "c.png").write_bytes(b"")
  idx_dir = tmp_path / "idx"
  idx_dir.mkdir()
  images = np.zeros((10, 28, 28), np.uint8)
  header = bytes([0, 0, 8, 3]) + b"".join(int(d).to_bytes(4, "big") for d in images.shape)
  with gzip.open(idx_dir / "train-images-idx3-ubyte.gz", "wb") as f:
    f.write(header + images.tobytes()[:-100])  # 100 bytes short
  with gzip.open(idx_dir / "train-labels-idx1-ubyte.gz", "wb") as f:
    f.write(bytes([0, 0, 8, 1]) + (10).to_bytes(4, "big") + bytes(10))
  return str(folder), str(idx_dir)


def test_launch_reports_bad_input_in_one_line(tmp_path):
  folder, idx_dir = _write_bad_inputs(tmp_path)
  four = dict(os.environ, XLA_FLAGS=os.environ.get("XLA_FLAGS", "")
              + " --xla_force_host_platform_device_count=4",
              JAX_PLATFORMS="cpu")
  cases = [  # (args, environment, text of the one line)
      (["experiments/gan.py:smoke", "--config.data.batch_size=-8"], None,
       "data.batch_size=-8 must be an integer >= 1"),
      (["experiments/wgan.py:smoke", "--config.model.d_norm=batch"], None,
       "set --config.model.d_norm=layer (or none)"),
      (["experiments/gan.py:smoke", "--config.data.batch_size=30"], four,
       "data.batch_size=30 does not divide over 4 devices"),
      ([f"experiments/dcgan.py:smoke,data=folder,path={folder}"], None,
       "none of its 3 image files could be read"),
      (["experiments/dcgan.py:smoke"], dict(os.environ, GAN_JAX_FASHION_MNIST_DIR=idx_dir),
       "train-images-idx3-ubyte.gz is truncated"),
  ]
  runs = [subprocess.Popen(
      [sys.executable, os.path.join(ROOT, "launch.py"), "--config", args[0], *args[1:],
       "--workdir", str(tmp_path / f"run{i}"), "--noprogress"],
      cwd=ROOT, env=env or dict(os.environ, JAX_PLATFORMS="cpu"), stdout=subprocess.PIPE,
      stderr=subprocess.PIPE, text=True) for i, (args, env, _) in enumerate(cases)]
  for run, (args, _, expected) in zip(runs, cases):
    _, stderr = run.communicate(timeout=300)
    # Everything on stderr but the folder reader's progress bar ("reading DIR: 0%|...").
    lines = [line for line in stderr.splitlines()
             if line.strip() and not line.startswith("reading ")]
    assert run.returncode != 0, (args, stderr)
    assert "Traceback" not in stderr, (args, stderr[-2000:])
    assert len(lines) == 1 and lines[0].startswith("launch.py: "), (args, stderr[-2000:])
    assert expected in lines[0], (args, lines[0])


@pytest.mark.parametrize("spec", ["dcgan.py:smoke", "stackgan.py:smoke"])
def test_g_upsample_is_refused_where_no_g_reads_it(spec):
  """model.g_upsample is a base key, read only by the text_conditional G: a network that
  ignores it must refuse a non-default value rather than train transposed convolutions."""
  validate.validate(experiment_config(spec))
  with pytest.raises(ValueError, match="model.g_upsample='nearest'") as error:
    validate.validate(experiment_config(spec, **{"model.g_upsample": "nearest"}))
  _one_line(str(error.value))
  with pytest.raises(ValueError, match="model.g_upsample='bilinear'"):
    validate.validate(experiment_config(spec, **{"model.g_upsample": "bilinear"}))
  validate.validate(experiment_config("gan_cls.py:smoke", **{"model.g_upsample": "nearest"}))
