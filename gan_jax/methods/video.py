"""Video frame prediction (Mathieu et al., 2016, "Deep multi-scale video prediction beyond
mean square error"): G maps the past frames and a latent z to the future frames; D
judges (past, future) sequences against (past, predicted future) ones; G's loss adds a
weighted content term (the paper's L2 loss, p = 2) to the adversarial one:

  L_D = loss_d(D(past, future), D(past, G(past, z)))
  L_G = gan_weight * loss_g(D(past, G(past, z)))
        + content_weight * sum_t w_t MSE_t(G(past, z), future) / sum_t w_t

with MSE_t the mean squared error of future frame t (t = 0 .. F-1), w_0 = 1 and w_t =
`loss.later_content_weight` for t >= 1. All three weights are step arrays (`HPARAM_KEYS`),
so the MSE baseline (gan_weight 0, later_content_weight 1: plain MSE over every future
frame, the blur baseline; D still trains and its loss is logged) and the GAN run as one
vmapped sweep with the same G.

Why w_t: at a fork (data.motion=fork) the first future frame is the same for both
branches, the later ones are not; the minimiser of E||G - future||^2 over two equally
likely futures is their average: two half-bright ghosts. Any positive weight on those
frames pulls the GAN towards the ghosts; with a short training and small networks the
adversarial term does not win that tug of war reliably. The experiment's GAN therefore
puts the content term on the deterministic first future frame only (w_t = 0 for t >= 1:
it anchors the item's appearance and where the fork starts) and leaves the frames after
the fork to D. Mathieu et al. weight the terms lambda_adv = 0.05, lambda_lp = 1 (and
lambda_gdl = 1, their gradient difference loss, not used here) on every predicted frame;
their data (UCF101, Sports1m) have no fork, and their G takes no z (it is deterministic).

z [B, model.z_dim] ~ N(0, I) enters G at the bottleneck (networks/video.py): it is what
lets the GAN choose a branch, a different one for a different z. Nothing in the two
terms above asks G to use it (a G that always turns right fools D as well: each sample
is realistic), and conditional GANs tend to ignore their noise (Isola et al., 2017,
Sec. 2.2; Mathieu et al. give G none). `loss.diversity_weight` = lambda_ms > 0 adds the
mode-seeking term of Mao et al. (2019, "Mode seeking generative adversarial networks
for diverse image synthesis", Eq. 3) with two more z per past:

  L_G += lambda_ms / (mean|G(past, z1) - G(past, z2)| / mean|z1 - z2| + 1e-5)

(a step array too, in the state only when > 0; 0, the default, leaves the extra passes of
G out of the step and the weight out of the state, so a run cannot switch it on or off
on resume).

Batches are {"past" [B, P, H, W, C], "future" [B, F, H, W, C], ...} (`data.moving`).
Sampling (DESIGN.md "Method families"): the conditions are held-out sequences of the test
split with one z each; samples.npz holds `past`, `future`, `x` = G(past, z) (float32
[N, F, H, W, C]), and `branch`, `alternative` (the other branch's future) and `y` where
the data have them; grids show past | prediction | truth rows.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from gan_jax import parallel, precision
from gan_jax.methods import _paired
from gan_jax.networks import video as nets

LATER = "loss.later_content_weight"
DIVERSITY = "loss.diversity_weight"
HPARAM_KEYS = ("loss.gan_weight", "loss.content_weight", LATER, DIVERSITY)
SAMPLE_KEYS = ("past", "future", "x", "branch", "alternative", "y")
GRID_ROWS = 8


def check(config) -> None:
  if config.data.name != "moving_fashion":
    raise ValueError(f"method video predicts frames of data.name=moving_fashion, not "
                     f"{config.data.name!r}.")
  if float(config.loss.get("later_content_weight", 1.0)) < 0:
    raise ValueError(f"loss.later_content_weight={config.loss.later_content_weight} must be "
                     ">= 0 (the content term's weight on future frames after the first).")
  if float(config.loss.get("diversity_weight", 0.0)) < 0:
    raise ValueError(f"loss.diversity_weight={config.loss.diversity_weight} must be >= 0 "
                     "(the mode-seeking weight; 0: off).")


class Video(_paired.Paired):
  FAMILY = "video"
  SAMPLE_KEYS = SAMPLE_KEYS

  def __init__(self, config, data_shape, ctx=parallel.Context()):
    super().__init__(config, data_shape, nets.build(config, data_shape, ctx.axis_name), ctx)
    self.z_dim = int(config.model.z_dim)
    self.weights[LATER] = float(config.loss.get("later_content_weight", 1.0))
    diversity = float(config.loss.get("diversity_weight", 0.0))
    self.diversity = diversity > 0  # static: the extra G passes are built or not
    if self.diversity:  # in the state only when on (a run without it keeps its structure)
      self.weights[DIVERSITY] = diversity

  # What the Paired family lets a member choose.
  def g_input(self, batch):
    return batch["past"]

  def d_input(self, batch, future):
    """[B, P + F, H, W, C]: the past followed by the (true or predicted) future."""
    return jnp.concatenate([batch["past"], future.astype(batch["past"].dtype)], axis=1)

  def content(self, fake, batch, later=1.0):
    """sum_t w_t MSE_t / sum_t w_t, w_0 = 1, w_t = `later` for t >= 1 (module doc)."""
    per_frame = jnp.mean((fake - batch["future"]) ** 2, axis=(0, 2, 3, 4))  # [F]
    w = jnp.ones_like(per_frame).at[1:].set(later)
    return jnp.sum(w * per_frame) / jnp.sum(w)

  # The pure functions of the step.
  def init(self, key, batch):
    k_g, k_d = jax.random.split(key)
    two = {k: jnp.asarray(v[:2]) for k, v in batch.items()}
    z = jnp.zeros((2, self.z_dim))
    g_vars = dict(self.G.init(k_g, two["past"], z, train=False))
    fake = self.G.apply(g_vars, two["past"], z, train=False)
    return g_vars, dict(self.D.init(k_d, self.d_input(two, fake), train=False))

  def generate(self, g_vars, batch, key, ctx, train: bool):
    past = batch["past"]
    z = ctx.normal(key, (past.shape[0], self.z_dim))
    return precision.apply(self.G, g_vars, past, z, train=train), g_vars

  def d_loss(self, d_params, d_collections, batch, fake, key, hp, ctx, d_update, reg_config):
    return super().d_loss(d_params, d_collections, {**batch, "b": batch["future"]}, fake,
                          key, hp, ctx, d_update, reg_config)

  def g_loss(self, g_params, g_collections, d_vars, batch, key, hp, ctx):
    fake, g_vars = self.generate({**g_collections, "params": g_params}, batch, key, ctx,
                                 train=True)
    fake_out, _ = _paired.apply(self.D, d_vars, self.d_input(batch, fake), train=True)
    adversarial = self.g_loss_fn(fake_out)
    content = self.content(fake, batch, hp[LATER])
    loss = hp[self.GAN_WEIGHT] * adversarial + hp[self.CONTENT_WEIGHT] * content
    metrics = {"g_adversarial": adversarial, "g_content": content,
               "g_mse": jnp.mean((fake - batch["future"]) ** 2)}
    if self.diversity:  # mode seeking (Mao et al., 2019, Eq. 3): another z, same past
      k1, k2 = jax.random.split(jax.random.fold_in(key, 1))
      z1, z2 = (ctx.normal(k, (fake.shape[0], self.z_dim)) for k in (k1, k2))
      g_all = {**g_collections, "params": g_params}
      x1, x2 = (precision.apply(self.G, g_all, batch["past"], z, train=True) for z in (z1, z2))
      ratio = jnp.mean(jnp.abs(x1 - x2)) / jnp.mean(jnp.abs(z1 - z2))
      loss = loss + hp[DIVERSITY] / (ratio + 1e-5)
      metrics["g_diversity"] = ratio
    metrics["g_loss"] = loss
    return loss, ({k: v for k, v in g_vars.items() if k != "params"}, metrics)

  # Sampling.
  def conditions(self, n: int, seed: int, data=None, **options) -> dict:
    """Up to n held-out sequences chosen by `seed` (all, in order, when the split has
    fewer), their batch keys (+ "alternative" at a fork) and "z" [n, z_dim] drawn from
    `seed`."""
    del options
    if data is None:
      raise ValueError("video predicts held-out sequences; pass the split.")
    e = data.examples(None if n >= data.size else n, seed)
    z = np.random.default_rng([seed, 26]).standard_normal((len(e["past"]), self.z_dim))
    return {**e, "z": z.astype(np.float32)}

  def sample(self, g_vars, conditions: dict) -> dict:
    return {"x": self.G.apply(g_vars, conditions["past"], conditions["z"], train=False)}

  def grid(self, record: dict):
    """Rows of past | prediction | truth frames (P + 2F cells), up to GRID_ROWS rows."""
    n = min(len(record["x"]), GRID_ROWS)
    rows = [np.concatenate([np.asarray(record[k][i]) for k in ("past", "x", "future")])
            for i in range(n)]
    return np.concatenate(rows).astype(np.float32), n

  def discriminate(self, d_vars, x):
    raise ValueError("video's D judges (past, future) sequences; D scores under sample "
                     "grids are for unconditional methods.")


def build(config, data_shape, ctx=parallel.Context()):
  return Video(config, data_shape, ctx)
