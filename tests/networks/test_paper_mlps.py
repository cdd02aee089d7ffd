"""The 2-D mixture networks of the papers' mode tables: PacGAN's (networks/pacgan_mlp.py)
and the unrolled GAN's (networks/unrolled_mlp.py), against their formulas by hand, and
the experiment args that select them (experiments/gan.py net=pacgan|unrolled)."""
from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pytest

from gan_jax import networks
from tests.conftest import experiment_config
from tests.networks.helpers import KEY, build, model_config


def relu(x):
  return np.maximum(x, 0)


def test_pacgan_generator_is_dense_batchnorm_relu_without_hidden_biases():
  c = model_config("pacgan_mlp", width=6, z_dim=2, depth=2)
  G, _, gv, _, _ = build(c, (2,))
  p, stats = gv["params"], gv["batch_stats"]
  assert "bias" not in p["Dense_0"] and "bias" not in p["Dense_1"] and "bias" in p["Dense_2"]
  z = np.random.default_rng(0).normal(size=(5, 2)).astype(np.float32)

  def forward(mean_var):
    h = z
    for i in range(2):
      h = h @ np.asarray(p[f"Dense_{i}"]["kernel"])
      mean, var = mean_var(h, i)
      bn = p[f"BatchNorm_{i}"]
      h = relu((h - mean) / np.sqrt(var + 1e-5) * np.asarray(bn["scale"]) + np.asarray(bn["bias"]))
    return h @ np.asarray(p["Dense_2"]["kernel"]) + np.asarray(p["Dense_2"]["bias"])

  out, new = G.apply(gv, jnp.asarray(z), train=True, mutable=["batch_stats"])
  np.testing.assert_allclose(out, forward(lambda h, i: (h.mean(0), h.var(0))), rtol=1e-4,
                             atol=1e-5)
  # Running statistics p <- 0.95 p + 0.05 m (the authors' population update).
  h0 = z @ np.asarray(p["Dense_0"]["kernel"])
  old = stats["BatchNorm_0"]
  np.testing.assert_allclose(new["batch_stats"]["BatchNorm_0"]["mean"],
                             0.95 * np.asarray(old["mean"]) + 0.05 * h0.mean(0), rtol=1e-5,
                             atol=1e-6)
  # Sampling (train=False) uses the running statistics, not the batch's.
  running = lambda h, i: (np.asarray(stats[f"BatchNorm_{i}"]["mean"]),  # noqa: E731
                          np.asarray(stats[f"BatchNorm_{i}"]["var"]))
  np.testing.assert_allclose(G.apply(gv, jnp.asarray(z), train=False), forward(running),
                             rtol=1e-4, atol=1e-5)


def test_pacgan_discriminator_is_three_maxout_layers_of_half_width():
  c = model_config("pacgan_mlp", width=8, z_dim=2)
  _, D, _, dv, _ = build(c, (4,))  # e.g. packs of two 2-D points
  p = dv["params"]
  assert [p[f"Dense_{i}"]["kernel"].shape for i in range(4)] == [(4, 20), (4, 20), (4, 20),
                                                                  (4, 1)]
  x = np.random.default_rng(1).normal(size=(3, 4)).astype(np.float32)
  h = x
  for i in range(3):
    a = h @ np.asarray(p[f"Dense_{i}"]["kernel"]) + np.asarray(p[f"Dense_{i}"]["bias"])
    h = a.reshape(3, 4, 5).max(-1)  # 4 units x 5 pieces
  logits = h @ np.asarray(p["Dense_3"]["kernel"])[:, 0] + np.asarray(p["Dense_3"]["bias"])[0]
  np.testing.assert_allclose(D.apply(dv, jnp.asarray(x), train=False), logits, rtol=1e-5,
                             atol=1e-6)


def test_pacgan_init_is_normal_0_02_with_zero_biases():
  c = model_config("pacgan_mlp", width=400, z_dim=2, depth=4)
  G, D = networks.get("pacgan_mlp").build(c, (2,))
  g = G.init(KEY, jnp.zeros((2, 2)), train=False)["params"]
  d = D.init(KEY, jnp.zeros((2, 2)), train=False)["params"]
  kernels = np.concatenate([np.ravel(g["Dense_1"]["kernel"]), np.ravel(d["Dense_1"]["kernel"])])
  assert abs(kernels.std() - 0.02) < 0.001 and abs(kernels.mean()) < 0.001
  assert not np.any(d["Dense_0"]["bias"]) and not np.any(g["Dense_4"]["bias"])


def test_unrolled_mlp_scales_d_input_and_has_orthogonal_weights():
  c = model_config("unrolled_mlp", width=128, z_dim=256, depth=2)
  G, D = networks.get("unrolled_mlp").build(c, (2,))
  g = G.init(KEY, jnp.zeros((2, 256)), train=False)["params"]
  dv = D.init(KEY, jnp.zeros((2, 2)), train=False)
  w = np.asarray(g["Dense_1"]["kernel"])  # 128 x 128: W^T W = 0.8^2 I
  np.testing.assert_allclose(w.T @ w, 0.64 * np.eye(128), atol=1e-4)
  assert sorted(g) == ["Dense_0", "Dense_1", "Dense_2"]  # 2 hidden layers + output
  p = dv["params"]
  assert sorted(p) == ["Dense_0", "Dense_1"]  # 1 hidden layer + logit
  x = np.array([[2.0, 0.0], [-1.4, 1.4]], np.float32)
  h = relu((x / 4) @ np.asarray(p["Dense_0"]["kernel"]) + np.asarray(p["Dense_0"]["bias"]))
  logits = h @ np.asarray(p["Dense_1"]["kernel"])[:, 0] + np.asarray(p["Dense_1"]["bias"])[0]
  np.testing.assert_allclose(D.apply(dv, jnp.asarray(x)), logits, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("net, expected", [
    ("pacgan", dict(name="pacgan_mlp", width=400, depth=4, z_dim=2, batch=100, lr=1e-4,
                    b1=0.8, steps=400_000)),
    ("unrolled", dict(name="unrolled_mlp", width=128, depth=2, z_dim=256, batch=512, lr=1e-4,
                      b1=0.5, steps=25_000))])
def test_experiment_net_args_set_the_papers_protocols(net, expected):
  c = experiment_config(f"gan.py:net={net},data=ring8")
  got = dict(name=c.model.name, width=c.model.width, depth=c.model.depth,
             z_dim=c.model.z_dim, batch=c.data.batch_size, lr=c.optim.d.lr,
             b1=c.optim.g.b1, steps=c.train.steps)
  assert got == expected
  assert c.optim.g.lr == c.optim.d.lr and c.optim.g.schedule == "constant"
  packed = experiment_config(f"gan.py:net={net},data=grid25,pack=3")
  assert packed.data.batch_size == 3 * expected["batch"]  # still 100 / 512 D decisions


def test_experiment_net_args_refuse_images_and_unknown_names():
  with pytest.raises(ValueError, match="net=pacgan is a paper's MLP pair.*toy data"):
    experiment_config("gan.py:net=pacgan,data=fashion_mnist")
  with pytest.raises(ValueError, match="Unknown net='wide'"):
    experiment_config("gan.py:net=wide")


def test_seeds_of_the_paper_mlps_vmap_on_cpu():
  from gan_jax import sweep
  for net in ("pacgan", "unrolled"):
    configs = [experiment_config(f"gan.py:net={net}", seed=s) for s in range(3)]
    groups, reason = sweep.plan(configs, backend="cpu")
    assert groups == [[0, 1, 2]], (net, reason)
