"""Discriminator regularizers, summed from the config ``regularizers: {name: {weight, every}}``.

Penalties share one signature, ``penalty(d_fn, real, fake, key, ctx) -> scalar``:
`d_fn` maps a batch shaped like `real` to D's outputs, `real` and `fake` are [B, ...]
batches, `ctx` is the `parallel.Context` (global random draws and batch moments under
pmap). Their weights enter the step as arrays (hyperparameters a sweep may vary).

Weight clipping is a projection applied after each D update rather than a penalty:
``regularizers.weight_clip: {c}``. Spectral normalisation is a network option
(``model.spectral_norm``), since it changes the layers rather than the loss.
"""
from __future__ import annotations

import math
import sys

import jax
import jax.numpy as jnp

PROJECTIONS = ("weight_clip",)


def _input_grad_norm(d_fn, x):
  """Per-sample L2 norm of dD/dx; samples are independent through D, so one vjp of
  sum(D(x)) gives every sample's gradient."""
  grad = jax.grad(lambda v: jnp.sum(d_fn(v)))(x)
  return jnp.sqrt(jnp.sum(grad.reshape(grad.shape[0], -1) ** 2, axis=1) + 1e-12)


def _batch_weights(ctx, key, x):
  return ctx.uniform(key, (x.shape[0],) + (1,) * (x.ndim - 1))


def gradient_penalty(d_fn, real, fake, key, ctx):
  """WGAN-GP (Gulrajani et al., 2017, Eq. 3): E[(||grad D(x_hat)||_2 - 1)^2] with
  x_hat = eps x + (1 - eps) G(z), eps ~ U[0, 1] per sample."""
  eps = _batch_weights(ctx, key, real)
  x_hat = eps * real + (1.0 - eps) * fake
  return jnp.mean((_input_grad_norm(d_fn, x_hat) - 1.0) ** 2)


def r1(d_fn, real, fake, key, ctx):
  """R1 (Mescheder et al., 2018, Eq. 9): 1/2 E[||grad D(x)||^2] on real data; the
  config weight is the paper's gamma."""
  del fake, key, ctx
  return 0.5 * jnp.mean(_input_grad_norm(d_fn, real) ** 2)


def dragan(d_fn, real, fake, key, ctx):
  """DRAGAN (Kodali et al., 2017, Alg. 1): E[(||grad D(x_hat)||_2 - 1)^2] at x_hat =
  alpha x + (1 - alpha) x_p, alpha ~ U[0, 1] per sample, with the perturbation
  x_p = x + 0.5 std(X) U[0, 1] elementwise.

  std(X) is one scalar: the standard deviation of every element of the global batch,
  as in the authors' code (github.com/kodalinaveen3/DRAGAN:
  ``X + 0.5 * X.std() * np.random.random(X.shape)``). A per-feature std would leave
  constant features (e.g. an image's always-black border) unperturbed. Under pmap the
  moments are averaged over devices (equal shards), so N devices equal one.
  """
  del fake
  k_noise, k_mix = jax.random.split(key)
  mean = ctx.pmean(jnp.mean(real))
  std = jnp.sqrt(ctx.pmean(jnp.mean((real - mean) ** 2)))
  perturbed = real + 0.5 * std * ctx.uniform(k_noise, real.shape)
  alpha = _batch_weights(ctx, k_mix, real)
  x_hat = alpha * real + (1.0 - alpha) * perturbed
  return jnp.mean((_input_grad_norm(d_fn, x_hat) - 1.0) ** 2)


def weight_clip(params, *, c):
  """WGAN weight clipping (Arjovsky et al., 2017, Alg. 1): every D parameter into [-c, c]."""
  return jax.tree.map(lambda p: jnp.clip(p, -c, c), params)


def penalty_names() -> list[str]:
  return ["dragan", "gradient_penalty", "r1"]


def names() -> list[str]:
  return sorted(penalty_names() + list(PROJECTIONS))


