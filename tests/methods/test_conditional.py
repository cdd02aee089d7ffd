"""The class-conditional methods (cgan, projection, acgan): G depends on y, the
projection D's formula, AC-GAN's loss terms by hand, one train step for all, the
class x z sampling layout, and the label checks."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gan_jax import config as config_lib, data, methods, train_step as step_lib
from gan_jax.data import images, pipeline
from gan_jax.methods import acgan, gan
from gan_jax.networks import dcgan, resnet
from tests.networks import helpers

METHODS = ("cgan", "projection", "acgan")
SHAPE = (28, 28, 1)


def method_config(name: str, **overrides):
  c = config_lib.base()
  c.method, c.data.name, c.data.batch_size = name, "fashion_mnist", 8
  c.model.name, c.model.width, c.model.z_dim, c.model.num_classes = "dcgan", 4, 8, 10
  if name == "projection":
    c.model.spectral_norm, c.model.d_norm, c.loss.name = True, "none", "hinge"
  return config_lib.apply_overrides(c, overrides)


def fashion_batch(n: int = 8) -> dict:
  return data.get_source(method_config("cgan", **{"data.batch_size": n})).batch(0)


def fast_init(method, batch):
  """(g_vars, d_vars) with `method.init`'s shapes and values from numpy (helpers.fill):
  jax's random initialisers compile for seconds per shape on CPU."""
  return helpers.fill(jax.eval_shape(method.init, helpers.KEY, batch))


@pytest.mark.parametrize("name", METHODS)
def test_generator_output_depends_on_y(name):
  method = methods.get(name).build(method_config(name), SHAPE)
  g_vars, _ = fast_init(method, fashion_batch())
  z = np.asarray(method.latent(jax.random.PRNGKey(1), 4))
  x3 = method.sample(g_vars, {"z": z, "y": np.full(4, 3, np.int32)})["x"]
  x7 = method.sample(g_vars, {"z": z, "y": np.full(4, 7, np.int32)})["x"]
  again = method.sample(g_vars, {"z": z, "y": np.full(4, 3, np.int32)})["x"]
  assert x3.shape == (4, *SHAPE)
  assert float(jnp.abs(x3 - again).max()) == 0.0
  # same z, another class: another image
  assert float(jnp.abs(x3 - x7).mean()) > 0.01 * float(jnp.abs(x3).mean())


def test_resnet_conditional_batchnorm_and_projection_shapes():
  c = method_config("projection", **{"model.name": "resnet", "data.image_size": 32})
  method = methods.get("projection").build(c, (32, 32, 1))
  g_vars, d_vars = fast_init(method, {"x": np.zeros((2, 32, 32, 1))})
  # every G BatchNorm is conditional: per-class gamma / beta, no shared affine
  assert g_vars["params"]["GBlock_0"]["ConditionalBatchNorm_0"]["gamma"]["embedding"].shape \
      == (10, 4 * 4)
  assert "embed" in d_vars["params"]
  z = np.zeros((2, 8), np.float32)
  x = method.sample(g_vars, {"z": z, "y": np.array([1, 2], np.int32)})["x"]
  assert x.shape == (2, 32, 32, 1)
  assert method.discriminate(d_vars, x, np.array([1, 2], np.int32)).shape == (2,)


def test_unconditional_networks_keep_their_parameter_layout():
  G, D = dcgan.build(method_config("cgan"), SHAPE)
  d_vars = jax.eval_shape(lambda: D.init(jax.random.PRNGKey(0), jnp.zeros((2, *SHAPE))))
  assert sorted(d_vars["params"]) == ["BatchNorm_0", "Conv_0", "Conv_1", "Dense_0"]
  G, D = resnet.build(method_config("cgan", **{"model.name": "resnet"}), (32, 32, 1))
  g_vars = jax.eval_shape(lambda: G.init(jax.random.PRNGKey(0), jnp.zeros((2, 8))))
  assert "BatchNorm_0" in g_vars["params"]["GBlock_0"] and G.condition == "none"


