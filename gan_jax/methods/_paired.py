"""The paired-translation family: G maps an input a to an output x that should match the
target b; D judges (input, output) against (input, target) (a conditional GAN) or the
output alone; G's loss adds a weighted reconstruction term to the adversarial one:

  L_D = loss_d(D(a, b), D(a, G(a)))
  L_G = gan_weight * loss_g(D(a, G(a))) + content_weight * content(G(a), b)

(Isola et al., 2017, Eq. 4 with content = L1; Ledig et al., 2017, Eq. 3 with content =
MSE or a feature distance; Pascual et al., 2017 for speech). The weights are config
values that enter the step as arrays (`HPARAM_KEYS`), so a sweep or a resumed run may
change them; gan_weight 0 trains G on the content loss alone (D still trains and its
loss is logged, but G ignores it).

A method of the family subclasses `Paired` and says which networks it uses
(`networks`), what G reads (`g_input`), what D sees (`d_input`) and the content loss
(`content`). Batches are {"a", "b", "y" where labelled} (`data.paired.PairedSource`);
G's noise is dropout, whose key is the one the step gives `generate`.

Sampling (DESIGN.md "Method families"): the conditions are held-out examples
({"a", "b", "y"?} of the test split), `sample` adds x = G(a) in eval mode (running
BatchNorm statistics, no dropout), samples.npz holds a, b, x and y where labelled, and
grids show input | output | target rows.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from gan_jax import losses, parallel, precision, regularizers
from gan_jax.methods import gan

HPARAM_KEYS = ()


def apply(module, variables, x, train: bool, key=None):
  """(output, variables with updated non-param collections); `key` feeds dropout."""
  if not train:
    return precision.apply(module, variables, x, train=False), variables
  rngs = {"dropout": key} if key is not None else {}
  out, updates = precision.apply(module, variables, x, train=True, mutable=["batch_stats"],
                                 rngs=rngs)
  return out, {**variables, **updates}


def as_rgb_like(images: np.ndarray, like: np.ndarray) -> np.ndarray:
  """`images` [N, h, w, c] resized (nearest) to `like`'s H and W and given its channels
  (grayscale repeated), for drawing inputs next to outputs."""
  n, h, w, c = images.shape
  H, W, C = like.shape[1:]
  if (h, w) != (H, W):
    images = images.repeat(H // h, axis=1).repeat(W // w, axis=2)
  if c != C:
    images = np.repeat(images[..., :1], C, axis=-1) if C == 3 else images.mean(-1, keepdims=True)
  return images


class Paired(gan.Gan):
  FAMILY = "paired"
  SAMPLE_KEYS = ("a", "b", "x", "y")  # y where the data are labelled
  CONDITIONS_FROM_DATA = True
  GAN_WEIGHT, CONTENT_WEIGHT = "loss.gan_weight", "loss.content_weight"

  def __init__(self, config, data_shape, networks, ctx=parallel.Context()):
    """`networks`: (G, D) Flax modules, G(input, train), D(image, train)."""
    self.data_shape = tuple(data_shape)
    self.G, self.D = networks
    self.loss_name = config.loss.name
    self.d_loss_fn, self.g_loss_fn = losses.get(config.loss.name)
    self.weights = {k: float(config.loss[k.split(".")[1]])
                    for k in (self.GAN_WEIGHT, self.CONTENT_WEIGHT)}

  # What subclasses choose.
  def g_input(self, batch):
    return batch["a"]

  def d_input(self, batch, image):
    """What D judges: the output (or target) alone; a cGAN concatenates the input."""
    return image

  def content(self, fake, batch):
    """The reconstruction term: mean |G(a) - b| (L1, Isola et al., 2017, Eq. 3)."""
    return jnp.mean(jnp.abs(fake - batch["b"]))

  # The pure functions of the step.
  def hparams(self) -> dict:
    return dict(self.weights)

  def latent(self, key, n, ctx=parallel.Context()):
    raise ValueError(f"{type(self).__name__} has no latent z (its noise is dropout); "
                     "--interpolate is for methods that sample z.")

  def init(self, key, batch):
    k_g, k_d, k_drop = jax.random.split(key, 3)
    inp = jnp.asarray(self.g_input(batch)[:2])
    g_vars = dict(self.G.init({"params": k_g, "dropout": k_drop}, inp, train=False))
    fake = self.G.apply(g_vars, inp, train=False)
    d_vars = self.D.init(k_d, self.d_input({k: v[:2] for k, v in batch.items()}, fake),
                         train=False)
    return g_vars, dict(d_vars)

  def generate(self, g_vars, batch, key, ctx, train: bool):
    return apply(self.G, g_vars, self.g_input(batch), train, key)

  def d_loss(self, d_params, d_collections, batch, fake, key, hp, ctx, d_update, reg_config):
    variables = {**d_collections, "params": d_params}
    real_in, fake_in = self.d_input(batch, batch["b"]), self.d_input(batch, fake)
    real_out, variables = apply(self.D, variables, real_in, train=True)
    fake_out, variables = apply(self.D, variables, fake_in, train=True)
    adversarial = self.d_loss_fn(real_out, fake_out)
    d_fn = lambda x: apply(self.D, variables, x, train=True)[0]
    penalty, terms = regularizers.total_penalty(
        reg_config, hp, d_fn, real_in, fake_in, key, ctx, d_update)
    metrics = {"d_loss": adversarial, "d_real": jnp.mean(real_out),
               "d_fake": jnp.mean(fake_out), **terms}
    collections = {k: v for k, v in variables.items() if k != "params"}
    return adversarial + penalty, (collections, metrics)

  def g_loss(self, g_params, g_collections, d_vars, batch, key, hp, ctx):
    fake, g_vars = self.generate({**g_collections, "params": g_params}, batch, key, ctx,
                                 train=True)
    fake_out, _ = apply(self.D, d_vars, self.d_input(batch, fake), train=True)
    adversarial = self.g_loss_fn(fake_out)
    content = self.content(fake, batch)
    loss = hp[self.GAN_WEIGHT] * adversarial + hp[self.CONTENT_WEIGHT] * content
    metrics = {"g_loss": loss, "g_adversarial": adversarial, "g_content": content}
    return loss, ({k: v for k, v in g_vars.items() if k != "params"}, metrics)

  # Sampling.
  def conditions(self, n: int, seed: int, data=None, **options) -> dict:
    """Up to n held-out examples {"a", "b", "y"?} chosen by `seed` (host arrays; all of
    them, in order, when the split has fewer)."""
    del options
    if data is None:
      raise ValueError(f"{type(self).__name__} samples from held-out data; pass the split.")
    return data.examples(None if n >= data.size else n, seed)

  def sample(self, g_vars, conditions: dict) -> dict:
    return {"x": self.G.apply(g_vars, self.g_input(conditions), train=False)}

  def grid(self, record: dict):
    """Rows of (input | output | target) triples: up to 8 rows of 3 triples."""
    per_row = 3 if len(record["x"]) >= 3 else 1
    n = min(len(record["x"]), 24) // per_row * per_row
    x, b = np.asarray(record["x"][:n]), np.asarray(record["b"][:n])
    a = as_rgb_like(np.asarray(record["a"][:n]), x)
    triples = np.stack([a, x, as_rgb_like(b, x)], axis=1).reshape(3 * n, *x.shape[1:])
    return triples, n // per_row

  def discriminate(self, d_vars, x):
    raise ValueError(f"{type(self).__name__}'s D judges (input, output) pairs; D scores "
                     "under sample grids are for unconditional methods.")
