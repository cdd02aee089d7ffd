"""pix2pix and SRGAN methods: the loss switches' terms, the weights as step arrays, the
family's sampling contract."""
import os

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gan_jax import methods, parallel, train_step as step_lib
from tests.conftest import ROOT, experiment_config

LOSSES = ("l1", "gan", "cgan", "l1+gan", "l1+cgan")


def batch(n=4, size=32, seed=0):
  rng = np.random.default_rng(seed)
  return {"a": rng.uniform(-1, 1, (n, size, size, 1)).astype(np.float32),
          "b": rng.uniform(-1, 1, (n, size, size, 1)).astype(np.float32),
          "y": np.arange(n, dtype=np.int32)}


def method_and_state(spec, **overrides):
  config = experiment_config(spec, **overrides)
  method = methods.get(config.method).build(config, (32, 32, 1))
  state = step_lib.init_state(config, method, jax.random.PRNGKey(0), batch())
  return config, method, state


def g_terms(method, state, hparams=None):
  g_params, g_coll = state.g["params"], {k: v for k, v in state.g.items() if k != "params"}
  loss, (_, m) = method.g_loss(g_params, g_coll, state.d, batch(), jax.random.PRNGKey(1),
                               hparams or state.hparams, parallel.Context())
  return float(loss), {k: float(v) for k, v in m.items()}


@pytest.mark.parametrize("loss", LOSSES)
def test_each_loss_switch_sums_its_terms(loss):
  config, method, state = method_and_state(f"pix2pix.py:smoke,loss={loss}")
  total, m = g_terms(method, state)
  gan = {"l1": 0.0}.get(loss, 1.0)
  lam = 100.0 if loss.startswith("l1") else 0.0
  assert float(state.hparams["loss.gan_weight"]) == gan
  assert float(state.hparams["loss.content_weight"]) == lam
  np.testing.assert_allclose(total, gan * m["g_adversarial"] + lam * m["g_content"], rtol=1e-5)
  # The content term is L1: mean |G(a) - b| of the same forward pass (dropout key 1).
  fake, _ = method.generate(state.g, batch(), jax.random.PRNGKey(1), parallel.Context(), True)
  np.testing.assert_allclose(m["g_content"], float(jnp.mean(jnp.abs(fake - batch()["b"]))),
                             rtol=1e-5)
  # cGAN: D reads (a, x) on channels; GAN: x alone.
  first = state.d["params"]["Conv_0"]["kernel"]
  assert first.shape[2] == (2 if "cgan" in loss else 1)


def test_weights_are_step_arrays_a_sweep_or_resume_may_change():
  config, method, state = method_and_state("pix2pix.py:smoke")
  assert {"loss.gan_weight", "loss.content_weight"} <= step_lib.array_keys(config)
  total, m = g_terms(method, state)
  no_l1 = {**state.hparams, "loss.content_weight": jnp.float32(0.0)}
  total0, _ = g_terms(method, state, no_l1)
  np.testing.assert_allclose(total0, m["g_adversarial"], rtol=1e-5)
  assert total - total0 > 1.0  # 100 x L1 of an untrained G


class Split:
  """A held-out split with `examples` and `arrays`, as the paired sources have."""
  def __init__(self, n=5):
    self.data, self.size = batch(n, seed=3), n

  def examples(self, n=None, seed=0):
    return {k: v[:n] for k, v in self.data.items()}

  def arrays(self, n=None, seed=0):
    return self.data["b"][:n], self.data["y"][:n]


def test_conditions_sample_and_grid_follow_the_paired_contract():
  _, method, state = method_and_state("pix2pix.py:smoke")
  cond = method.conditions(3, 0, Split())
  assert set(cond) == {"a", "b", "y"} and len(cond["a"]) == 3
  assert len(method.conditions(100, 0, Split())["a"]) == 5  # capped at the split
  x = method.sample(state.g, cond)["x"]
  np.testing.assert_allclose(x, method.G.apply(state.g, cond["a"], train=False), atol=1e-6)
  images, rows = method.grid({**cond, "x": np.asarray(x)})
  assert images.shape == (9, 32, 32, 1) and rows == 1
  np.testing.assert_array_equal(images[0], cond["a"][0])  # input | output | target
  np.testing.assert_array_equal(images[2], cond["b"][0])
  with pytest.raises(ValueError, match="no latent z"):
    method.latent(jax.random.PRNGKey(0), 2)


def test_srgan_input_is_the_downsampled_target_and_mse_content():
  config, method, state = method_and_state("srgan.py:smoke,content=mse,adversarial=0")
  b = batch()
  a = method.g_input(b)
  assert a.shape == (4, 8, 8, 1)
  # Antialiased bicubic of a constant image is that constant.
  const = {"b": np.full((2, 32, 32, 1), 0.25, np.float32)}
  np.testing.assert_allclose(method.g_input(const), 0.25, atol=1e-5)
  total, m = g_terms(method, state)
  assert float(state.hparams["loss.gan_weight"]) == 0.0
  np.testing.assert_allclose(total, m["g_content"], rtol=1e-6)
  fake, _ = method.generate(state.g, b, jax.random.PRNGKey(1), parallel.Context(), True)
  np.testing.assert_allclose(m["g_content"], float(jnp.mean((fake - b["b"]) ** 2)), rtol=1e-5)
  cond = method.conditions(3, 0, Split())
  assert cond["a"].shape == (3, 8, 8, 1) and cond["b"].shape == (3, 32, 32, 1)
  images, _ = method.grid({**cond, "x": np.asarray(method.sample(state.g, cond)["x"])})
  assert images.shape[1:] == (32, 32, 1)  # inputs drawn at the output's size


def test_srgan_feature_content_needs_labelled_data_for_its_network():
  # The content network is built on first use; unlabelled data cannot train one.
  with pytest.raises(FileNotFoundError, match="loss.content_network.*no class labels"):
    method_and_state("srgan.py:smoke", **{"data.name": "folder"})


def test_the_objective_sweep_matches_the_loss_switches():
  from gan_jax import experiment
  module = experiment.load_module(os.path.join(ROOT, "experiments", "pix2pix.py"))
  keys = ("loss.gan_weight", "loss.content_weight", "model.d_conditional")
  for loss, member in zip(LOSSES, module.get_sweep()):
    config = experiment_config(f"pix2pix.py:loss={loss}")
    assert member == {k: config[k.split(".")[0]][k.split(".")[1]] for k in keys}


def test_l1_weight_sets_lambda_only_for_objectives_with_l1():
  assert experiment_config("pix2pix.py:smoke,l1_weight=10").loss.content_weight == 10.0
  assert experiment_config("pix2pix.py:smoke,loss=l1,l1_weight=30").loss.content_weight == 30.0
  with pytest.raises(ValueError, match="loss=cgan, which has no L1 term"):
    experiment_config("pix2pix.py:smoke,loss=cgan,l1_weight=10")
  with pytest.raises(ValueError, match="must be positive"):
    experiment_config("pix2pix.py:smoke,l1_weight=-1")