def test_projection_d_is_psi_of_phi_plus_embedding_inner_product():
  """D(x, y) = psi(phi(x)) + <embed(y), phi(x)>: psi(phi(x)) is D's Dense_0 on the
  features phi(x) = d psi / d kernel (psi is linear in its kernel), without spectral
  norm so the kernel is used as it is."""
  c = method_config("projection", **{"model.spectral_norm": False})
  method = methods.get("projection").build(c, SHAPE)
  _, d_vars = fast_init(method, fashion_batch())
  x = fashion_batch(3)["x"]
  y = np.array([0, 4, 9], np.int32)
  out = method.discriminate(d_vars, x, y)
  params = d_vars["params"]
  plain = method.D.clone(condition="none")
  no_embed = {**d_vars, "params": {k: v for k, v in params.items() if k != "embed"}}
  psi = plain.apply(no_embed, x, train=False)
  phi = jax.vmap(lambda xi: jax.grad(lambda k: plain.apply(
      {**no_embed, "params": {**no_embed["params"], "Dense_0": {
          "kernel": k, "bias": params["Dense_0"]["bias"]}}}, xi[None], train=False)[0])(
      params["Dense_0"]["kernel"])[:, 0])(x)
  embed = params["embed"]["embedding"]
  assert phi.shape == (3, 7 * 7 * 8) and embed.shape == (10, 7 * 7 * 8)
  np.testing.assert_allclose(phi @ params["Dense_0"]["kernel"][:, 0] + params["Dense_0"][
      "bias"][0], psi, rtol=1e-4, atol=1e-5)
  expected = psi + jnp.sum(embed[y] * phi, axis=-1)
  np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-5)
  assert float(jnp.abs(out - psi).min()) > 1e-6  # the projection term is not zero


def test_acgan_class_nll_by_hand():
  logits = jnp.array([[2.0, 0.0, 0.0], [0.0, 1.0, -1.0]])
  labels = jnp.array([0, 2])
  by_hand = (np.log(1 + 2 * np.exp(-2.0)) + (1.0 + np.log(np.exp(-1) + np.e + 1))) / 2
  assert float(acgan.class_nll(logits, labels)) == pytest.approx(by_hand, rel=1e-6)


def test_acgan_losses_add_the_weighted_class_terms():
  """d_loss = d_adv + w (NLL_real + NLL_fake), g_loss = g_adv + w NLL_fake, with w the
  array hparam, against the terms recomputed from D's two heads."""
  c = method_config("acgan", **{"model.d_norm": "none", "model.g_norm": "none"})
  method = acgan.build(c, SHAPE)
  batch = fashion_batch()
  g_vars, d_vars = fast_init(method, batch)
  fake, _ = method.generate(g_vars, batch, jax.random.PRNGKey(1), step_lib.parallel.Context(),
                            train=True)
  hp = {"loss.class_weight": jnp.float32(2.5)}
  loss, (_, metrics) = method.d_loss(d_vars["params"], {}, batch, fake, jax.random.PRNGKey(2),
                                     hp, step_lib.parallel.Context(), 0, {})
  (real_out, real_logits) = method.D.apply(d_vars, batch["x"], train=True)
  (fake_out, fake_logits) = method.D.apply(d_vars, fake, train=True)
  log_softmax = lambda l: l - np.log(np.exp(l).sum(-1, keepdims=True))
  nll = lambda l: -np.mean(log_softmax(np.asarray(l, np.float64))[np.arange(8), batch["y"]])
  softplus = lambda v: np.log1p(np.exp(np.asarray(v, np.float64)))
  d_adv = np.mean(softplus(-real_out)) + np.mean(softplus(fake_out))
  assert float(metrics["d_loss"]) == pytest.approx(d_adv, rel=1e-5)
  assert float(metrics["d_class_nll_real"]) == pytest.approx(nll(real_logits), rel=1e-5)
  assert float(loss) == pytest.approx(d_adv + 2.5 * (nll(real_logits) + nll(fake_logits)),
                                      rel=1e-5)
  g_loss, (_, g_metrics) = method.g_loss(g_vars["params"], {}, d_vars, batch,
                                         jax.random.PRNGKey(1), hp, step_lib.parallel.Context())
  g_adv = np.mean(softplus(-fake_out))
  assert float(g_metrics["g_loss"]) == pytest.approx(g_adv, rel=1e-5)
  assert float(g_loss) == pytest.approx(g_adv + 2.5 * nll(fake_logits), rel=1e-5)
  assert method.hparams() == {"loss.class_weight": 1.0} and acgan.HPARAM_KEYS == (
      "loss.class_weight",)


