"""StyleGAN2 (Karras et al., 2020): the unconditional GAN with the style-based G of
networks/stylegan.py, style mixing regularisation, lazy R1 (the `regularizers` block:
`r1: {weight: gamma, every: 16}`) and optional lazy path length regularisation.

- Style mixing (Karras et al., 2019, Sec. 3.1): with probability `stylegan.mixing_prob`
  (0.9) a training batch's ws switch from w(z1) to w(z2) at a crossover layer drawn
  uniformly from 1 .. num_ws - 1, one draw per batch (stylegan2-ada-pytorch's
  `StyleGAN2Loss.run_G`); D's and G's updates both see mixed samples.
- w_avg: G's collection "stats" keeps an EMA of the batch's mean w (decay
  `stylegan.w_avg_beta`, 0.995), updated by G's updates (not D's), under pmap of the
  global batch; sampling truncates towards it by `sample.truncation` (psi; 1: none).
- Path length regularisation (Sec. 3.2, Eq. 4): with `stylegan.pl_weight` > 0, every
  `stylegan.pl_every`-th G update adds pl_every x pl_weight x E[(||J_w^T y|| - a)^2]
  with y ~ N(0, I) / sqrt(H W), ||J_w^T y|| = sqrt(mean over layers of the squared norm
  of the gradient w.r.t. each layer's w), and `a` the EMA of its mean (decay
  `stylegan.pl_decay`, 0.01) kept in G's collection "path_length" with the count of G
  updates (checkpointed and resumed with the state). The paper computes it on half
  the batch in a separate update; here on the whole batch inside the G update.

Sampling uses the fixed noise draw (networks/stylegan.py) and clips to [-1, 1]
(G's output is linear; the official code clamps when converting to pixels).
"""
from __future__ import annotations

import jax
import jax.numpy as jnp

from gan_jax import precision
from gan_jax.methods import gan
from gan_jax.networks import stylegan as nets

HPARAM_KEYS = ("stylegan.pl_weight",)


def check(config) -> None:
  gan.check(config)
  if config.model.name != "stylegan":
    raise ValueError(f"method stylegan needs model.name='stylegan' (its G takes styles), "
                     f"got {config.model.name!r}; set --config.model.name=stylegan.")
  s = config.stylegan
  if not 0.0 <= s.mixing_prob <= 1.0:
    raise ValueError(f"stylegan.mixing_prob={s.mixing_prob!r} must be in [0, 1]; e.g. "
                     "--config.stylegan.mixing_prob=0.9 (the paper's).")
  if not s.pl_weight >= 0:
    raise ValueError(f"stylegan.pl_weight={s.pl_weight!r} must be >= 0 (0: off); e.g. "
                     "--config.stylegan.pl_weight=2.0 (the paper's).")
  if isinstance(s.pl_every, bool) or not isinstance(s.pl_every, int) or s.pl_every < 1:
    raise ValueError(f"stylegan.pl_every={s.pl_every!r} must be an integer >= 1; e.g. "
                     "--config.stylegan.pl_every=4 (the paper's).")
  psi = config.sample.truncation
  if not 0.0 <= psi <= 1.0:
    raise ValueError(f"sample.truncation={psi!r} must be in [0, 1] (psi; 1: no "
                     "truncation); e.g. --config.sample.truncation=0.7.")


