"""Shared helpers of the network tests (imported as tests.networks.helpers)."""
from __future__ import annotations

import flax
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



def run_power_iteration(D, d_vars, x, iterations: int = 300):
  """D's variables after `iterations` train-mode calls on `x`, one compiled loop: each
  call is one power-iteration step of every spectrally normalised layer."""
  def body(_, stats):
    _, updates = D.apply({**d_vars, "batch_stats": stats}, x, train=True,
                         mutable=["batch_stats"])
    return updates["batch_stats"]
  stats = jax.jit(lambda s: jax.lax.fori_loop(0, iterations, body, s))(d_vars["batch_stats"])
  return {**d_vars, "batch_stats": stats}


def spectral_norm_layers(variables):
  """{"path/to/Layer": (kernel, stored sigma)} for every spectrally normalised layer:
    batch_stats [..., SpectralNorm_i, "Layer/kernel/sigma"] <-> params [..., Layer, kernel]."""
  out = {}
  for path, sigma in flax.traverse_util.flatten_dict(variables["batch_stats"]).items():
    if not path[-1].endswith("/sigma"):
      continue
    layer, name, _ = path[-1].split("/")
    node = variables["params"]
    for p in [p for p in path[:-1] if not p.startswith("SpectralNorm_")] + [layer]:
      node = node[p]
    out["/".join([*path[:-2], layer])] = (node[name], sigma)
  return out


def largest_singular_value(kernel) -> float:
  """sigma_max of the kernel as spectral norm sees it: reshaped to [-1, C_out]."""
  kernel = np.asarray(kernel)
  return float(np.linalg.svd(kernel.reshape(-1, kernel.shape[-1]), compute_uv=False)[0])


def normalised_params(variables):
  """`variables["params"]` with every spectrally normalised kernel divided by its
  largest singular value: W / sigma(W), what a converged spectral norm applies."""
  flat = flax.traverse_util.flatten_dict(variables["params"])
  for path, (kernel, _) in spectral_norm_layers(variables).items():
    parts = [p for p in path.split("/") if not p.startswith("SpectralNorm_")]
    flat[(*parts, "kernel")] = kernel / largest_singular_value(kernel)
  return flax.traverse_util.unflatten_dict(flat)


def check_spectral_norm(D, D_plain, d_vars, x, num_layers: int) -> None:
  """After enough power iterations every stored sigma is the largest singular value of
  its reshaped kernel, and D (eval mode) computes what the same network without
  spectral norm computes with every kernel replaced by W / sigma_max."""
  converged = run_power_iteration(D, d_vars, x)
  found = spectral_norm_layers(converged)
  assert len(found) == num_layers
  for path, (kernel, sigma) in found.items():
    expected = largest_singular_value(kernel)
    assert abs(expected - 1.0) > 0.05, path  # the stale initial sigma (1) would fail
    np.testing.assert_allclose(float(sigma), expected, rtol=1e-4, err_msg=path)
  plain_vars = {"params": normalised_params(converged)}
  other_stats = {path: v for path, v in
                 flax.traverse_util.flatten_dict(converged.get("batch_stats", {})).items()
                 if not any(p.startswith("SpectralNorm_") for p in path)}  # BatchNorm's
  if other_stats:
    plain_vars["batch_stats"] = flax.traverse_util.unflatten_dict(other_stats)
  y = D.apply(converged, x, train=False)
  y_plain = D_plain.apply(plain_vars, x, train=False)
  y_raw = D_plain.apply({**plain_vars, "params": converged["params"]}, x, train=False)
  np.testing.assert_allclose(y, y_plain, rtol=1e-4, atol=1e-5)
  assert not np.allclose(y, y_raw, rtol=1e-2)  # W itself would give other logits
