"""Shared helpers of the network tests (imported as tests.networks.helpers)."""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from gan_jax import config as config_lib, networks

KEY = jax.random.PRNGKey(0)


def model_config(name: str, width: int = 8, z_dim: int = 16, **model):
  c = config_lib.base()
  c.model.name, c.model.width, c.model.z_dim = name, width, z_dim
  for k, v in model.items():
    c.model[k] = v
  return c


def build(config, shape, batch: int = 2):
  """(G, D, G's variables, D's variables, z) for images of `shape`."""
  G, D = networks.get(config.model.name).build(config, shape)
  z = jax.random.normal(KEY, (batch, config.model.z_dim))
  return G, D, variables(G, z), variables(D, jnp.zeros((batch, *shape))), z


def variables(module, *args):
  """`module.init(KEY, *args, train=False)`'s variables, with the shapes from
  jax.eval_shape and values from numpy: jax's random initialisers compile for about a
  second per parameter shape on CPU, and these tests need valid values, not jax's
  init (test_dcgan checks the initialisation itself). Params ~ N(0, 0.05), scales
  1 + N(0, 0.05), running means 0, variances and sigmas 1, power-iteration u ~ N(0, 1)."""
  return fill(jax.eval_shape(lambda: module.init(KEY, *args, train=False)))


def fill(shapes):
  """Values for a pytree of variable shapes, by the rules of `variables`."""
  rng = np.random.default_rng(0)

  def value(path, leaf):
    name, shape = str(path[-1].key), leaf.shape
    if name in ("var",) or name.endswith("sigma"):
      return jnp.ones(shape)
    if name == "mean":
      return jnp.zeros(shape)
    noise = jnp.asarray(rng.normal(size=shape), jnp.float32)
    return noise if name.endswith("/u") else (name == "scale") + 0.05 * noise
  return jax.tree_util.tree_map_with_path(value, shapes)


def count(variables):
  return sum(int(np.prod(p.shape)) for p in jax.tree.leaves(variables["params"]))


def check_shapes(config, shape, z_scale: float = 1.0) -> None:
  """G(z) has the data's shape and stays in [-1, 1] (for z scaled by `z_scale` too); D
  gives one logit per image."""
  G, D, g_vars, d_vars, z = build(config, shape)
  x = G.apply(g_vars, z_scale * z, train=False)
  assert x.shape == (2, *shape)
  assert float(jnp.max(jnp.abs(x))) <= 1.0
  assert D.apply(d_vars, x, train=False).shape == (2,)

