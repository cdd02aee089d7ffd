"""StyleGAN2 networks (Karras et al., 2020, "Analyzing and Improving the Image Quality
of StyleGAN"), at small scale: G = mapping network + synthesis network, D = residual.

  mapping:   z [N, z_dim] -> normalise (2nd moment) -> `mapping_layers` x
             [EqualDense(w_dim, lr x lr_mul) -> lrelu(0.2) x sqrt 2] -> w [N, w_dim]
  synthesis: constant [s0, s0, C] -> at s0: ModConv3x3, ToRGB; at each next resolution:
             bilinear 2x up -> ModConv3x3, ModConv3x3, img = up(img) + ToRGB(x)
             (the skip architecture, Fig. 7); every ModConv has per-pixel noise times a
             learned strength (init 0), a bias and lrelu(0.2) x sqrt 2; ws [N, num_ws,
             w_dim] hold one w per layer: conv i reads ws[:, i], a ToRGB the index of
             the next conv (stylegan2-ada-pytorch's numbering); num_ws = 2 log2(size/s0) + 2.
  D:         FromRGB 1x1 -> per resolution [Conv3x3, Conv3x3, 2x down] + skip [2x down,
             Conv1x1] times sqrt(1/2) (the residual D, Fig. 7) -> at s0: minibatch stddev
             -> Conv3x3 -> Dense(C) -> Dense(1)                            logits [N]

s0 is 4 for 2^k sizes (32, 64: the paper's 4x4 constant) and 7 for 28 px (Fashion-MNIST
at its own size). Channels: `model.width` at the output resolution, doubled per halving
up to 8 x width (the paper: 512 at <= 32 px, halved per doubling above).

Equalised learning rate (Karras et al., 2018, Sec. 4.1): every weight ~ N(0, 1) scaled
at run time by lr_mul / sqrt(fan_in), biases by lr_mul; the mapping network has
lr_mul = 0.01 (its weights start at N(0, 1 / lr_mul^2), so Adam's steps move it 100x
slower, as in the paper's Appendix B).

Modulation / demodulation (Eq. 1-3): s = A(w) (an EqualDense with bias 1), w'_ijk =
s_i w_ijk, w''_ijk = w'_ijk / sqrt(sum_ik w'_ijk^2 + 1e-8). Computed as the paper's
non-fused form (their `fused_modconv=False`): scale the input by s, one ordinary conv
with the shared weight, scale the output by the demodulation coefficients; the same
numbers as a grouped convolution with per-sample weights (tested).

Differences from the official code (NVlabs/stylegan2-ada-pytorch): up- and
down-sampling are bilinear resize / 2x2 mean (their [1, 3, 3, 1] FIR filter's 2x
upsampling equals bilinear resizing away from the border); the minibatch stddev is over
the global batch (networks/minibatch.py), theirs over groups of 4; no conv clamping
(they clamp at 256 only for fp16 layers). Without `noise` (sampling) the noise inputs
are one fixed draw, their `noise_mode='const'`.
"""
from __future__ import annotations

import math

import flax.linen as nn
import jax
import jax.numpy as jnp

from gan_jax.networks import layers, minibatch as minibatch_lib

MINIBATCH_LAYERS = False  # D's minibatch stddev is built in (not model.minibatch)
SQRT2 = math.sqrt(2.0)


def start_size(size: int) -> int:
  """The constant's size s0: size halved while it stays even and above 7."""
  s = size
  while s > 7 and s % 2 == 0:
    s //= 2
  return s


