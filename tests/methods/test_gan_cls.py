"""GAN-CLS / GAN-INT (methods/gan_cls.py): D's loss is Reed et al.'s Alg. 1 on D's own
outputs, mismatched captions state other attributes, GAN-INT's interpolation, sampling
from held-out or user captions, and a short run's samples.npz."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gan_jax import data, methods, parallel, sampling
from gan_jax.methods import gan_cls
from tests.conftest import experiment_config

SMALL = {"data.limit": 64, "data.batch_size": 16, "model.width": 8, "eval.metrics": ()}


def build(**overrides):
  config = experiment_config("gan_cls.py:smoke,data=captioned_shapes", **{**SMALL, **overrides})
  source = data.get_source(config)
  method = methods.get("gan_cls").build(config, source.shape)
  g_vars, d_vars = method.init(jax.random.PRNGKey(0), source.batch(0))
  batch = {k: jnp.asarray(v) for k, v in source.batch(0).items()}
  return config, source, method, g_vars, d_vars, batch


def test_mismatched_rows_state_other_attributes():
  meaning = np.array([[0, 1], [0, 1], [2, 1], [0, 1], [3, 3], [2, 1]])
  for seed in range(5):
    rows = np.asarray(gan_cls.mismatched_rows(jnp.asarray(meaning), jax.random.PRNGKey(seed)))
    assert not np.any(np.all(meaning[rows] == meaning, axis=1)), rows
  _, _, method, _, _, batch = build()
  wrong = method.mismatched_tokens(batch, jax.random.PRNGKey(1))
  rows = [int(np.flatnonzero((np.asarray(batch["tokens"]) == w).all(1))[0]) for w in wrong]
  attributes = np.asarray(batch["attributes"])
  assert not np.any(np.all(attributes[rows] == attributes, axis=1))


@pytest.mark.parametrize("mismatch", [True, False])
def test_d_loss_is_reed_algorithm_1(mismatch):
  config, _, method, g_vars, d_vars, batch = build(**{"loss.mismatch": mismatch})
  fake = method.generate(g_vars, batch, jax.random.PRNGKey(2), parallel.Context(), False)[0]
  key = jax.random.PRNGKey(3)
  loss, (_, metrics) = method.d_loss(
      d_vars["params"], {k: v for k, v in d_vars.items() if k != "params"}, batch, fake, key,
      {}, parallel.Context(), 0, config.regularizers)
  d = lambda x, tokens: method.D.apply(d_vars, x, train=True, tokens=tokens,
                                       mutable=["batch_stats"])[0]
  s_r, s_f = d(batch["x"], batch["tokens"]), d(fake, batch["tokens"])
  expected_fake = jnp.mean(jax.nn.softplus(s_f))
  if mismatch:  # log(1 - D(x, t_hat)) and log(1 - D(G(z), t)), each weighted 0.5
    wrong = method.mismatched_tokens(batch, jax.random.split(key)[0])
    expected_fake = 0.5 * (expected_fake + jnp.mean(jax.nn.softplus(d(batch["x"], wrong))))
  expected = jnp.mean(jax.nn.softplus(-s_r)) + expected_fake
  np.testing.assert_allclose(loss, expected, rtol=1e-5)
  assert ("d_wrong" in metrics) == mismatch


def test_g_loss_is_the_nonsaturating_loss_on_d_of_the_matching_caption():
  """L_G = -log sigmoid(D(G(z, t), t)) (Alg. 1, line 12): D reads G's own caption t,
  never a mismatched one, and without GAN-INT nothing else is added."""
  _, _, method, g_vars, d_vars, batch = build()
  key = jax.random.PRNGKey(5)
  collections = {k: v for k, v in g_vars.items() if k != "params"}
  loss, (_, metrics) = method.g_loss(g_vars["params"], collections, d_vars, batch, key, {},
                                     parallel.Context())
  fake = method.generate(g_vars, batch, jax.random.split(key)[0], parallel.Context(),
                         train=True)[0]
  d = lambda tokens: method.D.apply(d_vars, fake, train=True, tokens=tokens,
                                    mutable=["batch_stats"])[0]
  np.testing.assert_allclose(loss, jnp.mean(jax.nn.softplus(-d(batch["tokens"]))), rtol=1e-5)
  assert set(metrics) == {"g_loss"}
  other = jnp.mean(jax.nn.softplus(-d(method.mismatched_tokens(batch, key))))
  assert abs(float(other) - float(loss)) > 1e-6  # the caption D reads matters


def test_interpolated_text_and_designs():
  config, _, method, g_vars, d_vars, batch = build(**{"loss.interp": True})
  z = jnp.ones((4, method.z_dim))
  tokens = batch["tokens"][:4]
  plain = method.G.apply(g_vars, z, train=False, tokens=tokens)
  # beta phi(t) + (1 - beta) phi(t) = phi(t); another caption moves the image
  np.testing.assert_array_equal(
      method.G.apply(g_vars, z, train=False, tokens=tokens, mix=tokens), plain)
  mixed = method.G.apply(g_vars, z, train=False, tokens=tokens, mix=tokens[::-1])
  assert float(jnp.abs(mixed - plain).max()) > 1e-6  # (DCGAN's init: small outputs)
  loss, (_, metrics) = method.g_loss(
      g_vars["params"], {k: v for k, v in g_vars.items() if k != "params"}, d_vars, batch,
      jax.random.PRNGKey(0), {}, parallel.Context())
  np.testing.assert_allclose(loss, metrics["g_loss"] + metrics["g_loss_interp"], rtol=1e-6)
  # separate heads: one more Dense (the realism head) than the joint design
  joint = jax.tree.leaves(d_vars["params"])
  separate = build(**{"model.d_design": "separate"})[4]["params"]
  count = lambda leaves: sum(x.size for x in leaves)
  assert count(jax.tree.leaves(separate)) - count(joint) == 4 * 4 * 32 + 1


def test_conditions_from_captions_and_unknown_words():
  _, source, method, _, _, _ = build()
  texts = ["a large red circle on the left on a dark background", "a tiny blue star at the top "
           "on a white background"]
  c = method.conditions(6, 0, source, captions=texts)
  assert list(c["caption"]) == texts * 3 and c["tokens"].shape == (6, source.length)
  assert c["attributes"][0, :5].tolist() == [0, 0, 1, 0, 0]
  assert c["attributes"][1, :5].tolist() == [3, 2, 0, 2, 1]
  images, rows = method.grid({**c, "x": np.arange(6.0)[:, None, None, None]})
  assert rows == 2 and images[:, 0, 0, 0].tolist() == [0, 2, 4, 1, 3, 5]  # caption x z
  with pytest.raises(ValueError, match=r"outside the captioned_shapes vocabulary: purplish"):
    method.conditions(2, 0, source, captions=["a purplish circle"])
  held_out = method.conditions(100, 0, source)  # 64 test captions, then again with new z
  assert len(held_out["caption"]) == 100 and held_out["caption"][64] == held_out["caption"][0]
  assert not np.array_equal(held_out["z"][64], held_out["z"][0])
  some = method.conditions(50, 0, source)
  assert method.grid({**some, "x": some["z"]})[1] is None  # as they come


def test_samples_npz_arrays_hold_captions():
  """What --mode sample writes (train.sample: method.sample_arrays of sampling.record;
  the whole path runs in tests/test_experiments.py::test_smoke[gan_cls])."""
  _, source, method, g_vars, _, _ = build()
  arrays = method.sample_arrays(sampling.record(method, g_vars, method.conditions(10, 0, source)))
  assert sorted(arrays) == ["attributes", "caption", "novel_combination", "novel_template",
                            "x", "y"]
  assert arrays["x"].shape == (10, 32, 32, 3) and arrays["caption"].dtype.kind == "U"
  assert np.array_equal(arrays["y"], arrays["attributes"][:, 0])
  assert list(arrays["caption"]) == list(source.examples(10, 0)["caption"])
  own = method.sample_arrays(sampling.record(
      method, g_vars, method.conditions(4, 0, source, captions=["a red star"])))
  assert list(own["caption"]) == ["a red star"] * 4 and own["attributes"][0, 1] == 0


@pytest.mark.parametrize("encoder", ["bow", "gru"])
def test_words_of_no_training_caption_are_not_read(encoder):
  """A held-out phrasing's untrained words ("you can see ... of ... size") keep their
  random initial embeddings; G and D skip them, so the caption reads as its trained
  words in order, while a trained word still changes the output."""
  _, _, method, g_vars, d_vars, batch = build(**{"model.text_encoder": encoder})
  untrained = {"you", "can", "see", "of", "size"}
  assert {method.vocab[i] for i in range(len(method.vocab))
          if i not in gan_cls.trained_ids("captioned_shapes")} == untrained | {"<pad>", "<unk>"}
  texts = ["you can see a small red circle on the left on a dark background",
           "a small red circle on the left on a dark background",
           "a small blue circle on the left on a dark background"]
  tokens = jnp.asarray(method.encode_captions(texts))
  z = jnp.asarray(np.random.default_rng(0).normal(size=(1, method.z_dim)), jnp.float32)
  x = [np.asarray(method.sample(g_vars, {"z": z, "tokens": tokens[i:i + 1]})["x"])
       for i in range(3)]
  colour_effect = np.abs(x[1] - x[2]).max()
  assert colour_effect > 1e-6
  assert np.abs(x[0] - x[1]).max() < 1e-3 * colour_effect
  d = lambda t: np.asarray(method.D.apply(d_vars, batch["x"][:1], train=False, tokens=t))
  colour_effect = np.abs(d(tokens[1:2]) - d(tokens[2:3])).max()
  assert colour_effect > 1e-7
  assert np.abs(d(tokens[:1]) - d(tokens[1:2])).max() < 1e-3 * colour_effect


def test_g_upsample_nearest_on_shapes_transpose_elsewhere():
  """captioned_shapes' G upsamples by nearest x2 + 3x3 conv (model.g_upsample); the
  transposed form keeps its parameter names (old checkpoints restore)."""
  from gan_jax.networks import text_conditional
  kernels = {}
  for upsample in ("nearest", "transpose"):
    config = experiment_config("gan_cls.py:smoke,data=captioned_shapes",
                               **{**SMALL, "model.g_upsample": upsample})
    G = text_conditional.build(config, (32, 32, 3))[0]
    tokens = jnp.ones((2, 6), jnp.int32)
    g_vars = G.init(jax.random.PRNGKey(0), jnp.zeros((2, 100)), train=False, tokens=tokens)
    kernels[upsample] = sorted((k, v["kernel"].shape)
                               for k, v in g_vars["params"]["Generator_0"].items() if "Conv" in k)
    assert G.apply(g_vars, jnp.ones((2, 100)), train=False, tokens=tokens).shape == (2, 32, 32, 3)
  assert [k for k, _ in kernels["nearest"]] == ["UpsampleConv_0", "UpsampleConv_1",
                                                "UpsampleConv_2"]
  assert kernels["nearest"][-1][1] == (3, 3, 8, 3)
  assert [k for k, _ in kernels["transpose"]] == ["ConvTranspose_0", "ConvTranspose_1",
                                                  "ConvTranspose_2"]
  assert kernels["transpose"][-1][1] == (4, 4, 8, 3)
  assert experiment_config("gan_cls.py:smoke,data=captioned_shapes").model.g_upsample == "nearest"
  assert experiment_config("gan_cls.py:smoke").model.g_upsample == "transpose"
  config = experiment_config("gan_cls.py:smoke,data=captioned_shapes",
                             **{"model.g_upsample": "bilinear"})
  with pytest.raises(ValueError, match="g_upsample"):
    text_conditional.build(config, (32, 32, 3))
