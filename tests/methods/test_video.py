"""Video frame prediction end to end through launch.py (train -> --mode sample -> --mode
eval on the experiment's smoke config), the samples.npz contract, and the method's
pieces: z reaches G, D sees (past, future) in that order, the content term's frame
weights."""
import json
import os
import subprocess
import sys

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gan_jax import data, methods
from tests.conftest import ROOT, experiment_config


@pytest.fixture(scope="module")
def smoke():
  config = experiment_config("video.py:smoke")
  source = data.get_source(config)
  method = methods.get("video").build(config, source.shape)
  batch = source.batch(0)
  g_vars, d_vars = method.init(jax.random.PRNGKey(0), batch)
  return config, method, batch, g_vars, d_vars


def test_z_changes_the_prediction_and_d_reads_past_then_future(smoke):
  config, method, batch, g_vars, d_vars = smoke
  past = jnp.asarray(batch["past"][:4])
  z = jax.random.normal(jax.random.PRNGKey(1), (2, 4, config.model.z_dim))
  x0, x1 = (method.G.apply(g_vars, past, zi, train=False) for zi in z)
  assert x0.shape == (4, *method.data_shape)
  assert float(jnp.mean(jnp.abs(x0 - x1))) > 1e-3  # G does not ignore z
  pair = method.d_input(batch, batch["future"])
  p = config.data.past
  assert pair.shape[1] == p + config.data.future
  np.testing.assert_array_equal(pair[:, :p], batch["past"])
  np.testing.assert_array_equal(pair[:, p:], batch["future"])
  # D's logit depends on the past as well as the future (a conditional D)
  other_past = {**batch, "past": batch["past"][::-1]}
  d = lambda b: method.D.apply(d_vars, method.d_input(b, batch["future"]), train=False)
  assert float(jnp.max(jnp.abs(d(batch) - d(other_past)))) > 1e-4


def test_content_term_weights_frames(smoke):
  _, method, batch, _, _ = smoke
  fake = jnp.zeros_like(batch["future"])
  per_frame = np.mean((0 - batch["future"]) ** 2, axis=(0, 2, 3, 4))
  assert float(method.content(fake, batch, 0.0)) == pytest.approx(per_frame[0], rel=1e-5)
  assert float(method.content(fake, batch, 1.0)) == pytest.approx(per_frame.mean(), rel=1e-5)
  assert method.hparams() == {"loss.gan_weight": 1.0, "loss.content_weight": 10.0,
                              "loss.later_content_weight": 0.0}
  assert not method.diversity  # no second G pass in the default step
  # the sweep's members are the two losses, and differ only in step arrays: one vmap
  from experiments import video as experiment
  from gan_jax import config as config_lib, sweep
  members = experiment.get_sweep()
  configs = []
  for loss, member in zip(("mse", "gan"), members):
    config = experiment_config(f"video.py:smoke,loss={loss}")
    assert member == {k: config.loss[k.split(".")[1]] for k in member}
    configs.append(config_lib.apply_overrides(experiment_config("video.py:smoke"), member))
  assert [m["loss.gan_weight"] for m in members] == [0.0, 1.0]
  assert sweep.plan(configs, backend="gpu") == ([[0, 1]], "")


def _launch(workdir, *args):
  env = {**os.environ, "JAX_COMPILATION_CACHE_DIR": os.path.join(
      os.environ["GAN_JAX_CACHE"], "jax_compilation_cache")}
  out = subprocess.run([sys.executable, "launch.py", "--config", "experiments/video.py:smoke",
                        "--workdir", str(workdir), "--noprogress", *args], cwd=ROOT,
                       capture_output=True, text=True, timeout=600, env=env)
  assert out.returncode == 0, out.stderr[-3000:]
  return out.stdout


