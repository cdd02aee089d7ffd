"""SEGAN networks (Pascual et al., 2017, "SEGAN: Speech enhancement generative
adversarial network", Sec. 3 and Fig. 2; the authors' TensorFlow code, santi-pdp/segan):
a fully convolutional 1-D encoder-decoder G with skip connections and a latent z at the
bottleneck, and a convolutional D on (noisy, enhanced) pairs.

Waveforms are [B, T] (T = data.window, 16,384 in the paper); channels are last.
Convolutions are 1-D, kernel `model.kernel_size` (31) and stride 2 with SAME padding,
computed as 2-D layers over a [B, 1, T, C] view (`layers.Conv` / `layers.ConvTranspose`,
whose gradients are fast on XLA CPU). With w = model.width and n = model.depth:

  encoder channels c_i = w * MULTIPLIERS[i], i < n; the paper's 16, 32, 32, 64, 64, 128,
  128, 256, 256, 512, 1024 is w = 16, n = 11 (T 16,384 -> 8 x 1024 at the bottleneck).

G: x [B, T] -> n x (Conv(c_i, stride 2) -> PReLU); the pre-activation output of each
encoder layer but the last is kept for its skip connection. z ~ N(0, I) [B, T / 2^n,
c_{n-1}] is concatenated to the code c on channels (z first, as the authors' code).
Decoder layer j = 0 .. n-1: ConvTranspose(stride 2) to c_{n-2-j} channels (1 at the
last) -> PReLU -> concatenated with encoder skip n-2-j (the paper's skip connections;
`skips=False` leaves them out); the last layer ends in tanh: x_hat [B, T].
`residual=True` (`model.residual`; not in the paper) adds the input to that output:
x_hat = x + tanh(h), so G starts near the identity and learns the correction.
PReLU: one slope per channel, initialised at 0 (the authors' `prelu`).

D: the pair [B, T, 2] (enhanced or clean, noisy) -> n x (Conv(c_i, stride 2) -> norm ->
LeakyReLU(0.3)) -> Conv(1x1, 1 channel) -> Dense(1): one logit per pair. The paper
normalises with virtual batch norm (Salimans et al., 2016), whose reference batch runs
through D at every call; here `model.d_norm` (default ``batch``: BatchNorm with the
statistics of the batch D sees, real and generated batches normalised separately, as the
other families' D). The authors' Gaussian noise on D's input is not used.
Weights are initialised from N(0, 0.02) truncated at 2 std (the authors' init).
"""
from __future__ import annotations

import flax.linen as nn
import jax.numpy as jnp

from gan_jax.networks import layers

MULTIPLIERS = (1, 2, 2, 4, 4, 8, 8, 16, 16, 32, 64)  # the paper's widths / 16
INIT = nn.initializers.truncated_normal(0.02)
LEAK = 0.3  # D's LeakyReLU slope (the authors' `leakyrelu`)


def widths(width: int, depth: int) -> tuple[int, ...]:
  """Encoder channels c_0 .. c_{depth-1}: width x MULTIPLIERS[:depth]."""
  if not 1 <= depth <= len(MULTIPLIERS):
    raise ValueError(f"model.depth={depth}: SEGAN has 1 to {len(MULTIPLIERS)} encoder "
                     "layers (11 in the paper).")
  return tuple(width * m for m in MULTIPLIERS[:depth])


class PReLU(nn.Module):
  """max(0, x) + a min(0, x) with one slope a per channel (last axis), a init 0."""

  @nn.compact
  def __call__(self, x):
    a = self.param("slope", nn.initializers.zeros, (x.shape[-1],), jnp.float32)
    return jnp.where(x >= 0, x, a * x)


def _conv(features: int, kernel: int, stride: int = 2):
  return layers.Conv(features, (1, kernel), (1, stride), "SAME", kernel_init=INIT)


class Generator(nn.Module):
  """(x [B, T], z [B, T / 2^depth, c_last]) -> x_hat [B, T] (in [-1, 1] unless residual)."""
  widths: tuple
  kernel_size: int = 31
  skips: bool = True
  residual: bool = False

  @nn.compact
  def __call__(self, x, z, train: bool = True):
    del train  # no batch statistics or dropout in G
    n = len(self.widths)
    h, skips = x[:, None, :, None], []
    for i, w in enumerate(self.widths):
      h = _conv(w, self.kernel_size)(h)
      if i < n - 1:
        skips.append(h)
      h = PReLU()(h)
    h = jnp.concatenate([z[:, None].astype(h.dtype), h], axis=-1)
    out_widths = self.widths[:-1][::-1] + (1,)
    for j, w in enumerate(out_widths):
      h = layers.ConvTranspose(w, (1, self.kernel_size), (1, 2), "SAME", kernel_init=INIT)(h)
      if j == n - 1:
        out = jnp.tanh(h[:, 0, :, 0])
        return x + out.astype(x.dtype) if self.residual else out
      h = PReLU()(h)
      if self.skips:
        h = jnp.concatenate([h, skips[-(j + 1)]], axis=-1)
    raise AssertionError("unreachable: the decoder returns at its last layer")


class Discriminator(nn.Module):
  """Pairs [B, T, 2] -> logits [B]."""
  widths: tuple
  kernel_size: int = 31
  norm: str = "batch"
  axis_name: str | None = None

  @nn.compact
  def __call__(self, pair, train: bool = True):
    h = pair[:, None]
    for w in self.widths:
      h = layers.Conv(w, (1, self.kernel_size), (1, 2), "SAME", use_bias=self.norm != "batch",
                      kernel_init=INIT)(h)
      h = layers.norm(self.norm, self.axis_name, key="model.d_norm")(h, train)
      h = nn.leaky_relu(h, LEAK)
    h = layers.Conv(1, (1, 1), kernel_init=INIT)(h)
    return nn.Dense(1, kernel_init=INIT)(h.reshape(h.shape[0], -1))[:, 0]


def check_window(window: int, depth: int) -> None:
  if window % 2 ** depth:
    raise ValueError(f"data.window={window} must be a multiple of 2^model.depth = "
                     f"{2 ** depth} (each of the {depth} encoder layers halves it); e.g. "
                     "16384 with depth 11.")


def build(config, data_shape, axis_name=None):
  """(G, D) for waveforms of `data_shape` (T,)."""
  m = config.model
  if len(data_shape) != 1:
    raise ValueError(f"SEGAN's networks take waveforms [T]; got data shape {tuple(data_shape)} "
                     "(data.name=noisy_speech).")
  check_window(int(data_shape[0]), int(m.depth))
  layers.check_norm(m.d_norm, "model.d_norm")
  c = widths(int(m.width), int(m.depth))
  return (Generator(c, int(m.kernel_size), bool(m.skips), bool(m.get("residual", False))),
          Discriminator(c, int(m.kernel_size), m.d_norm, axis_name))


def d_batch_norm(model) -> bool:
  """Whether D normalises over the batch: its normalisation is model.d_norm."""
  return model.d_norm == "batch"
