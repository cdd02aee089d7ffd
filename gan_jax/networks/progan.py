"""The progressive GAN's networks (Karras et al., 2018, "Progressive growing of GANs for
improved quality, stability, and variation", Table 2 and Sec. 4), for square images of
8 to 1024 pixels, grayscale or RGB.

Stages: stage s works at resolution r_s = 4 * 2^s, s = 0 .. S - 1 with r_{S-1} the data's
size. With nf(r) = min(width, 2 * fmap_base / r) channels (`model.width` = the authors'
fmap_max 512, `model.fmap_base` their fmap_base 8192: 512 up to 32 px, then halving)
and LReLU(0.2):

  G: z -> pixel norm -> Dense(4 * 4 * nf(4)) -> LReLU -> PN -> Conv3x3 -> LReLU -> PN
       then for each r = 8 .. r_s: [upsample x2 (nearest) -> Conv3x3 -> LReLU -> PN
       -> Conv3x3 -> LReLU -> PN];  toRGB_r: Conv1x1 (linear output)
  D: fromRGB_r: Conv1x1 -> LReLU, then for each r = r_s .. 8: [Conv3x3 nf(r) -> LReLU
       -> Conv3x3 nf(r/2) -> LReLU -> average pool x2]; at 4x4: minibatch stddev
       (one more feature map) -> Conv3x3 -> LReLU -> Dense(nf(4)) -> LReLU -> Dense(1)

Fade-in (Fig. 2 of the paper): at stage s > 0 with alpha in [0, 1], G's output is
(1 - alpha) * up2(toRGB_{s-1}(h_{s-1})) + alpha * toRGB_s(h_s), and D's features at r_s / 2
are (1 - alpha) * fromRGB_{s-1}(pool2(x)) + alpha * block_s(fromRGB_s(x)).

Interface: G's output and D's input stay at the data's full size at every stage (G
upsamples by nearest neighbour, D average-pools), as in the authors' code (its
`structure='linear'`): one batch shape, one sample-grid shape. `stage` is a static
Python int (each stage is its own compiled program), `alpha` an array.

Equalised learning rate (Sec. 4.1): weights ~ N(0, 1) and scaled at run time by He's
constant gain / sqrt(fan_in) (gain sqrt(2); 1 for toRGB and D's last Dense; sqrt(2) / 4
for G's first Dense, as in the authors' code); biases start at 0. A convolution of the
scaled input equals one with the scaled kernel, so the scale multiplies the input and
the convolutions are `layers.Conv` / `layers.UpsampleConv` (fast on XLA CPU).
Pixel norm (Sec. 4.2): x / sqrt(mean over channels of x^2 + 1e-8).

Every resolution's blocks exist from initialisation (one parameter tree at every
stage: optimizer states, EMA, checkpoints and vmapped sweeps keep one shape).
"""
from __future__ import annotations

import math

import flax.linen as nn
import jax
import jax.numpy as jnp

from gan_jax.networks import layers, minibatch as minibatch_lib

SIZES = tuple(2 ** k for k in range(3, 11))  # 8 .. 1024
MINIBATCH_LAYERS = False  # D has its own minibatch stddev at 4x4 (always on)
SQRT2 = math.sqrt(2.0)
NORMAL = nn.initializers.normal(1.0)


