"""Class conditioning for the image network families (dcgan, resnet): the pieces a
generator or discriminator adds when it is given labels y [B] (int32 in [0, K)).

A network module's fields `num_classes` (K) and `condition` say how y enters; the
conditional methods set them with `Module.clone(...)` (`with_condition`), so the
unconditional networks keep their parameter layout exactly.

Generator conditions:
- ``concat`` (Mirza & Osindero, 2014, "Conditional Generative Adversarial Nets", Sec.
  4.1): one-hot(y) [B, K] concatenated to z before G's first layer.
- ``batchnorm``: conditional BatchNorm (de Vries et al., 2017; Miyato & Koyama, 2018,
  Sec. 5; BigGAN): every BatchNorm of G normalises without a learned affine and then
  scales and shifts by per-class gamma(y), beta(y) [B, C] (embeddings, gamma
  initialised like the family's BatchNorm scale, beta at 0).

Discriminator conditions (on D's last features phi(x) [B, F]: the flattened DCGAN
features, the ResNet's sum-pooled ones):
- ``input`` (Mirza & Osindero, 2014): one-hot(y) as K constant planes [B, H, W, K]
  concatenated to the image channels before D's first layer.
- ``projection`` (Miyato & Koyama, 2018, "cGANs with Projection Discriminator",
  Eq. 3): D(x, y) = psi(phi(x)) + <embed(y), phi(x)>, psi D's usual Dense(1) and
  embed a K x F embedding (spectrally normalised with D).
- ``classes`` (Odena et al., 2017, "Conditional Image Synthesis with Auxiliary
  Classifier GANs"): D returns (psi(phi(x)) [B], class logits W phi(x) [B, K]) and
  does not read y.
"""
from __future__ import annotations

from typing import Callable

import flax.linen as nn
import jax
import jax.numpy as jnp

from gan_jax.networks import layers

G_CONDITIONS = ("none", "concat", "batchnorm")
D_CONDITIONS = ("none", "input", "projection", "classes")
EMBED_INIT = nn.initializers.glorot_uniform()


def with_condition(G, D, num_classes: int, g_condition: str, d_condition: str,
                   family: str):
  """(G, D) of a network family cloned with `num_classes` and the two conditions; a
  clear error for a family without conditional variants."""
  if not (hasattr(G, "condition") and hasattr(D, "condition")):
    raise ValueError(f"model.name={family!r} has no class-conditional variant; use "
                     "model.name='dcgan' (28, 32, 64 px) or 'resnet' (32 px).")
  if g_condition not in G_CONDITIONS or d_condition not in D_CONDITIONS:
    raise ValueError(f"Unknown conditions G {g_condition!r} / D {d_condition!r}; use "
                     f"{G_CONDITIONS} / {D_CONDITIONS}.")
  if g_condition == "batchnorm" and getattr(G, "norm", "batch") != "batch":
    raise ValueError(f"Conditional BatchNorm replaces G's BatchNorm, but model.g_norm="
                     f"{G.norm!r}; set model.g_norm='batch'.")
  return (G.clone(num_classes=num_classes, condition=g_condition),
          D.clone(num_classes=num_classes, condition=d_condition))


def _check_labels(y, num_classes: int, condition: str):
  if y is None:
    raise ValueError(f"A network with condition {condition!r} needs labels y "
                     f"(num_classes={num_classes}); call it with y=[B] int labels.")
  return jnp.asarray(y, jnp.int32)


def generator_input(z, y, num_classes: int, condition: str):
  """z [B, z_dim] -> [B, z_dim + K] for ``concat``; z unchanged otherwise."""
  if condition != "concat":
    return z
  y = _check_labels(y, num_classes, condition)
  return jnp.concatenate([z, jax.nn.one_hot(y, num_classes, dtype=z.dtype)], axis=-1)


def discriminator_input(x, y, num_classes: int, condition: str):
  """x [B, H, W, C] -> [B, H, W, C + K] (one-hot planes) for ``input``; else x."""
  if condition != "input":
    return x
  y = _check_labels(y, num_classes, condition)
  planes = jax.nn.one_hot(y, num_classes, dtype=x.dtype)[:, None, None, :]
  return jnp.concatenate([x, jnp.broadcast_to(planes, x.shape[:3] + (num_classes,))], -1)


class ConditionalBatchNorm(nn.Module):
  """BatchNorm without affine, then x * gamma[y] + beta[y] per channel.
  x [B, ..., C], y [B] -> [B, ..., C]. Statistics as `layers.norm('batch')`."""
  num_classes: int
  axis_name: str | None = None
  scale_init: Callable = nn.initializers.ones

  @nn.compact
  def __call__(self, x, y, train: bool):
    x = nn.BatchNorm(momentum=0.9, epsilon=1e-5, axis_name=self.axis_name, use_scale=False,
                     use_bias=False)(x, use_running_average=not train)
    c = x.shape[-1]
    gamma = nn.Embed(self.num_classes, c, embedding_init=self.scale_init, name="gamma")(y)
    beta = nn.Embed(self.num_classes, c, embedding_init=nn.initializers.zeros,
                    name="beta")(y)
    shape = (x.shape[0],) + (1,) * (x.ndim - 2) + (c,)
    return x * gamma.reshape(shape) + beta.reshape(shape)


def generator_norm(kind: str, axis_name, y, num_classes: int, condition: str, *,
                   scale_init=nn.initializers.ones):
  """A factory of G's normalisation `f(x, train)`: conditional BatchNorm on y for
  ``batchnorm``, else `layers.norm(kind)`. Call it inside a compact module."""
  if condition != "batchnorm":
    return lambda: layers.norm(kind, axis_name, key="model.g_norm", scale_init=scale_init)
  y = _check_labels(y, num_classes, condition)

  def make():
    cbn = ConditionalBatchNorm(num_classes, axis_name, scale_init)
    return lambda x, train: cbn(x, y, train)
  return make


def discriminator_output(out, features, y, num_classes: int, condition: str,
                         spectral_norm: bool, train: bool):
  """D's output from its unconditional logit psi(phi) `out` [B] and features phi
  [B, F]: ``projection`` adds <embed(y), phi>; ``classes`` returns (out, logits [B, K]);
  otherwise `out`. Call it inside D's compact __call__ (it creates D's 'embed' or
  'classes' parameters)."""
  if condition == "projection":
    y = _check_labels(y, num_classes, condition)
    embed = nn.Embed(num_classes, features.shape[-1], embedding_init=EMBED_INIT, name="embed")
    return out + jnp.sum(layers.maybe_sn(embed, spectral_norm)(y, train) * features, axis=-1)
  if condition == "classes":
    head = nn.Dense(num_classes, kernel_init=EMBED_INIT, name="classes")
    return out, layers.maybe_sn(head, spectral_norm)(features, train)
  return out
