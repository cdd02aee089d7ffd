"""PacGAN packing (gan_jax/packing.py) and the packed D of methods/gan.py: shapes, the
paper's batch convention, the D loss and the gradient penalty by hand."""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gan_jax import packing, parallel
from tests.test_train_step import setup


def test_pack_concatenates_consecutive_points():
  x = np.arange(12, dtype=np.float32).reshape(6, 2)  # six 2-D points
  np.testing.assert_array_equal(packing.pack(jnp.asarray(x), 3),
                                [[0, 1, 2, 3, 4, 5], [6, 7, 8, 9, 10, 11]])
  np.testing.assert_array_equal(packing.pack(jnp.asarray(x), 1), x)


def test_pack_stacks_images_along_the_channels():
  x = np.arange(4 * 2 * 2 * 3, dtype=np.float32).reshape(4, 2, 2, 3)
  packed = np.asarray(packing.pack(jnp.asarray(x), 2))
  assert packed.shape == (2, 2, 2, 6)
  np.testing.assert_array_equal(packed[1], np.concatenate([x[2], x[3]], axis=-1))


def test_pack_refuses_a_batch_it_cannot_cut():
  with pytest.raises(ValueError, match="model.pack=3 needs a batch that is a multiple of 3"):
    packing.pack(jnp.zeros((8, 2)), 3)


@pytest.mark.parametrize("m", [2, 4])
def test_packed_d_reads_m_points_and_keeps_the_number_of_decisions(make_config, m):
  """gan.py:pack=m: D's first layer reads m x 2 numbers; the batch has m x 32 samples
  (smoke), so D makes 32 decisions on real and 32 on generated packs, as without."""
  config = make_config(f"gan.py:smoke,pack={m}")
  assert config.model.pack == m and config.data.batch_size == 32 * m
  method, state, batches = setup(config)
  assert state.d["params"]["Dense_0"]["kernel"].shape == (2 * m, config.model.width)
  batch = jax.tree.map(lambda x: x[0], next(batches))
  real = packing.pack(jnp.asarray(batch["x"]), m)
  assert method.critic(state.d, real, batch)[0].shape == (32,)
  assert method.discriminate(state.d, jnp.zeros((5, 2))).shape == (5,)


def _linear_packed(make_config, **overrides):
  """A packed (m = 2) linear D(p) = w.p + b, p = (x_1, y_1, x_2, y_2)."""
  config = make_config("gan.py:smoke,pack=2", **{"model.depth": 0, **overrides})
  method, state, batches = setup(config)
  batch = jax.tree.map(lambda x: x[0][:8], next(batches))  # 8 samples: 4 packs
  fake = jax.random.normal(jax.random.PRNGKey(5), (8, 2))
  w = np.asarray(state.d["params"]["Dense_0"]["kernel"])[:, 0]
  b = float(state.d["params"]["Dense_0"]["bias"][0])
  return config, method, state, batch, fake, w, b


def test_packed_d_loss_equals_a_hand_computation(make_config):
  config, method, state, batch, fake, w, b = _linear_packed(make_config)
  loss, (_, metrics) = method.d_loss(state.d["params"], {}, batch, fake, jax.random.PRNGKey(0),
                                     state.hparams, parallel.Context(), 0, {})
  softplus = lambda v: np.logaddexp(0.0, v)
  real_logits = np.asarray(batch["x"]).reshape(4, 4) @ w + b  # pack i: points 2i, 2i + 1
  fake_logits = np.asarray(fake).reshape(4, 4) @ w + b
  expected = softplus(-real_logits).mean() + softplus(fake_logits).mean()
  assert float(loss) == pytest.approx(expected, rel=1e-5)
  assert float(metrics["d_real"]) == pytest.approx(real_logits.mean(), rel=1e-5, abs=1e-6)


def test_gradient_penalty_on_packs_takes_the_norm_over_the_pack(make_config):
  """For a linear packed D the input gradient is w (4 numbers) at every pack, so the
  WGAN-GP term is (||w|| - 1)^2 for any interpolation; a per-sample norm would see
  only half of w."""
  reg = {"gradient_penalty": {"weight": 10.0, "every": 1}}
  config, method, state, batch, fake, w, b = _linear_packed(make_config, **{
      "loss.name": "wasserstein"})
  hp = {**state.hparams, "regularizers.gradient_penalty.weight": jnp.float32(10.0)}
  _, (_, metrics) = method.d_loss(state.d["params"], {}, batch, fake, jax.random.PRNGKey(0), hp,
                                  parallel.Context(), 0, reg)
  assert float(metrics["gradient_penalty"]) == pytest.approx(
      (np.linalg.norm(w) - 1.0) ** 2, rel=1e-5)
