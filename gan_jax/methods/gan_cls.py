"""GAN-CLS and GAN-INT (Reed et al., 2016, "Generative Adversarial Text to Image
Synthesis", Sec. 4.2-4.3, Alg. 1): text-to-image with a matching-aware discriminator.

G(z, phi(t)) and D(x, phi(t)) (networks/text_conditional.py). With s_r = D(x, t),
s_w = D(x, t_hat) (a real image with a mismatched caption), s_f = D(G(z, t), t) and a
loss pair d(real, fake) = r(real) + f(fake) (non-saturating: r = -log sigmoid,
f = -log(1 - sigmoid)):

  L_D = r(s_r) + (f(s_w) + f(s_f)) / 2 = (d(s_r, s_f) + d(s_r, s_w)) / 2   (Alg. 1, line 10)
  L_G = g(s_f)                                                            (line 12)

`loss.mismatch=False` drops the s_w term (L_D = d(s_r, s_f): the plain conditional
GAN, the paper's "GAN" baseline). Mismatched captions t_hat are drawn in the step from
the other rows of the batch, among those whose image states different attributes
(captioned_shapes: `attributes`; otherwise the class `y`): a Gumbel-max choice over
the rows that differ (a row with none left keeps a random row).

GAN-INT (`loss.interp`): G also trains on interpolated embeddings
beta phi(t1) + (1 - beta) phi(t2), beta = 0.5, t2 the caption of the next row of the
batch: L_G += g(D(G(z', t_int), t_int)) (paper, Eq. 5). As in the paper, D never
trains on them ("D does not have real corresponding image and text pairs to train
on"): they appear only in G's step, where D is frozen.

Hyperparameters (paper, Sec. 5): Adam 2e-4, beta1 0.5, batch 64 (experiments/gan_cls.py).

Sampling: the conditions are held-out captions (`eval.reference_split`, the test
split: held-out phrasings) with their image's `y` and `attributes`, or the captions
of a user's file (`--captions FILE`), each with several z; samples.npz holds `x`,
`caption` (str), `y`, `attributes` (captioned_shapes) and the test split's novelty
flags.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from gan_jax import losses, parallel, regularizers
from gan_jax.data import captions as captions_lib
from gan_jax.methods import gan
from gan_jax.networks import text_conditional

HPARAM_KEYS = ()
FLAGS = ("novel_template", "novel_combination")


def check(config) -> None:
  if config.model.name != "text_conditional":
    raise ValueError(f"method gan_cls needs model.name='text_conditional' (G and D read "
                     f"captions), got {config.model.name!r}.")
  if config.data.name not in ("captioned_shapes", "fashion_mnist_captions"):
    raise ValueError(f"method gan_cls needs captioned data (data.name=captioned_shapes or "
                     f"fashion_mnist_captions), got {config.data.name!r}.")
  vocab = len(vocabulary(config.data.name))
  if int(config.model.vocab_size) != vocab:
    raise ValueError(f"model.vocab_size={config.model.vocab_size}, but data.name="
                     f"{config.data.name!r} has {vocab} words; set "
                     f"--config.model.vocab_size={vocab}.")


def _module(data_name: str):
  from gan_jax.data import fashion_captions, shapes
  return shapes if data_name == "captioned_shapes" else fashion_captions


def vocabulary(data_name: str) -> list[str]:
  return _module(data_name).vocab()


def trained_ids(data_name: str) -> tuple[int, ...]:
  """Vocabulary ids of the words of the training captions: the only words the text
  encoders read (networks/text_conditional.TextEncoder). The vocabulary also holds the
  held-out phrasings' words so that they encode; those no training caption has would
  otherwise enter phi with their random initial embeddings."""
  trained = set(_module(data_name).training_words())
  return tuple(i for i, w in enumerate(vocabulary(data_name)) if w in trained)


def parse(data_name: str, texts) -> dict:
  """{"y": int32 [n], "attributes": int32 [n, 9]?}: what captions state (-1: nothing)."""
  from gan_jax.data import fashion_captions, shapes
  if data_name == "captioned_shapes":
    attributes = np.array([shapes.parse_caption(t) for t in texts], np.int32)
    return {"y": attributes[:, 0], "attributes": attributes}
  return {"y": np.array([fashion_captions.parse_caption(t) for t in texts], np.int32)}


def mismatched_rows(meaning, key):
  """int32 [B]: for each row of `meaning` [B, A], another row whose meaning differs,
  uniformly among those (Gumbel-max); a row that no other differs from gets any row."""
  same = jnp.all(meaning[:, None, :] == meaning[None, :, :], axis=-1)
  scores = jax.random.gumbel(key, same.shape) - 1e9 * same
  return jnp.argmax(scores, axis=1)


class GanCls(gan.Gan):
  FAMILY = "text-conditional"
  SAMPLE_KEYS = ("x", "caption", "y", "attributes") + FLAGS
  CONDITIONS_FROM_DATA = True

  def __init__(self, config, data_shape, ctx=parallel.Context()):
    check(config)
    gan.check(config)
    self.data_shape = tuple(data_shape)
    self.G, self.D = text_conditional.build(config, data_shape, ctx.axis_name,
                                            trained_ids(config.data.name))
    self.loss_name = config.loss.name
    self.d_loss_fn, self.g_loss_fn = losses.get(config.loss.name)
    self.z_dim, self.z_dist = int(config.model.z_dim), config.model.z_dist
    self.pack, self.minibatch_chunk = 1, 0
    self.mismatch, self.interp = bool(config.loss.mismatch), bool(config.loss.interp)
    self.data_name = config.data.name
    self.vocab = vocabulary(config.data.name)
    self.length = _module(config.data.name).max_length()

  def init(self, key, batch):
    k_g, k_d = jax.random.split(key)
    x, tokens = jnp.asarray(batch["x"][:2]), jnp.asarray(batch["tokens"][:2])
    g_vars = self.G.init(k_g, jnp.zeros((2, self.z_dim)), train=False, tokens=tokens)
    d_vars = self.D.init(k_d, x, train=False, tokens=tokens)
    return dict(g_vars), dict(d_vars)

  def generate(self, g_vars, batch, key, ctx, train: bool):
    z = self.latent(key, batch["x"].shape[0], ctx)
    return gan.apply(self.G, g_vars, z, train, tokens=batch["tokens"])

  def critic(self, variables, x, batch):
    return gan.apply(self.D, variables, x, train=True, tokens=batch["tokens"])

  def mismatched_tokens(self, batch, key):
    """Captions of other rows of the batch that state something else (module docstring)."""
    meaning = batch["attributes"] if "attributes" in batch else batch["y"][:, None]
    return batch["tokens"][mismatched_rows(meaning, key)]

  def d_loss(self, d_params, d_collections, batch, fake, key, hp, ctx, d_update, reg_config):
    variables = {**d_collections, "params": d_params}
    k_wrong, key = jax.random.split(key)
    real_out, variables = self.critic(variables, batch["x"], batch)
    fake_out, variables = self.critic(variables, fake, batch)
    adversarial = self.d_loss_fn(real_out, fake_out)
    metrics = {"d_real": jnp.mean(real_out), "d_fake": jnp.mean(fake_out)}
    if self.mismatch:
      wrong_out, variables = gan.apply(self.D, variables, batch["x"], True,
                                       tokens=self.mismatched_tokens(batch, k_wrong))
      adversarial = 0.5 * (adversarial + self.d_loss_fn(real_out, wrong_out))
      metrics["d_wrong"] = jnp.mean(wrong_out)
    d_fn = lambda x: self.critic(variables, x, batch)[0]
    penalty, terms = regularizers.total_penalty(
        reg_config, hp, d_fn, batch["x"], fake, key, ctx, d_update)
    collections = {k: v for k, v in variables.items() if k != "params"}
    return adversarial + penalty, (collections, {"d_loss": adversarial, **metrics, **terms})

  def g_loss(self, g_params, g_collections, d_vars, batch, key, hp, ctx):
    k_z, k_int = jax.random.split(key)
    g_vars = {**g_collections, "params": g_params}
    fake, g_vars = self.generate(g_vars, batch, k_z, ctx, train=True)
    loss = self.g_loss_fn(self.critic(d_vars, fake, batch)[0])  # D's updates are discarded
    metrics = {"g_loss": loss}
    if self.interp:
      tokens, mix = batch["tokens"], jnp.roll(batch["tokens"], 1, axis=0)
      z = self.latent(k_int, tokens.shape[0], ctx)
      x_int, g_vars = gan.apply(self.G, g_vars, z, True, tokens=tokens, mix=mix)
      out_int, _ = gan.apply(self.D, d_vars, x_int, True, tokens=tokens, mix=mix)
      metrics["g_loss_interp"] = self.g_loss_fn(out_int)
      loss = loss + metrics["g_loss_interp"]
    return loss, ({k: v for k, v in g_vars.items() if k != "params"}, metrics)

  # Sampling.
  def encode_captions(self, texts) -> np.ndarray:
    """int32 [n, L] tokens of a user's captions; unknown words are an error."""
    known = set(self.vocab)
    for i, text in enumerate(texts):
      unknown = [w for w in captions_lib.words(text) if w not in known]
      if unknown:
        raise ValueError(
            f"Caption {i + 1} ({text!r}) has words outside the {self.data_name} vocabulary: "
            f"{', '.join(unknown)}. Use words of its captions ({len(self.vocab) - 2} words, "
            f"e.g. {', '.join(self.vocab[2:12])}).")
      if not captions_lib.words(text):
        raise ValueError(f"Caption {i + 1} is empty; write one caption per line.")
    return captions_lib.encode(list(texts), self.vocab, self.length)

  def conditions(self, n: int, seed: int, data=None, captions=None, **options) -> dict:
    """The conditions of n samples from `seed`: with `captions` (a list of strings, e.g.
    --captions FILE), caption i mod K with z column i // K (each caption n/K times);
    else n captions of the held-out split `data` (all of its images when n >= its size,
    again with new z past that), one caption per image, with its y / attributes /
    flags. Keys: z, tokens, caption (str), y, attributes? and flags?."""
    if options:
      super().conditions(n, seed, **options)  # the base class names the unknown options
    z = np.asarray(self.latent(jax.random.PRNGKey(seed), n))
    if captions is not None:
      texts = [str(t) for t in captions]
      if not texts:
        raise ValueError("--captions: the file has no captions (one per line).")
      tokens = self.encode_captions(texts)
      rows = np.arange(n) % len(texts)
      out = {"z": z, "tokens": tokens[rows], "caption": np.array(texts)[rows]}
      return {**out, **{k: v[rows] for k, v in parse(self.data_name, texts).items()}}
    if data is None:
      raise ValueError("gan_cls samples from held-out captions; pass the split.")
    ex = data.examples(None if n >= data.size else n, seed)
    rows = np.arange(n) % len(ex["x"])
    keep = ("tokens", "caption", "y", "attributes") + FLAGS
    return {"z": z, **{k: np.asarray(ex[k])[rows] for k in keep if k in ex}}

  def interpolation_conditions(self, z, seed: int, pairs: int = 1) -> dict:
    raise ValueError("--interpolate walks z at a fixed class; gan_cls samples from captions "
                     "(use --mode sample, or --captions FILE with one caption per line).")

  def sample(self, g_vars, conditions: dict) -> dict:
    """{"x": G(z, tokens)} in eval mode."""
    return {"x": self.G.apply(g_vars, conditions["z"], train=False,
                              tokens=conditions["tokens"])}

  def grid(self, record: dict):
    """One row per caption in the --captions layout (caption i mod K), else the samples
    as they come (held-out captions, which may repeat by chance)."""
    texts = np.asarray(record["caption"])
    distinct = list(dict.fromkeys(texts.tolist()))
    k = len(distinct)
    periodic = np.array_equal(texts, np.asarray(distinct)[np.arange(len(texts)) % k])
    if k == len(texts) or not periodic:
      return record["x"], None
    rows = [np.asarray(record["x"])[texts == t] for t in distinct]
    cols = min(len(r) for r in rows)
    return np.concatenate([r[:cols] for r in rows]), len(rows)

  def discriminate(self, d_vars, x):
    raise ValueError("gan_cls's D judges (image, caption) pairs; sample.annotate is for "
                     "unconditional methods.")


def build(config, data_shape, ctx=parallel.Context()):
  return GanCls(config, data_shape, ctx)