class StyleGan(gan.Gan):

  def __init__(self, config, data_shape, ctx=gan.parallel.Context()):
    super().__init__(config, data_shape, ctx)
    s = config.stylegan
    self.size = self.data_shape[0]
    self.num_ws = nets.num_ws(self.size)
    self.mixing_prob = float(s.mixing_prob)
    self.pl_weight, self.pl_every = float(s.pl_weight), int(s.pl_every)
    self.pl_decay = float(s.pl_decay)
    self.truncation = float(config.sample.truncation)

  def hparams(self) -> dict:
    return {"stylegan.pl_weight": self.pl_weight}

  def init(self, key, batch):
    g_vars, d_vars = super().init(key, batch)
    g_vars["path_length"] = {"mean": jnp.zeros((), jnp.float32),
                             "updates": jnp.zeros((), jnp.int32)}
    return g_vars, d_vars

  def noise(self, key, n, ctx):
    return [ctx.normal(jax.random.fold_in(key, i), (n,) + s)
            for i, s in enumerate(nets.noise_shapes(self.size))]

  def styles(self, g_vars, key, n, ctx, train: bool):
    """(ws [n, num_ws, w_dim] with style mixing, noise, updated "stats")."""
    k_z, k_z2, k_cut, k_mix, k_noise = jax.random.split(key, 5)
    z, z2 = self.latent(k_z, n, ctx), self.latent(k_z2, n, ctx)
    # one crossover per batch, the same on every device (the key is replicated)
    cutoff = jax.random.randint(k_cut, (), 1, self.num_ws)
    cutoff = jnp.where(jax.random.uniform(k_mix, ()) < self.mixing_prob, cutoff, self.num_ws)
    mutable = ["stats"] if train else False
    out = precision.apply(self.G, g_vars, z, psi=1.0, train=train, method="mapping",
                          mutable=mutable)
    w, stats = out if train else (out, {"stats": g_vars["stats"]})
    w2 = precision.apply(self.G, {**g_vars, **stats}, z2, method="mapping")
    ws = nets.mix(jnp.repeat(w[:, None], self.num_ws, axis=1), w2, cutoff)
    return ws, self.noise(k_noise, n, ctx), stats

  def synthesis(self, g_vars, ws, noise):
    return precision.apply(self.G, g_vars, ws, noise, method="synthesis")

  def generate(self, g_vars, batch, key, ctx, train: bool):
    ws, noise, stats = self.styles(g_vars, key, batch["x"].shape[0], ctx, train)
    return self.synthesis(g_vars, ws, noise), {**g_vars, **stats}

  def path_length_penalty(self, g_vars, batch, key, ctx):
    """(pl_every x E[(||J^T y|| - a)^2], the batch's mean path length), Eq. 4."""
    k_ws, k_y = jax.random.split(key)
    n = batch["x"].shape[0]
    ws, noise, _ = self.styles(g_vars, k_ws, n, ctx, train=False)
    img, vjp = jax.vjp(lambda v: self.synthesis(g_vars, v, noise), ws)
    y = ctx.normal(k_y, img.shape) / jnp.sqrt(float(img.shape[1] * img.shape[2]))
    grads = vjp(y)[0]
    lengths = jnp.sqrt(jnp.mean(jnp.sum(grads ** 2, axis=2), axis=1))
    mean = ctx.pmean(jnp.mean(lengths))
    a = g_vars["path_length"]["mean"]
    a = a + self.pl_decay * (jax.lax.stop_gradient(mean) - a)  # from 0, as the paper's code
    return self.pl_every * jnp.mean((lengths - a) ** 2), a

  def g_loss(self, g_params, g_collections, d_vars, batch, key, hp, ctx):
    k_adv, k_pl = jax.random.split(key)
    loss, (collections, metrics) = super().g_loss(g_params, g_collections, d_vars, batch,
                                                  k_adv, hp, ctx)
    if not self.pl_weight:
      return loss, (collections, metrics)
    g_vars = {**g_collections, "params": g_params}
    state = g_collections["path_length"]
    due = state["updates"] % self.pl_every == 0
    penalty, mean = jax.lax.cond(
        due, lambda: self.path_length_penalty(g_vars, batch, k_pl, ctx),
        lambda: (jnp.zeros((), jnp.float32), state["mean"]))
    collections = {**collections, "path_length": {"mean": mean,
                                                  "updates": state["updates"] + 1}}
    metrics = {**metrics, "path_length": mean, "pl_penalty": penalty}
    return loss + hp["stylegan.pl_weight"] * penalty, (collections, metrics)

  def sampling_protocol(self) -> dict:
    """What eval.json records of how the samples were drawn (train.evaluate)."""
    return {"truncation": self.truncation, "noise": "fixed draw (noise_mode='const')"}

  def sample(self, g_vars, conditions: dict) -> dict:
    """{"x": G(z)} truncated by psi = sample.truncation, fixed noise, in [-1, 1]."""
    x = self.G.apply(g_vars, conditions["z"], psi=self.truncation)
    return {"x": jnp.clip(x, -1.0, 1.0)}

  def mixed(self, g_vars, z_coarse, z_fine, cutoff: int, psi: float = 1.0):
    """Images whose layers < cutoff take z_coarse's styles and the rest z_fine's (the
    paper's Fig. 3: coarse styles from one source, fine from the other); [N, ...]."""
    w = self.G.apply(g_vars, z_coarse, psi=psi, method="mapping")
    w2 = self.G.apply(g_vars, z_fine, psi=psi, method="mapping")
    ws = nets.mix(jnp.repeat(w[:, None], self.num_ws, axis=1), w2, cutoff)
    return jnp.clip(self.G.apply(g_vars, ws, method="synthesis"), -1.0, 1.0)


def build(config, data_shape, ctx=gan.parallel.Context()):
  return StyleGan(config, data_shape, ctx)
