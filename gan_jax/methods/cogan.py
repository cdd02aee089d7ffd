"""Coupled GAN (Liu & Tuzel, 2016): two GANs, one per domain, trained on unpaired
samples of each, whose generators share their first layers and discriminators their
last ones (`networks/cogan.py`). Weight sharing makes G_a(z) and G_b(z) show the same
thing in the two domains: the pair of generators learns the *joint* distribution of
(a, b) without ever seeing a pair (Sec. 3, Eq. 4):

  max_g min_f V(f, g) = sum over domains d of E_{x_d}[-log f_d(x_d)] + E_z[-log(1 - f_d(g_d(z)))]

with the loss pair `loss.name` (the paper's is the minimax one; non-saturating here by
default) applied to each domain's GAN and summed.

Translation (Sec. 5, "cross-domain image transformation"): a has no z, so one is found
by minimising ||G_a(z) - a||^2 over z (Adam, `model.invert_steps` steps from the
sample's seeded z); then ab = G_b(z*) and aba = G_a(z*) (the reconstruction of a: the
unpaired family's cycle). B -> A likewise. Sampling writes the unpaired family's keys
(a, ab, aba, b, ba, bab, y_a / y_b where labelled) and the joint samples
`joint_a` = G_a(z), `joint_b` = G_b(z) of the same z.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax

from gan_jax import parallel, precision, regularizers
from gan_jax.methods import _unpaired, gan

HPARAM_KEYS = ()
INVERT_LR = 0.05  # Adam's step for the z search (z ~ N(0, I): a few hundred steps suffice)


class CoGan(gan.Gan):
  FAMILY = "unpaired"
  SAMPLE_KEYS = _unpaired.Unpaired.SAMPLE_KEYS + ("joint_a", "joint_b")
  CONDITIONS_FROM_DATA = True

  def __init__(self, config, data_shape, ctx=parallel.Context()):
    super().__init__(config, data_shape, ctx)
    self.invert_steps = int(config.model.invert_steps)
    if self.invert_steps < 1:
      raise ValueError(f"model.invert_steps={self.invert_steps}: CoGAN translates by "
                       "searching z for each image; use >= 1 steps (e.g. 200).")
    penalties = [n for n in config.regularizers if n in regularizers.penalty_names()]
    if penalties:
      raise ValueError(f"CoGAN's coupled D does not take gradient penalties ({penalties}); "
                       "remove them from config.regularizers (weight_clip works).")

  def init(self, key, batch):
    k_g, k_d = jax.random.split(key)
    a, b = jnp.asarray(batch["a"][:2]), jnp.asarray(batch["b"][:2])
    if a.shape[1:] != b.shape[1:]:
      raise ValueError(f"CoGAN needs A and B images of one shape; got {a.shape[1:]} and "
                       f"{b.shape[1:]}. Set data.image_size and data.channels.")
    g_vars = self.G.init(k_g, jnp.zeros((2, self.z_dim)), train=False)
    d_vars = self.D.init(k_d, a, b, train=False)
    return dict(g_vars), dict(d_vars)

  def generate(self, g_vars, batch, key, ctx, train: bool):
    """({"a": G_a(z), "b": G_b(z)} of one z per row, G's updated variables)."""
    z = self.latent(key, batch["a"].shape[0], ctx)
    (x_a, x_b), g_vars = gan.apply(self.G, g_vars, z, train)
    return {"a": x_a, "b": x_b}, g_vars

  def _judge(self, variables, x_a, x_b):
    out, updates = precision.apply(self.D, variables, x_a, x_b, train=True,
                                   mutable=["batch_stats"])
    return out, {**variables, **updates}

  def d_loss(self, d_params, d_collections, batch, fake, key, hp, ctx, d_update, reg_config):
    variables = {**d_collections, "params": d_params}
    real, variables = self._judge(variables, batch["a"], batch["b"])
    gen, variables = self._judge(variables, fake["a"], fake["b"])
    parts = [self.d_loss_fn(r, f) for r, f in zip(real, gen)]
    metrics = {"d_loss": parts[0] + parts[1], "d_a_loss": parts[0], "d_b_loss": parts[1],
               "d_a_real": jnp.mean(real[0]), "d_a_fake": jnp.mean(gen[0]),
               "d_b_real": jnp.mean(real[1]), "d_b_fake": jnp.mean(gen[1])}
    return parts[0] + parts[1], ({k: v for k, v in variables.items() if k != "params"}, metrics)

  def g_loss(self, g_params, g_collections, d_vars, batch, key, hp, ctx):
    fake, g_vars = self.generate({**g_collections, "params": g_params}, batch, key, ctx,
                                 train=True)
    out, _ = self._judge(d_vars, fake["a"], fake["b"])  # D's updates are discarded
    parts = [self.g_loss_fn(o) for o in out]
    metrics = {"g_loss": parts[0] + parts[1], "g_a_loss": parts[0], "g_b_loss": parts[1]}
    return parts[0] + parts[1], ({k: v for k, v in g_vars.items() if k != "params"}, metrics)

  # Sampling.
  def conditions(self, n: int, seed: int, data=None, **options) -> dict:
    """Held-out examples of both domains (`Unpaired.conditions`) and a z per row from
    `seed` (joint samples, and where each z search starts)."""
    out = _unpaired.Unpaired.conditions(self, n, seed, data, **options)
    out["z"] = np.asarray(gan.Gan.latent(self, jax.random.PRNGKey(seed), len(out["a"])))
    return out

  def invert(self, g_vars, side: int, x, z0):
    """z* = argmin_z mean (G_side(z) - x)^2 by `invert_steps` Adam steps from z0 (rows
    independent: eval-mode G treats each row alone)."""
    tx = optax.adam(INVERT_LR)
    loss = lambda z: jnp.sum(jnp.mean(
        (self.G.apply(g_vars, z, train=False)[side] - x) ** 2, axis=(1, 2, 3)))

    def step(carry, _):
      z, opt = carry
      updates, opt = tx.update(jax.grad(loss)(z), opt, z)
      return (optax.apply_updates(z, updates), opt), None
    (z, _), _ = jax.lax.scan(step, (z0, tx.init(z0)), None, length=self.invert_steps)
    return z

  def sample(self, g_vars, conditions: dict) -> dict:
    """Joint samples of z, and both translations through the z each image is inverted to."""
    joint_a, joint_b = self.G.apply(g_vars, conditions["z"], train=False)
    out = {"joint_a": joint_a, "joint_b": joint_b}
    for side, (source, there, back) in enumerate((("a", "ab", "aba"), ("b", "ba", "bab"))):
      z = self.invert(g_vars, side, conditions[source], conditions["z"])
      x = self.G.apply(g_vars, z, train=False)
      out[there], out[back] = x[1 - side], x[side]
    out["x"] = out["ab"]
    return out

  def grid(self, record: dict):
    """Two rows of joint pairs (G_a(z) over G_b(z)), then the translation rows of the
    unpaired family (a | ab | aba, b | ba | bab)."""
    cells, rows = _unpaired.Unpaired.grid(self, record)
    width = len(cells) // rows
    pairs = [np.asarray(record[k][:width]) for k in ("joint_a", "joint_b")]
    if len(pairs[0]) < width:
      return cells, rows
    return np.concatenate(pairs + [cells]), rows + 2

  def interpolation_conditions(self, z, seed: int, pairs: int = 1) -> dict:
    raise ValueError("CoGAN's samples are joint pairs drawn with the held-out images; "
                     "--interpolate is for unconditional methods.")

  def discriminate(self, d_vars, x):
    raise ValueError("CoGAN has a coupled D of two domains; D scores under sample grids "
                     "are for unconditional methods.")


def build(config, data_shape, ctx=parallel.Context()):
  return CoGan(config, data_shape, ctx)