def resolutions(size: int) -> list[int]:
  s0 = start_size(size)
  return [s0 * 2 ** i for i in range(int(math.log2(size // s0)) + 1)]


def num_ws(size: int) -> int:
  """ws per image: two convs per resolution (one at s0) and the last ToRGB."""
  return 2 * len(resolutions(size))


def noise_shapes(size: int) -> list[tuple[int, int, int]]:
  """The (H, W, 1) of every noise input, in layer order."""
  return [(r, r, 1) for i, r in enumerate(resolutions(size)) for _ in range(1 if i == 0 else 2)]


def channels(r: int, size: int, width: int) -> int:
  return int(min(width * size // r, 8 * width))


def lrelu(x):
  return nn.leaky_relu(x, 0.2) * SQRT2


def upsample(x):
  n, h, w, c = x.shape
  return jax.image.resize(x, (n, 2 * h, 2 * w, c), "bilinear")


def downsample(x):
  n, h, w, c = x.shape
  return x.reshape(n, h // 2, 2, w // 2, 2, c).mean(axis=(2, 4))


def conv(x, weight):
  return jax.lax.conv_general_dilated(x, weight, (1, 1), "SAME",
                                      dimension_numbers=("NHWC", "HWIO", "NHWC"))


class EqualDense(nn.Module):
  """x [N, A] -> [N, features] with the equalised learning rate."""
  features: int
  lr_mul: float = 1.0
  bias_init: float = 0.0

  @nn.compact
  def __call__(self, x):
    w = self.param("kernel", nn.initializers.normal(1.0 / self.lr_mul),
                   (x.shape[-1], self.features))
    b = self.param("bias", nn.initializers.constant(self.bias_init / self.lr_mul),
                   (self.features,))
    return x @ (w * (self.lr_mul / math.sqrt(x.shape[-1]))) + b * self.lr_mul


class EqualConv(nn.Module):
  """x [N, H, W, Cin] -> [N, H, W, features], 'SAME' padding, equalised learning rate."""
  features: int
  kernel: int = 3
  use_bias: bool = True

  @nn.compact
  def __call__(self, x):
    fan_in = self.kernel * self.kernel * x.shape[-1]
    w = self.param("kernel", nn.initializers.normal(1.0),
                   (self.kernel, self.kernel, x.shape[-1], self.features))
    x = conv(x, w / math.sqrt(fan_in))
    return x + self.param("bias", nn.initializers.zeros, (self.features,)) if self.use_bias else x


def modulated_conv(x, weight, styles, demodulate: bool = True, eps: float = 1e-8):
  """Eq. 1-3 of the paper in the non-fused form: x [N, H, W, I], weight [k, k, I, O]
  (shared), styles [N, I] -> [N, H, W, O] = conv(x, weight scaled per sample by styles
  on its input channels [and demodulated per output channel])."""
  y = conv(x * styles[:, None, None, :], weight)
  if demodulate:
    d = jax.lax.rsqrt(jnp.einsum("hwio,ni->no", weight ** 2, styles ** 2) + eps)
    y = y * d[:, None, None, :]
  return y


class ModConv(nn.Module):
  """A modulated convolution: x [N, H, W, I], w [N, w_dim] -> [N, H, W, features]."""
  features: int
  kernel: int = 3
  demodulate: bool = True

  @nn.compact
  def __call__(self, x, w):
    fan_in = self.kernel * self.kernel * x.shape[-1]
    styles = EqualDense(x.shape[-1], bias_init=1.0, name="affine")(w)
    weight = self.param("kernel", nn.initializers.normal(1.0),
                        (self.kernel, self.kernel, x.shape[-1], self.features))
    if not self.demodulate:  # ToRGB: the weight's gain goes into the styles
      styles = styles / math.sqrt(fan_in)
    return modulated_conv(x, weight, styles, self.demodulate)


class SynthesisLayer(nn.Module):
  """ModConv3x3 [after 2x up] + noise x strength + bias -> lrelu x sqrt 2."""
  features: int
  up: bool = False

  @nn.compact
  def __call__(self, x, w, noise):
    if self.up:
      x = upsample(x)
    x = ModConv(self.features)(x, w)
    x = x + noise * self.param("noise_strength", nn.initializers.zeros, ())
    return lrelu(x + self.param("bias", nn.initializers.zeros, (self.features,)))


class ToRGB(nn.Module):
  channels: int

  @nn.compact
  def __call__(self, x, w):
    x = ModConv(self.channels, kernel=1, demodulate=False)(x, w)
    return x + self.param("bias", nn.initializers.zeros, (self.channels,))


class Generator(nn.Module):
  """z [N, z_dim] -> images [N, size, size, channels] (unbounded, ~[-1, 1]).

  `train`: track w_avg (collection "stats"), an EMA of the batch's mean w with decay
  `w_avg_beta` (the paper's truncation centre; under pmap the global batch's mean).
  `z2`, `cutoff`: style mixing, ws[:, cutoff:] from z2's w. `psi`: truncation
  w_avg + psi (w - w_avg). `noise`: the per-layer noise (`noise_shapes`, each
  [N, H, W, 1]); None: a fixed draw (the same for every sample).
  """
  size: int
  channels: int
  width: int = 32
  w_dim: int = 128
  mapping_layers: int = 8
  lr_mul: float = 0.01
  w_avg_beta: float = 0.995
  axis_name: str | None = None

  def setup(self):
    self.mapping_net = [EqualDense(self.w_dim, self.lr_mul, name=f"mapping_{i}")
                        for i in range(self.mapping_layers)]
    res = resolutions(self.size)
    self.const = self.param("const", nn.initializers.normal(1.0),
                            (res[0], res[0], channels(res[0], self.size, self.width)))
    convs, rgbs = [], []
    for i, r in enumerate(res):
      c = channels(r, self.size, self.width)
      if i:
        convs.append(SynthesisLayer(c, up=True, name=f"conv_{r}_0"))
      convs.append(SynthesisLayer(c, name=f"conv_{r}_1"))
      rgbs.append(ToRGB(self.channels, name=f"torgb_{r}"))
    self.convs, self.rgbs = convs, rgbs
    self.w_avg = self.variable("stats", "w_avg", jnp.zeros, (self.w_dim,))

  def mapping(self, z, psi=1.0, train: bool = False):
    """z [N, z_dim] -> w [N, w_dim] (truncated towards w_avg by psi)."""
    x = z * jax.lax.rsqrt(jnp.mean(z ** 2, axis=1, keepdims=True) + 1e-8)
    for layer in self.mapping_net:
      x = lrelu(layer(x))
    if train and not self.is_initializing():
      mean = jnp.mean(x, axis=0)
      if self.axis_name is not None:
        mean = jax.lax.pmean(mean, self.axis_name)
      self.w_avg.value = mean + self.w_avg_beta * (self.w_avg.value - mean)
    return self.w_avg.value + psi * (x - self.w_avg.value)

  def synthesis(self, ws, noise=None):
    """ws [N, num_ws, w_dim] -> images [N, size, size, channels]."""
    n = ws.shape[0]
    if noise is None:
      shapes = noise_shapes(self.size)
      noise = [jax.random.normal(jax.random.PRNGKey(i), (1,) + s) for i, s in enumerate(shapes)]
    x = jnp.broadcast_to(self.const, (n,) + self.const.shape)
    img, layer = None, 0
    for i, rgb in enumerate(self.rgbs):
      for _ in range(1 if i == 0 else 2):
        x = self.convs[layer](x, ws[:, layer], noise[layer])
        layer += 1
      y = rgb(x, ws[:, layer])
      img = y if img is None else upsample(img) + y
    return img

  def __call__(self, z, train: bool = False, z2=None, cutoff=None, psi=1.0, noise=None):
    w = self.mapping(z, psi, train)
    ws = jnp.repeat(w[:, None], num_ws(self.size), axis=1)
    if z2 is not None:
      w2 = self.mapping(z2, psi)
      ws = mix(ws, w2, cutoff)
    return self.synthesis(ws, noise)


def mix(ws, w2, cutoff):
  """ws [N, L, w_dim] with layers >= cutoff replaced by w2 [N, w_dim] (style mixing)."""
  layer = jnp.arange(ws.shape[1])[None, :, None]
  return jnp.where(layer < cutoff, ws, w2[:, None])


class DBlock(nn.Module):
  """The residual D block: [N, r, r, C] -> [N, r/2, r/2, C_out]."""
  features: int

  @nn.compact
  def __call__(self, x):
    skip = EqualConv(self.features, 1, use_bias=False)(downsample(x))
    x = lrelu(EqualConv(x.shape[-1])(x))
    x = lrelu(EqualConv(self.features)(downsample(x)))
    return (x + skip) * math.sqrt(0.5)


class Discriminator(nn.Module):
  """images [N, size, size, C] -> logits [N]."""
  size: int
  width: int = 32
  axis_name: str | None = None

  @nn.compact
  def __call__(self, x, train: bool = True):
    del train
    res = resolutions(self.size)
    x = lrelu(EqualConv(channels(res[-1], self.size, self.width), 1)(x))
    for r in reversed(res[1:]):
      x = DBlock(channels(r // 2, self.size, self.width))(x)
    x = minibatch_lib.minibatch_stddev(x, self.axis_name)
    x = lrelu(EqualConv(channels(res[0], self.size, self.width))(x))
    x = lrelu(EqualDense(x.shape[-1])(x.reshape(x.shape[0], -1)))
    return EqualDense(1)(x)[:, 0]


def d_batch_norm(model) -> bool:
  del model
  return False


def build(config, data_shape, axis_name=None):
  """(G, D) for square images of `data_shape` (size s0 2^k, s0 = 4 or 7; C 1 or 3)."""
  size, c = layers.image_shape(data_shape, (8, 16, 28, 32, 64, 128, 256), "stylegan")
  m, s = config.model, config.stylegan
  return (Generator(size, c, m.width, int(s.w_dim), int(s.mapping_layers), float(s.lr_mul),
                    float(s.w_avg_beta), axis_name),
          Discriminator(size, m.width, axis_name))
