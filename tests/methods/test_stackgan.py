"""StackGAN (methods/stackgan.py, networks/stackgan.py): the conditioning augmentation's
KL and reparameterisation, G's loss with the KL term, stage II on a frozen stage I
(bitwise unchanged after training, 64-px output), exact resume of a stage II run, and
the stage II smoke path through launch.py (train, then --mode sample --captions)."""
import os
import subprocess
import sys

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gan_jax import data, methods, parallel, train
from gan_jax.networks import stackgan as nets
from tests.conftest import ROOT, experiment_config
from tests.test_faults import assert_same_run

TINY = {"data.limit": 64, "data.batch_size": 8, "model.width": 8, "eval.metrics": (),
        "train.steps": 2, "log.every": 1, "ckpt.every": 2, "sample.every": 0, "sample.num": 4}


def tiny(stage: int, stage1: str = "", **overrides):
  spec = f"stackgan.py:smoke,stage={stage}" + (f",stage1={stage1}" if stage1 else "")
  return experiment_config(spec, **{**TINY, **overrides})


@pytest.fixture(scope="module")
def stage1_run(tmp_path_factory):
  workdir = str(tmp_path_factory.mktemp("stage1"))
  state = train.train(tiny(1), workdir, progress=False)
  return workdir, state


def test_kl_is_the_closed_form_and_c_is_mu_plus_sigma_eps():
  mu = jnp.array([[0.0, 1.0, -2.0]])
  log_sigma = jnp.array([[0.0, np.log(2.0), np.log(0.5)]])
  # (mu^2 + sigma^2 - 1) / 2 - log sigma: 0; (1 + 4 - 1) / 2 - log 2; (4 + 1/4 - 1) / 2 + log 2
  expected = [0.0, 2.0 - np.log(2.0), 1.625 + np.log(2.0)]
  np.testing.assert_allclose(nets.kl_divergence(mu, log_sigma)[0], expected, rtol=1e-6)
  # Monte Carlo: E_q[log q(c) - log p(c)] for c = mu + sigma eps
  eps = jax.random.normal(jax.random.PRNGKey(0), (200_000, 3))
  sigma = jnp.exp(log_sigma)
  c = mu + sigma * eps
  log_ratio = -0.5 * eps ** 2 - log_sigma + 0.5 * c ** 2
  np.testing.assert_allclose(log_ratio.mean(0), expected, atol=0.03)

  ca = nets.ConditioningAugmentation(dim=3)
  phi, eps = jnp.ones((2, 5)), jnp.array([[0.5, -1.0, 2.0], [0.0, 0.0, 0.0]])
  variables = ca.init(jax.random.PRNGKey(1), phi, eps)
  c, mu, log_sigma = ca.apply(variables, phi, eps)
  dense = variables["params"]["Dense_0"]
  h = phi @ dense["kernel"] + dense["bias"]
  np.testing.assert_allclose(mu, h[:, :3], rtol=1e-6)
  np.testing.assert_allclose(c, h[:, :3] + jnp.exp(h[:, 3:]) * eps, rtol=1e-6)
  np.testing.assert_array_equal(c[1], mu[1])  # eps = 0: the mean


def test_g_loss_adds_the_weighted_mean_kl(stage1_run):
  config = tiny(1)
  source = data.get_source(config)
  method = methods.get("stackgan").build(config, source.shape)
  g_vars, d_vars = method.init(jax.random.PRNGKey(0), source.batch(0))
  batch = {k: jnp.asarray(v) for k, v in source.batch(0).items()}
  collections = {k: v for k, v in g_vars.items() if k != "params"}
  run = lambda w: method.g_loss(g_vars["params"], collections, d_vars, batch,
                                jax.random.PRNGKey(3), {"stackgan.kl_weight": jnp.float32(w)},
                                parallel.Context())
  (loss0, (_, m0)), (loss2, (_, m2)) = run(0.0), run(2.0)
  assert float(m0["kl"]) > 0 and m0["kl"] == m2["kl"]
  np.testing.assert_allclose(loss0, m0["g_loss"], rtol=1e-6)
  np.testing.assert_allclose(loss2, m2["g_loss"] + 2.0 * m2["kl"], rtol=1e-6)
  # the KL is the mean of the elementwise KL of G's own (mu, log sigma)
  latent = method.latent(jax.random.PRNGKey(3), batch["x"].shape[0])
  _, kl = method.G.apply(g_vars, latent, train=True, tokens=batch["tokens"], with_kl=True,
                         mutable=["batch_stats"])[0]
  assert kl.shape == (8, 64)
  np.testing.assert_allclose(m0["kl"], kl.mean(), rtol=1e-6)