def test_launch_train_sample_eval(tmp_path):
  config = experiment_config("video.py:smoke")
  _launch(tmp_path)
  rows = [json.loads(line) for line in open(tmp_path / "metrics.jsonl")]
  losses = [r for r in rows if "g_content" in r]
  assert losses and all(np.isfinite(r["d_loss"]) and r["g_content"] > 0 for r in losses)
  assert os.path.getsize(tmp_path / "samples" / f"step_{config.train.steps}.png") > 1000

  _launch(tmp_path, "--mode", "sample", "--num_samples", "5")
  s = dict(np.load(tmp_path / "samples.npz"))
  assert set(s) == {"past", "future", "x", "branch", "alternative", "y"}
  f, p, size = config.data.future, config.data.past, config.data.image_size
  for k in ("future", "x", "alternative"):
    assert s[k].shape == (5, f, size, size, 1) and s[k].dtype == np.float32, k
  assert s["past"].shape == (5, p, size, size, 1) and np.abs(s["x"]).max() <= 1
  assert set(s["branch"]) <= {0, 1}
  # the branches share the first future frame and part after it
  np.testing.assert_array_equal(s["future"][:, 0], s["alternative"][:, 0])
  assert np.all(np.abs(s["future"][:, -1] - s["alternative"][:, -1]).max(axis=(1, 2, 3)) > 0.5)

  _launch(tmp_path, "--mode", "eval")
  result = json.load(open(tmp_path / "eval.json"))
  scores, protocol = result["scores"], result["protocol"]
  assert protocol["video"]["num_sequences"] == config.eval.num_samples == 16
  assert protocol["video"]["fork"]["ghost"] == 0.2 and protocol["video"]["split"] == "test"
  for t in range(1, f + 1):
    assert 0 < scores[f"psnr_f{t}"] < 100 and -1 <= scores[f"ssim_f{t}"] <= 1
  assert scores["psnr"] == pytest.approx(np.mean([scores[f"psnr_f{t}"] for t in range(1, f + 1)]))
  assert scores["sharpness"] > 0
  assert 0 <= scores["fork_single_branch"] <= 1
  assert scores["fork_left"] + scores["fork_right"] == pytest.approx(scores["fork_single_branch"])


def test_losses_are_the_documented_sums(smoke):
  """L_G = gan_weight adv + content_weight content + lambda_ms / (ratio + 1e-5) (Mao et
  al., 2019, Eq. 3); L_D = loss_d(D(past, future), D(past, G(past, z)))."""
  config, plain, batch, g_vars, d_vars = smoke
  from gan_jax import parallel
  from gan_jax.methods import _paired, video
  method = methods.get("video").build(experiment_config("video.py:smoke,diversity=0.1"),
                                      plain.data_shape)
  hp = {"loss.gan_weight": 0.7, "loss.content_weight": 3.0,
        "loss.later_content_weight": 0.5, video.DIVERSITY: 0.1}
  key, ctx = jax.random.PRNGKey(5), parallel.Context()
  b = {k: jnp.asarray(v) for k, v in batch.items()}
  rest = lambda v: {k: x for k, x in v.items() if k != "params"}
  loss, (_, m) = method.g_loss(g_vars["params"], rest(g_vars), d_vars, b, key, hp, ctx)
  fake, _ = method.generate(g_vars, b, key, ctx, train=True)
  d_out = lambda x: _paired.apply(method.D, d_vars, method.d_input(b, x), train=True)[0]
  adversarial = method.g_loss_fn(d_out(fake))
  want = 0.7 * adversarial + 3.0 * method.content(fake, b, 0.5) + 0.1 / (m["g_diversity"] + 1e-5)
  assert float(m["g_diversity"]) > 1e-3
  assert float(loss) == pytest.approx(float(want), rel=1e-5)
  d_loss, _ = method.d_loss(d_vars["params"], rest(d_vars), b, fake, key, hp, ctx, 0,
                            config.regularizers)
  assert float(d_loss) == pytest.approx(float(method.d_loss_fn(d_out(b["future"]), d_out(fake))),
                                        rel=1e-5)
  assert float(d_loss) != pytest.approx(float(method.d_loss_fn(d_out(b["past"]), d_out(fake))),
                                        rel=1e-3)