def num_stages(size: int) -> int:
  """Stages from 4x4 to size x size: log2(size / 4) + 1."""
  return int(math.log2(size // 4)) + 1


def resolution(stage: int) -> int:
  return 4 * 2 ** stage


def channels(width: int, fmap_base: int, res: int) -> int:
  """nf(res) = min(width, 2 * fmap_base / res), at least 1."""
  return max(1, min(width, 2 * fmap_base // res))


def pixel_norm(x, eps: float = 1e-8):
  return x * jax.lax.rsqrt(jnp.mean(x * x, axis=-1, keepdims=True) + eps)


def lrelu(x):
  return nn.leaky_relu(x, 0.2)


def upsample(x, factor: int):
  """Nearest-neighbour upsampling of NHWC images by an integer factor."""
  if factor == 1:
    return x
  return jnp.repeat(jnp.repeat(x, factor, axis=1), factor, axis=2)


def downsample(x, factor: int):
  """Average pooling of NHWC images by an integer factor."""
  if factor == 1:
    return x
  n, h, w, c = x.shape
  return x.reshape(n, h // factor, factor, w // factor, factor, c).mean(axis=(2, 4))


def _scale(x, fan_in: int, gain: float = SQRT2):
  return x * jnp.asarray(gain / math.sqrt(fan_in), x.dtype)


class EqConv(nn.Module):
  """A k x k convolution (stride 1, SAME) with the equalised learning rate; `up`:
  nearest-upsample x2 first."""
  features: int
  kernel: int = 3
  gain: float = SQRT2
  up: bool = False

  @nn.compact
  def __call__(self, x):
    x = _scale(x, self.kernel * self.kernel * x.shape[-1], self.gain)
    cls = layers.UpsampleConv if self.up else layers.Conv
    return cls(self.features, (self.kernel, self.kernel), kernel_init=NORMAL, name="conv")(x)


class EqDense(nn.Module):
  features: int
  gain: float = SQRT2

  @nn.compact
  def __call__(self, x):
    return nn.Dense(self.features, kernel_init=NORMAL, name="dense")(
        _scale(x, x.shape[-1], self.gain))


def _last(stage, size):
  return num_stages(size) - 1 if stage is None else int(stage)


class Generator(nn.Module):
  """z [B, z_dim] -> images [B, size, size, channels] (linear output; the paper's G has
  no tanh, sampling clips to [-1, 1]) at `stage` (None: the last) and fade `alpha`."""
  size: int
  channels: int
  width: int = 512
  fmap_base: int = 8192

  @nn.compact
  def __call__(self, z, train: bool = True, stage: int | None = None, alpha=1.0):
    del train  # no batch statistics
    last, stage = num_stages(self.size) - 1, _last(stage, self.size)
    nf = lambda r: channels(self.width, self.fmap_base, r)
    x = pixel_norm(z)
    x = EqDense(4 * 4 * nf(4), gain=SQRT2 / 4, name="dense_4")(x)
    x = pixel_norm(lrelu(x.reshape(z.shape[0], 4, 4, nf(4))))
    x = pixel_norm(lrelu(EqConv(nf(4), name="conv_4")(x)))
    to_rgb = [EqConv(self.channels, 1, gain=1.0, name=f"to_rgb_{resolution(s)}")
              for s in range(last + 1)]
    initializing = self.is_initializing()  # every block's parameters exist from init
    top = last if initializing else stage
    features = [x]
    for s in range(1, top + 1):
      r = resolution(s)
      x = pixel_norm(lrelu(EqConv(nf(r), up=True, name=f"conv_{r}_up")(x)))
      x = pixel_norm(lrelu(EqConv(nf(r), name=f"conv_{r}")(x)))
      features.append(x)
    if initializing:
      for s in range(last + 1):
        to_rgb[s](features[s])
    out = to_rgb[stage](features[stage])
    if stage > 0:
      low = upsample(to_rgb[stage - 1](features[stage - 1]), 2)
      out = low + (out - low) * jnp.asarray(alpha, out.dtype)
    return upsample(out, 2 ** (last - stage))


class Discriminator(nn.Module):
  """images [B, size, size, C] -> scores [B] at `stage` (None: the last) and fade
  `alpha`; the input is average-pooled to the stage's resolution. `axis_name`: under
  pmap the minibatch stddev is the global batch's (when `train`)."""
  size: int
  width: int = 512
  fmap_base: int = 8192
  axis_name: str | None = None

  @nn.compact
  def __call__(self, x, train: bool = True, stage: int | None = None, alpha=1.0):
    last, stage = num_stages(self.size) - 1, _last(stage, self.size)
    nf = lambda r: channels(self.width, self.fmap_base, r)
    from_rgb = [EqConv(nf(resolution(s)), 1, name=f"from_rgb_{resolution(s)}")
                for s in range(last + 1)]
    initializing = self.is_initializing()
    if initializing:
      for s in range(last + 1):
        from_rgb[s](downsample(x, 2 ** (last - s)))
      stage = last
    x = downsample(x, 2 ** (last - stage))
    h = lrelu(from_rgb[stage](x))
    for s in range(stage, 0, -1):
      r = resolution(s)
      h = lrelu(EqConv(nf(r), name=f"conv_{r}")(h))
      h = downsample(lrelu(EqConv(nf(r // 2), name=f"conv_{r}_down")(h)), 2)
      if s == stage and stage > 0:
        low = lrelu(from_rgb[stage - 1](downsample(x, 2)))
        h = low + (h - low) * jnp.asarray(alpha, h.dtype)
    # the global batch's statistics in the (pmapped) train step; scoring and
    # initialisation run outside pmap, on the batch at hand
    axis = self.axis_name if train and not initializing else None
    h = minibatch_lib.minibatch_stddev(h, axis)
    h = lrelu(EqConv(nf(4), name="conv_4")(h))
    h = lrelu(EqDense(nf(4), name="dense_4")(h.reshape(h.shape[0], -1)))
    return EqDense(1, gain=1.0, name="out")(h)[:, 0]


def d_batch_norm(model) -> bool:
  del model
  return False


def build(config, data_shape, axis_name=None):
  """(G, D) for images of `data_shape` = (H, H, C), H a power of 2 from 8 to 1024."""
  size, channels_ = layers.image_shape(data_shape, SIZES, "progan")
  width, fmap_base = int(config.model.width), int(config.model.get("fmap_base", 8192))
  if fmap_base < 1:
    raise ValueError(f"model.fmap_base={fmap_base} must be >= 1 (channels at resolution r: "
                     "min(model.width, 2 * fmap_base / r)); e.g. --config.model.fmap_base=8192.")
  return (Generator(size, channels_, width, fmap_base),
          Discriminator(size, width, fmap_base, axis_name))
