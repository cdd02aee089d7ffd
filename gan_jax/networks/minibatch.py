"""Minibatch layers: D's penultimate features see the other samples of the batch, so
a G whose samples are all alike is told apart (a remedy for mode collapse).

`model.minibatch`:

- ``disc``: minibatch discrimination (Salimans et al., 2016, Sec. 3.2);
- ``stddev``: the minibatch standard deviation (Karras et al., 2018, Sec. 3);
- ``""``: neither.

Both are appended to D's penultimate features (after the last hidden layer of the toy
MLP; after the flattened last convolution of the DCGAN D), where Salimans et al. put
theirs. D sees the real and the generated batch separately (two calls), as in both
papers. Under pmap, `axis_name` makes the statistics those of the global batch, so N
devices compute what one computes.
"""
from __future__ import annotations

import flax.linen as nn
import jax
import jax.numpy as jnp

KINDS = ("", "disc", "stddev")


def check(kind: str) -> None:
  if kind not in KINDS:
    raise ValueError(f"model.minibatch={kind!r} must be one of '', disc, stddev (minibatch "
                     "discrimination, the minibatch stddev layer); e.g. "
                     "--config.model.minibatch=stddev.")


def _global(x, axis_name):
  """x of every device, concatenated along the batch (x itself on one device)."""
  return x if axis_name is None else jax.lax.all_gather(x, axis_name, tiled=True)


class MinibatchDiscrimination(nn.Module):
  """f [N, A] -> [f, o] [N, A + B] (Salimans et al., 2016, Sec. 3.2):

    M_i = f(x_i) T in R^{B x C}   (T in R^{A x B x C})
    c_b(x_i, x_j) = exp(-||M_{i,b} - M_{j,b}||_1)
    o(x_i)_b = sum_{j != i} c_b(x_i, x_j)

  The paper writes the sum over all j; the authors' code (improved-gan, `MinibatchLayer`)
  leaves out j = i (its term is exp(0) = 1), as here. Paper and code: B = 100 kernels
  of C = 5 dimensions, T ~ N(0, 0.05^2). Omitted: the code's weight normalisation of
  T and bias on o, both set from the first batch (a data-dependent initialisation that
  makes the mean nearest-neighbour distance 2 and centres o). Without it every
  c_b starts near 1 and o near N - 1, so D's first logits are large (|logit| ~ 10-30
  at batch 32 on the smoke MLP) until D has learnt to scale them.
  """
  kernels: int = 100  # B
  dims: int = 5       # C
  axis_name: str | None = None

  @nn.compact
  def __call__(self, f):
    t = self.param("T", nn.initializers.normal(0.05), (f.shape[-1], self.kernels, self.dims))
    m = jnp.einsum("na,abc->nbc", f, t)
    others = _global(m, self.axis_name)
    distance = jnp.sum(jnp.abs(m[:, None] - others[None]), axis=-1)  # [N, N_all, B]
    o = jnp.sum(jnp.exp(-distance), axis=1) - 1.0  # the j = i term is exactly 1
    return jnp.concatenate([f, o], axis=-1)


def minibatch_stddev(x, axis_name: str | None = None, eps: float = 1e-8):
  """x [N, ..., F] -> [N, ..., F + 1]: the standard deviation over the batch of every
  feature (and position), averaged into one number, appended as one more feature /
  channel (Karras et al., 2018, Sec. 3: "concatenate to all spatial locations and over
  the minibatch, yielding one additional (constant) feature map").

  std = sqrt(mean_i (x_i - mean x)^2 + eps), the biased variance with eps 1e-8 of the
  authors' code. The paper takes the statistics over the minibatch, as here; the
  authors' code (progressive_growing_of_gans, `minibatch_stddev_layer`) over groups of
  4 samples. Under pmap the moments are the global batch's (equal shards).
  """
  pmean = (lambda v: v) if axis_name is None else (lambda v: jax.lax.pmean(v, axis_name))
  mean = pmean(jnp.mean(x, axis=0))
  var = pmean(jnp.mean((x - mean) ** 2, axis=0))
  s = jnp.mean(jnp.sqrt(var + eps))
  return jnp.concatenate([x, jnp.full(x.shape[:-1] + (1,), s, x.dtype)], axis=-1)


def append(kind: str, features, axis_name: str | None = None):
  """D's penultimate `features` [N, F] with the minibatch layer `kind` applied (called
  inside a compact D, so `disc` adds its parameters T to that D)."""
  check(kind)
  if kind == "disc":
    return MinibatchDiscrimination(axis_name=axis_name)(features)
  if kind == "stddev":
    return minibatch_stddev(features, axis_name)
  return features


def mlp_logit(kind: str, features, axis_name, spectral_norm: bool, train: bool,
              kernel_init=nn.linear.default_kernel_init):
  """The toy MLP discriminators' head: the minibatch layer `kind` on the last hidden
  `features`, then one Dense logit per sample [N] (inside a compact D)."""
  from gan_jax.networks.layers import maybe_sn
  x = append(kind, features, axis_name)
  return jnp.squeeze(maybe_sn(nn.Dense(1, kernel_init=kernel_init), spectral_norm)(x, train), -1)
