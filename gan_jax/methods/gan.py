"""The unconditional GAN (Goodfellow et al., 2014): G maps noise z to samples, D scores
real against generated samples with any loss pair of `losses` and the regularizers of
the config. Used for toy data and unconditional image generation."""
from __future__ import annotations

import jax
import jax.numpy as jnp

from gan_jax import losses, networks, parallel, regularizers

HPARAM_KEYS = ()  # config keys of this method that enter the step as arrays (hparams())
Z_DISTS = ("normal", "uniform")


def check(config) -> None:
  """This method's own config rules (gan_jax/validate.py runs them with the shared ones)."""
  if config.model.z_dist not in Z_DISTS:
    raise ValueError(f"model.z_dist={config.model.z_dist!r} must be one of "
                     f"{', '.join(Z_DISTS)}; e.g. --config.model.z_dist=normal.")


def apply(module, variables, x, train: bool):
  """(output, variables with updated non-param collections) for a Flax module."""
  if not train:
    return module.apply(variables, x, train=False), variables
  out, updates = module.apply(variables, x, train=True, mutable=["batch_stats"])
  return out, {**variables, **updates}


class Gan:
  def __init__(self, config, data_shape, ctx=parallel.Context()):
    self.data_shape = tuple(data_shape)
    self.G, self.D = networks.get(config.model.name).build(config, data_shape, ctx.axis_name)
    self.loss_name = config.loss.name
    self.d_loss_fn, self.g_loss_fn = losses.get(config.loss.name)
    check(config)
    self.z_dim, self.z_dist = int(config.model.z_dim), config.model.z_dist

  def hparams(self) -> dict:
    return {}

  def latent(self, key, n: int, ctx=parallel.Context()):
    """z ~ N(0, I) or U[-1, 1]^z_dim, shape [n, z_dim]."""
    if self.z_dist == "normal":
      return ctx.normal(key, (n, self.z_dim))
    return ctx.uniform(key, (n, self.z_dim), -1.0, 1.0)

  def init(self, key, batch):
    k_g, k_d = jax.random.split(key)
    x = jnp.asarray(batch["x"][:2])
    g_vars = self.G.init(k_g, jnp.zeros((2, self.z_dim)), train=False)
    d_vars = self.D.init(k_d, x, train=False)
    return dict(g_vars), dict(d_vars)

  def generate(self, g_vars, batch, key, ctx, train: bool):
    z = self.latent(key, batch["x"].shape[0], ctx)
    return apply(self.G, g_vars, z, train)

  def d_loss(self, d_params, d_collections, batch, fake, key, hp, ctx, d_update, reg_config):
    variables = {**d_collections, "params": d_params}
    real_out, variables = apply(self.D, variables, batch["x"], train=True)
    fake_out, variables = apply(self.D, variables, fake, train=True)
    adversarial = self.d_loss_fn(real_out, fake_out)
    d_fn = lambda x: apply(self.D, variables, x, train=True)[0]
    penalty, terms = regularizers.total_penalty(
        reg_config, hp, d_fn, batch["x"], fake, key, ctx, d_update)
    metrics = {"d_loss": adversarial, "d_real": jnp.mean(real_out),
               "d_fake": jnp.mean(fake_out), **terms}
    if losses.estimates_wasserstein(self.loss_name):
      metrics["wasserstein"] = -adversarial
    collections = {k: v for k, v in variables.items() if k != "params"}
    return adversarial + penalty, (collections, metrics)

  def g_loss(self, g_params, g_collections, d_vars, batch, key, hp, ctx):
    fake, g_vars = self.generate({**g_collections, "params": g_params}, batch, key, ctx,
                                 train=True)
    fake_out, _ = apply(self.D, d_vars, fake, train=True)  # D's updates are discarded
    loss = self.g_loss_fn(fake_out)
    return loss, ({k: v for k, v in g_vars.items() if k != "params"}, {"g_loss": loss})

  def sample(self, g_vars, z):
    """G(z) in eval mode (running BatchNorm statistics)."""
    return self.G.apply(g_vars, z, train=False)

  def discriminate(self, d_vars, x):
    """D(x) in eval mode."""
    return self.D.apply(d_vars, x, train=False)


def build(config, data_shape, ctx=parallel.Context()):
  """The method for `config`; `ctx` says which devices the train step runs on."""
  return Gan(config, data_shape, ctx)