def _number(entry, name: str, key: str) -> float:
  value = entry.get(key)
  if (isinstance(value, bool) or not isinstance(value, (int, float))
      or not math.isfinite(value)):
    example = "0.01" if key == "c" else "10.0"
    raise ValueError(f"regularizers.{name}.{key}={value!r} must be a finite number; e.g. "
                     f"--config.regularizers.{name}.{key}={example}.")
  return float(value)


def check(config, *, d_batch_norm: bool = False) -> None:
  """Validates the `regularizers` config block: known names (unknown ones list the
  valid ones), penalty weights >= 0, clip c > 0, every >= 1. `d_batch_norm`: D
  normalises over the batch (BatchNorm), which the input-gradient penalties refuse."""
  active = {n: r for n, r in config.items()}
  for name, entry in active.items():
    if name not in names():
      raise ValueError(f"Unknown regularizer {name!r} (regularizers.{name}). Available: "
                       f"{', '.join(names())}.")
    every = entry.get("every", 1)
    if isinstance(every, bool) or not isinstance(every, int) or every < 1:
      raise ValueError(f"regularizers.{name}.every={every!r} must be an integer >= 1 (apply "
                       f"every k-th D update); e.g. --config.regularizers.{name}.every=1.")
    if name == "weight_clip":
      if not _number(entry, name, "c") > 0:
        raise ValueError(
            f"regularizers.weight_clip.c={entry.get('c')!r} must be > 0 (D's weights are "
            "clipped into [-c, c]); e.g. --config.regularizers.weight_clip.c=0.01.")
    elif not _number(entry, name, "weight") >= 0:
      raise ValueError(
          f"regularizers.{name}.weight={entry.get('weight')!r} must be >= 0 (a penalty is "
          f"added, never rewarded); e.g. --config.regularizers.{name}.weight=10.0.")
  penalties = sorted(n for n in active if n in penalty_names())
  if penalties and d_batch_norm:
    raise ValueError(
        f"regularizers.{penalties[0]} with model.d_norm='batch': BatchNorm couples the "
        "samples that the penalty's per-sample input gradients treat as independent "
        "(Gulrajani et al., 2017, Sec. 4); set --config.model.d_norm=layer (or none).")
  if "weight_clip" in active and any(n in active for n in penalty_names()):
    if not active["weight_clip"].get("with_penalty", False):
      others = [n for n in active if n != "weight_clip"]
      raise ValueError(
          f"Weight clipping together with {others} is almost certainly a mistake (the "
          "gradient penalty replaces clipping in WGAN-GP). Drop one, or set "
          "regularizers.weight_clip.with_penalty=True to ask for both.")


def hparams(config) -> dict[str, float]:
  """The array-valued hyperparameters of the active regularizers, by dotted config key."""
  out = {}
  for name, entry in config.items():
    key = "c" if name == "weight_clip" else "weight"
    out[f"regularizers.{name}.{key}"] = float(entry[key])
  return out


def total_penalty(config, hp, d_fn, real, fake, key, ctx, d_update):
  """Sum of weighted penalties and each unweighted term (for logging).

  A penalty with ``every = k > 1`` is computed on every k-th D update (`d_update`
  counts them) and scaled by k (lazy regularisation, Karras et al., 2020, Sec. 3.5);
  its logged term is the last computed value's estimate (0 on skipped updates).
  """
  total, terms = jnp.zeros((), jnp.float32), {}
  module = sys.modules[__name__]
  for i, (name, entry) in enumerate(sorted(config.items())):
    if name in PROJECTIONS:
      continue
    fn = getattr(module, name)
    k = jax.random.fold_in(key, i)
    every = int(entry.get("every", 1))
    if every == 1:
      value = fn(d_fn, real, fake, k, ctx)
    else:
      value = jax.lax.cond(d_update % every == 0,
                           lambda: every * fn(d_fn, real, fake, k, ctx),
                           lambda: jnp.zeros((), jnp.float32))
    terms[name] = value
    total = total + hp[f"regularizers.{name}.weight"] * value
  return total, terms


def project(config, hp, params):
  """Applies the projections (weight clipping) after a D update."""
  if "weight_clip" in config:
    params = weight_clip(params, c=hp["regularizers.weight_clip.c"])
  return params