@pytest.mark.parametrize("name", METHODS)
def test_the_one_train_step_serves_every_conditional_method(name):
  config = method_config(name, **{"train.n_critic": 2})
  source = data.get_source(config)
  method = methods.get(name).build(config, source.shape)
  method.init = lambda key, batch: fast_init(methods.get(name).build(config, source.shape),
                                             batch)
  state = step_lib.init_state(config, method, jax.random.PRNGKey(0), source.batch(0))
  step = jax.jit(step_lib.keyed(step_lib.make_train_step(config, method)))
  batches = pipeline.host_batches(source, 0, config.train.n_critic)
  new, metrics = step(state, next(batches))
  new, metrics = step(new, next(batches))
  assert int(new.d_opt.count) == 4 and int(new.g_opt.count) == 2
  assert all(np.isfinite(float(v)) for v in jax.tree.leaves(metrics))
  changed = jax.tree.leaves(jax.tree.map(lambda a, b: bool(jnp.any(a != b)),
                                         state.g["params"], new.g["params"]))
  assert all(changed)  # every G parameter (the class embeddings too) was trained
  if name == "acgan":
    assert {"d_class_nll_real", "d_class_nll_fake", "g_class_nll"} <= set(metrics)


def test_conditions_are_the_class_by_z_layout():
  method = methods.get("cgan").build(method_config("cgan"), SHAPE)
  c = method.conditions(30, seed=5)
  assert c["z"].shape == (30, 8) and np.array_equal(np.bincount(c["y"]), [3] * 10)
  z = c["z"].reshape(3, 10, 8)  # interleaved: sample i is class i % K, z column i // K
  assert np.all(z == z[:, :1]) and len(np.unique(z[:, 0, 0])) == 3
  assert np.array_equal(c["y"], np.tile(np.arange(10), 3))
  assert np.array_equal(np.bincount(c["y"][:10]), [1] * 10)  # every run of K is balanced
  uneven = method.conditions(25, seed=5, labels=[3, 7])
  assert np.array_equal(uneven["y"], [3, 7] * 12 + [3])
  x = np.repeat(np.arange(13, dtype=np.float32), 2)[:25, None, None, None] * np.ones((1, 2, 2, 1))
  images_, rows = method.grid({"x": x, "y": uneven["y"]})
  assert rows == 2 and images_.shape == (26, 2, 2, 1) and images_[-1].min() == 1.0
  # row 0 (class 3) and row 1 (class 7) hold the same z columns in the same order
  np.testing.assert_array_equal(images_[:12, 0, 0, 0], images_[13:25, 0, 0, 0])
  walks = method.interpolation_conditions(np.zeros((40, 8)), seed=1, pairs=4)
  assert [len(set(walks["y"][i * 10:(i + 1) * 10])) for i in range(4)] == [1] * 4
  assert len(set(walks["y"])) == 4


def test_bad_labels_and_class_counts_are_refused():
  method = methods.get("cgan").build(method_config("cgan"), SHAPE)
  with pytest.raises(ValueError, match=r"--labels must be distinct class indices in \[0, 10\)"):
    method.conditions(10, 0, labels=[3, 12])
  with pytest.raises(ValueError, match="takes no sampling options; got labels"):
    gan.build(method_config("gan", **{"model.num_classes": 0}), SHAPE).conditions(
        4, 0, labels=[1])
  with pytest.raises(ValueError, match="model.num_classes=0"):
    methods.get("acgan").build(method_config("acgan", **{"model.num_classes": 0}), SHAPE)
  with pytest.raises(ValueError, match="model.name='mlp' has no class-conditional variant"):
    methods.get("cgan").build(method_config("cgan", **{"model.name": "mlp"}), (2,))
  with pytest.raises(ValueError, match="model.num_classes=7 but data.name='fashion_mnist' "
                                       "has 10 classes"):
    data.check_classes(method_config("cgan", **{"model.num_classes": 7}),
                       data.get_source(method_config("cgan")))
  unlabelled = images.ImageSource(np.zeros((8, 28, 28, 1), np.uint8), None, 4, 0)
  with pytest.raises(ValueError, match="has no labels"):
    data.check_classes(method_config("cgan"), unlabelled)


def test_cgan_discriminator_reads_y_as_input_planes():
  """cGAN's D sees one-hot planes of y beside the image (C + K input channels), so the
  same image with another label gets another score."""
  method = methods.get("cgan").build(method_config("cgan"), SHAPE)
  _, d_vars = fast_init(method, fashion_batch())
  assert d_vars["params"]["Conv_0"]["kernel"].shape[2] == SHAPE[-1] + 10
  x = fashion_batch(4)["x"]
  d3 = method.discriminate(d_vars, x, np.full(4, 3, np.int32))
  d7 = method.discriminate(d_vars, x, np.full(4, 7, np.int32))
  assert float(jnp.abs(d3 - d7).min()) > 1e-6