def test_stage2_trains_on_a_frozen_stage1_at_64_px_and_resumes_exactly(stage1_run, tmp_path):
  stage1_dir, stage1_state = stage1_run
  config = tiny(2, stage1_dir, **{"train.steps": 4, "ckpt.every": 2})
  straight, stopped = str(tmp_path / "straight"), str(tmp_path / "stopped")
  state = train.train(config, straight, progress=False)
  train.train(config, stopped, progress=False, stop_after=2)
  train.train(config, stopped, progress=False)
  assert_same_run(config, straight, stopped)

  frozen = jax.tree.leaves(stage1_state.g)
  assert len(frozen) == len(jax.tree.leaves(state.g["stage1"])) > 10
  for a, b in zip(frozen, jax.tree.leaves(state.g["stage1"])):
    np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
  run = train.Run(config)
  fresh = run.init_state()
  moved = [float(np.abs(np.asarray(a) - np.asarray(b)).max())
           for a, b in zip(jax.tree.leaves(fresh.g["params"]), jax.tree.leaves(state.g["params"]))]
  assert min(moved) > 0  # stage II's own weights did train
  method = run.method
  conditions = run.conditions(6, 0)
  out = method.sample(state.g, {k: v for k, v in conditions.items() if k in ("z", "tokens")})
  assert out["x"].shape == (6, 64, 64, 1) and out["x_stage1"].shape == (6, 32, 32, 1)
  assert method.z_dim == 100 + 64 + 64
  # x_stage1 is stage I's own sample of the same latent head and caption
  stage1_method = train.Run(tiny(1)).method
  own = stage1_method.sample(stage1_state.g, {"z": conditions["z"][:, :164],
                                              "tokens": conditions["tokens"]})
  np.testing.assert_allclose(out["x_stage1"], own["x"], atol=1e-6)


def test_stage2_needs_a_stage1_run(tmp_path):
  with pytest.raises(ValueError, match="stage1_workdir"):
    train.Run(tiny(2))
  with pytest.raises(FileNotFoundError, match="train stage I there first"):
    train.Run(tiny(2, str(tmp_path)))


def test_launch_stage2_then_sample_captions_and_eval(stage1_run, tmp_path, smoke_classifier):
  """The stage II smoke path as a user runs it (also the experiment's smoke test,
  tests/test_experiments.py ELSEWHERE; stage I's is the fixture's in-process run):
  launch.py trains stage II on the stage I run; samples.npz from a captions file holds
  64-px x, 32-px x_stage1 and the captions; --mode eval scores text2image at 64 px."""
  spec = f"experiments/stackgan.py:smoke,stage=2,stage1={stage1_run[0]}"
  overrides = [f"--config.{k}={v}" for k, v in TINY.items() if k != "eval.metrics"]
  workdir = str(tmp_path / "run")
  out = subprocess.run([sys.executable, "launch.py", "--config", spec, *overrides,
                        "--config.eval.metrics=()", "--workdir", workdir, "--noprogress"],
                       cwd=ROOT, capture_output=True, text=True, timeout=300)
  assert out.returncode == 0, out.stderr[-3000:]
  config = tiny(2, stage1_run[0])
  captions = ["a pair of sneakers", "a photo of a dress"]
  with np.load(train.sample(config, workdir, 4, progress=False, captions=captions)) as s:
    assert s["x"].shape == (4, 64, 64, 1) and s["x_stage1"].shape == (4, 32, 32, 1)
    assert list(s["caption"]) == captions * 2 and list(s["y"]) == [7, 3, 7, 3]
    assert np.all(np.abs(s["x"]) <= 1)
  scored = tiny(2, stage1_run[0], **{"eval.metrics": ("text2image",), "eval.num_samples": 16})
  result = train.evaluate(scored, workdir, progress=False)
  scores = result["scores"]
  assert result["protocol"]["step"] == 2 and 0 <= scores["test_class_acc"] <= 1
  assert np.isfinite(scores["test_fid"]) and scores["test_fid"] > 0
  # the must-show's paired comparison (experiments/figures/stackgan_table.py) on this run
  from experiments.figures import stackgan_table
  rows, protocol, step = stackgan_table.paired_scores(workdir, 8)
  stage2, stage1 = (rows[s] for s in stackgan_table.SYSTEMS)
  assert step == 2 and protocol["stage1_step"] == 2 and set(stage1) == set(stage2)
  assert all(0 <= r[f"{split}_class_acc"] <= 1 for r in rows.values()
             for split in ("test", "test_seen"))
  assert stage1["test_fid"] != stage2["test_fid"] and min(stage1["test_fid"], stage2["test_fid"]) > 0
  ramp = np.broadcast_to(np.linspace(-1, 1, 32, dtype=np.float32)[None, None, :, None],
                         (1, 32, 32, 1))
  up = stackgan_table.upsample(ramp, 64)
  assert up.shape == (1, 64, 64, 1) and np.all(np.diff(up[0, 0, :, 0]) >= 0)


@pytest.mark.parametrize("key,value,expected", [
    ("stackgan.residual_blocks", -1, "stackgan.residual_blocks=-1"),
    ("stackgan.stage", 3, "stackgan.stage=3"),
    ("data.name", "fashion_mnist", "captioned data .* got 'fashion_mnist'")])
def test_bad_stackgan_keys_name_the_key(key, value, expected):
  """A negative block count used to build stage II with none, silently; uncaptioned data
  passed validation and failed later with KeyError 'tokens'."""
  from gan_jax import validate
  with pytest.raises(ValueError, match=expected):
    validate.validate(tiny(1, **{key: value}))


def test_stage2_refuses_a_z_dim_other_than_stage1s(tmp_path):
  """Stage II's latent starts with stage I's z: its own model.z_dim must agree (it was
  ignored, silently)."""
  import json
  with open(tmp_path / "config.json", "w") as f:
    json.dump(tiny(1).to_dict(), f)
  with pytest.raises(ValueError, match="model.z_dim"):
    train.Run(tiny(2, str(tmp_path), **{"model.z_dim": 50}))
