"""Layer helpers shared by the network families: spectral norm, the normalisation the
config names, and convolutions written in forms that XLA CPU runs fast.

Why convolutions of our own: XLA lowers a strided transposed convolution to a
convolution over the input dilated with zeros (`lhs_dilation`), and its kernel
gradient to a convolution with a dilated window; on CPU that kernel gradient has no
fast path (the DCGAN step ran at ~3 steps/s). Each of the s x s output phases of a
transposed convolution (outputs whose index is r mod s) reads only about k/s x k/s of
the kernel's taps, so the layer is s^2 small stride-1 convolutions whose outputs are
interleaved (sub-pixel convolution; Shi et al., 2016, "Is the deconvolution layer the
same as a convolutional layer?"): ordinary convolutions with ordinary gradients and
no multiplications by inserted zeros. The same split serves nearest upsampling
followed by a convolution (`UpsampleConv`), and the input gradient of a strided
convolution, which is a transposed convolution (`Conv`): the gradient penalty
differentiates that gradient again.

All of these keep flax's parameter layout and maths (tests/networks/test_layers.py
compares values and gradients with nn.Conv / nn.ConvTranspose).
"""
from __future__ import annotations

import functools
from typing import Any, Callable, Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

from gan_jax import precision

NORMS = ("batch", "layer", "instance", "none")
BATCHNORM_MOMENTUM = 0.9  # flax's convention: running = 0.9 running + 0.1 batch
DN = ("NHWC", "HWIO", "NHWC")
DCGAN_INIT = nn.initializers.normal(0.02)  # Radford et al., 2016, Sec. 4
GEMM_BELOW = 4  # conv_transpose: fewer output channels take the GEMM form (faster for 1
                # and 3 output channels on this CPU, slower from 8)


def maybe_sn(layer: nn.Module, spectral_norm: bool):
  """Wraps `layer` in spectral normalisation (Miyato et al., 2018) when asked.

  Returns a callable `f(x, train)`; the power-iteration vector and sigma live in the
  'batch_stats' collection (part of the train state, float32) and update only when
  `train`.
  """
  if not spectral_norm:
    return lambda x, train: layer(x)
  # the normalised kernel in the train step's compute dtype (train.precision): flax
  # returns it in its float32 statistics' dtype otherwise, and the layer would promote
  # its bfloat16 input to float32
  wrapped = nn.SpectralNorm(layer, dtype=precision.compute_dtype())
  return lambda x, train: wrapped(x, update_stats=train)


def image_shape(data_shape, sizes, family: str, alternative: str = "") -> tuple[int, int]:
  """(size, channels) of a square image shape (H, H, 1 | 3) with H in `sizes`, else a
  ValueError naming the sizes `family` supports, the config key, and `alternative`."""
  shape = tuple(int(d) for d in data_shape)
  if len(shape) != 3 or shape[0] != shape[1] or shape[0] not in sizes or shape[2] not in (1, 3):
    raise ValueError(
        f"{family} supports square images of {', '.join(map(str, sizes))} pixels "
        f"({' or '.join(f'{s}x{s}' for s in sizes)}) with 1 or 3 channels; got data shape "
        f"{shape}. Set data.image_size={'|'.join(map(str, sizes))} (and data.channels to 1 "
        f"or 3){alternative}.")
  return shape[0], shape[2]


def check_norm(kind: str, key: str) -> None:
  if kind not in NORMS:
    raise ValueError(f"Unknown normalisation {kind!r} in {key}; use one of {', '.join(NORMS)}.")


def norm(kind: str, axis_name: str | None = None, *, key: str = "model.g_norm",
         scale_init: Callable = nn.initializers.ones):
  """The normalisation `kind` ('batch' | 'layer' | 'instance' | 'none') as a callable
  `f(x, train)`.

  'batch': BatchNorm over all axes but the last (PyTorch's defaults: momentum 0.1 of
    the new statistic, eps 1e-5); statistics in 'batch_stats', averaged over the pmap
    axis `axis_name` so N devices compute what one device computes; `train=False`
    uses the running statistics.
  'layer': per-sample statistics over all non-batch axes (for images H, W and C) with a
    per-channel scale and offset: the critic normalisation of WGAN-GP (Gulrajani et
    al., 2017, Sec. 4), since batch statistics would couple the samples of the penalty.
  'instance': per-sample, per-channel statistics over H and W, no scale or offset
    (Ulyanov et al., 2016, "Instance normalization"; the CycleGAN authors' nets use
    PyTorch's InstanceNorm2d, affine=False, no running statistics): the same in train
    and eval mode, and nothing to average over devices.
  'none': identity.
  Call it inside a compact module; `key` names the config key in error messages.
  """
  check_norm(kind, key)
  if kind == "none":
    return lambda x, train: x
  if kind == "instance":
    return lambda x, train: nn.InstanceNorm(epsilon=1e-5, use_scale=False, use_bias=False)(x)
  if kind == "layer":
    return lambda x, train: nn.LayerNorm(
        epsilon=1e-5, reduction_axes=tuple(range(1, x.ndim)), scale_init=scale_init)(x)
  bn = nn.BatchNorm(momentum=BATCHNORM_MOMENTUM, epsilon=1e-5, axis_name=axis_name,
                    scale_init=scale_init)
  return lambda x, train: bn(x, use_running_average=not train)


def dcgan_scale_init(key, shape, dtype=jnp.float32):
  """BatchNorm scale ~ N(1, 0.02), as in the DCGAN code."""
  return 1.0 + 0.02 * jax.random.normal(key, shape, dtype)


def transpose_padding(k: int, s: int, padding) -> tuple[int, int]:
  """(before, after) padding of the dilated input, as `lax.conv_transpose` (and so
  `nn.ConvTranspose`) reads `padding`: 'SAME', 'VALID', or a (lo, hi) pair that is
  that padding itself."""
  if padding == "SAME":
    before = k - 1 if s > k - 1 else int(np.ceil((k + s - 2) / 2))
    return before, k + s - 2 - before
  if padding == "VALID":
    return k - 1, k + s - 2 + max(k - s, 0) - (k - 1)
  lo, hi = padding
  return int(lo), int(hi)


def _transpose_axis(n: int, k: int, s: int, pad: tuple[int, int]):
  """One spatial axis of a transposed convolution split into its s output phases.

  Output o = s*i + r reads input i + m through tap s*m + pad[0] - r, for the m that
  put that tap in [0, k): about k/s consecutive inputs (exactly k/s when s divides k).
  Returns the output length and, per phase r, (A_r [taps, k]: the tap each of those
  inputs uses, (lo, hi): the padding of the stride-1 convolution giving ceil(out/s)
  outputs).
  """
  out = (n - 1) * s + 1 + pad[0] + pad[1] - k + 1
  per_phase, phases = -(-out // s), []
  for r in range(s):
    first = -((pad[0] - r) // s)      # smallest m with s*m + pad[0] - r >= 0
    last = (k - 1 + r - pad[0]) // s  # largest m with s*m + pad[0] - r <= k - 1
    m = np.arange(first, max(last, first) + 1)
    a = np.zeros((len(m), k), np.float32)  # a phase no tap reaches (k < s) stays 0
    if last >= first:
      a[np.arange(len(m)), s * m + pad[0] - r] = 1.0
    phases.append((a, (-first, per_phase - 1 + m[-1] - (n - 1))))
  return out, phases


def _upsample_axis(n: int, k: int, s: int, pad: tuple[int, int]):
  """One spatial axis of nearest upsampling by s followed by a stride-1 convolution
  with padding `pad`, split into its s output phases: output s*i + r reads the
  upsampled position s*i + r + t - pad[0], i.e. input i + (r + t - pad[0]) // s, so
  taps landing on the same input add up. Same return value as `_transpose_axis`."""
  out = s * n + pad[0] + pad[1] - k + 1
  per_phase, phases = -(-out // s), []
  for r in range(s):
    d = (r + np.arange(k) - pad[0]) // s
    a = np.zeros((d.max() - d.min() + 1, k), np.float32)
    a[d - d.min(), np.arange(k)] = 1.0
    phases.append((a, (-d.min(), per_phase - 1 + d.max() - (n - 1))))
  return out, phases


def _apply_taps(a: np.ndarray, kernel, axis: int):
  """A [taps, k] applied to `kernel` along `axis`. Equally spaced single taps (every
  transposed convolution's phase) are a strided slice, whose gradient is a cheap
  interior pad; sums of taps (upsampling) a small contraction."""
  rows, cols = np.nonzero(a)
  step = int(cols[1] - cols[0]) if len(cols) > 1 else 1
  if (len(rows) == a.shape[0] and np.array_equal(rows, np.arange(a.shape[0])) and step > 0
      and np.array_equal(cols, cols[0] + step * np.arange(len(cols)))):
    return jax.lax.slice_in_dim(kernel, int(cols[0]), int(cols[-1]) + 1, step, axis)
  return jnp.moveaxis(jnp.tensordot(jnp.asarray(a, kernel.dtype), kernel, axes=(1, axis)), 0,
                      axis)


def _phase_conv(x, kernel, axis_h, axis_w):
  """Sum over phases: for each (r_h, r_w), a stride-1 convolution of x with the
  sub-kernel A_h kernel A_w^T; the outputs interleaved and cut to the output size."""
  (out_h, phases_h), (out_w, phases_w) = axis_h, axis_w
  ys = [[jax.lax.conv_general_dilated(
      x, _apply_taps(a_w, _apply_taps(a_h, kernel, 0), 1), (1, 1), (lohi_h, lohi_w),
      dimension_numbers=DN)
         for a_w, lohi_w in phases_w] for a_h, lohi_h in phases_h]
  h, w = ys[0][0].shape[1:3]
  s_h, s_w = len(phases_h), len(phases_w)
  return _interleave(ys, ((0, out_h - h * s_h), (0, out_w - w * s_w)))


def _interleave(phases, crop):
  """[[y_rh_rw [B, h, w, C]]] (s_h x s_w phases) -> [B, h*s_h, w*s_w, C], then
  `crop` = ((lo, hi), (lo, hi)) (negative: cut) as in lax.pad."""
  y = jnp.stack([jnp.stack(row, axis=3) for row in phases], axis=2)  # [B, h, sh, w, sw, C]
  b, h, sh, w, sw, c = y.shape
  y = y.reshape(b, h * sh, w * sw, c)
  pads = ((0, 0, 0), (*crop[0], 0), (*crop[1], 0), (0, 0, 0))
  return jax.lax.pad(y, jnp.zeros((), y.dtype), pads)


def _paddings(kernel, strides, padding):
  if isinstance(padding, str):
    return [transpose_padding(k, s, padding) for k, s in zip(kernel.shape[:2], strides)]
  return [transpose_padding(k, s, tuple(p))
          for k, s, p in zip(kernel.shape[:2], strides, padding)]


def conv_transpose_phases(x, kernel, strides, padding="SAME"):
  """:func:`conv_transpose` as s_h*s_w stride-1 convolutions, one per output phase,
  each with the k/s x k/s sub-kernel that phase reads; outputs interleaved."""
  (kh, kw), (n, m) = kernel.shape[:2], x.shape[1:3]
  pad_h, pad_w = _paddings(kernel, strides, padding)
  return _phase_conv(x, kernel, _transpose_axis(n, kh, strides[0], pad_h),
                     _transpose_axis(m, kw, strides[1], pad_w))


def upsample_conv(x, kernel, factor: int = 2, padding="SAME"):
  """`conv(upsample(x))`: nearest-neighbour upsampling by `factor` (Keras'
  UpSampling2D) then a stride-1 convolution, computed without the upsampled tensor:
  each output phase is a convolution of x with the taps of `kernel` that land on
  the same input pixel summed (for a 3x3 kernel, 2x2 sub-kernels: 2.25x fewer FLOPs).

  x: [B, H, W, C_in]; kernel: [k, k, C_in, C_out]; padding 'SAME', 'VALID' or
  ((lo, hi), (lo, hi)) of the convolution on the upsampled grid.
  Returns [B, factor*H, factor*W, C_out] for 'SAME'.
  """
  (kh, kw), (n, m) = kernel.shape[:2], x.shape[1:3]
  if isinstance(padding, str):
    same = padding == "SAME"
    padding = [((k - 1) // 2, k - 1 - (k - 1) // 2) if same else (0, 0) for k in (kh, kw)]
  return _phase_conv(x, kernel, _upsample_axis(n, kh, factor, tuple(padding[0])),
                     _upsample_axis(m, kw, factor, tuple(padding[1])))


def _overlap_taps(n: int, k: int, s: int, pad: tuple[int, int]):
  """For one axis of the GEMM form: input j times tap t lands on canvas position
  s*j + (k-1-t) = s*(j+q) + r. Returns the output length, the canvas blocks P, the
  taps [r][q], and the (lo, hi) crop of the canvas to the output."""
  out = (n - 1) * s + 1 + pad[0] + pad[1] - k + 1
  blocks = n - 1 + -(-k // s)
  taps = [[k - 1 - (s * q + r) for q in range(-(-(k - r) // s))] for r in range(s)]
  offset = k - 1 - pad[0]  # output o is canvas position o + offset
  return out, blocks, taps, (-offset, out + offset - s * blocks)


def conv_transpose_gemm(x, kernel, strides, padding="SAME"):
  """:func:`conv_transpose` as one matrix product x [B*H*W, C_in] @ kernel
  [C_in, k_h*k_w*C_out] followed by the overlap-add of the k_h*k_w shifted products
  (the col2im of PyTorch's transposed convolution). Fast when C_out is small."""
  (sh, sw), (kh, kw) = strides, kernel.shape[:2]
  b, n, m, c_in = x.shape
  c_out = kernel.shape[3]
  pad_h, pad_w = _paddings(kernel, strides, padding)
  _, blocks_h, taps_h, crop_h = _overlap_taps(n, kh, sh, pad_h)
  _, blocks_w, taps_w, crop_w = _overlap_taps(m, kw, sw, pad_w)
  cols = jnp.dot(x.reshape(-1, c_in), kernel.transpose(2, 0, 1, 3).reshape(c_in, -1))
  cols = cols.reshape(b, n, m, kh, kw, c_out)
  zero = jnp.zeros((), x.dtype)

  def phase(th, tw):  # sum over q of cols[..., t(q)] shifted by q blocks
    acc = jnp.zeros((b, blocks_h, blocks_w, c_out), x.dtype)
    for qh, t_h in enumerate(th):
      for qw, t_w in enumerate(tw):
        acc = acc + jax.lax.pad(cols[:, :, :, t_h, t_w], zero, (
            (0, 0, 0), (qh, blocks_h - n - qh, 0), (qw, blocks_w - m - qw, 0), (0, 0, 0)))
    return acc
  return _interleave([[phase(th, tw) for tw in taps_w] for th in taps_h], (crop_h, crop_w))


def conv_transpose(x: jax.Array, kernel: jax.Array, strides: Sequence[int], padding="SAME"
                   ) -> jax.Array:
  """`lax.conv_transpose(x, kernel, strides, padding)` in NHWC / HWIO (the flax
  `nn.ConvTranspose` default, transpose_kernel=False) without its dilated-input
  convolution, whose kernel gradient is slow on XLA CPU.

  x: [B, H, W, C_in]; kernel: [k_h, k_w, C_in, C_out] (any k; when s divides k every
  phase reads k/s taps); padding 'SAME', 'VALID' or ((lo, hi), (lo, hi)) as
  lax.conv_transpose reads it.
  Returns [B, H_out, W_out, C_out]; for 'SAME', H_out = H * s_h. Layers with fewer
  than GEMM_BELOW output channels use :func:`conv_transpose_gemm` (a convolution
  with a handful of output channels runs far below the CPU's vector width), others
  :func:`conv_transpose_phases`; both compute the same sums.
  """
  if kernel.shape[3] < GEMM_BELOW:
    return conv_transpose_gemm(x, kernel, strides, padding)
  return conv_transpose_phases(x, kernel, strides, padding)


def _kernel_layer(module: nn.Module, x, compute):
  """The body of a flax-style convolution layer: `module`'s kernel [k_h, k_w, C_in,
  features] and optional bias, as nn.Conv / nn.ConvTranspose create them, with the
  product computed by `compute(x, kernel)` in x's dtype (train.precision=bf16 feeds
  bfloat16 x; a spectrally normalised kernel arrives as float32 and is cast)."""
  kernel = module.param("kernel", module.kernel_init,
                        (*module.kernel_size, x.shape[-1], module.features), jnp.float32)
  y = compute(x, kernel.astype(x.dtype))
  if module.use_bias:
    y = y + module.param("bias", module.bias_init, (module.features,), jnp.float32)
  return y


class ConvTranspose(nn.Module):
  """A transposed convolution with `nn.ConvTranspose`'s parameters (kernel
  [k_h, k_w, C_in, C_out], same meaning, same initialisers) computed by
  :func:`conv_transpose`, which is several times faster on XLA CPU for strided
  upsampling (its kernel gradient: ~10x)."""
  features: int
  kernel_size: Sequence[int]
  strides: Sequence[int] = (1, 1)
  padding: Any = "SAME"
  use_bias: bool = True
  kernel_init: Callable = nn.initializers.lecun_normal()
  bias_init: Callable = nn.initializers.zeros

  @nn.compact
  def __call__(self, x):
    return _kernel_layer(self, x, lambda x, k: conv_transpose(x, k, self.strides, self.padding))


class UpsampleConv(nn.Module):
  """Nearest upsampling by `factor` then `nn.Conv(features, kernel_size)` (stride 1):
  the same parameters as that nn.Conv, computed by :func:`upsample_conv`."""
  features: int
  kernel_size: Sequence[int]
  factor: int = 2
  padding: Any = "SAME"
  use_bias: bool = True
  kernel_init: Callable = nn.initializers.lecun_normal()
  bias_init: Callable = nn.initializers.zeros

  @nn.compact
  def __call__(self, x):
    return _kernel_layer(self, x, lambda x, k: upsample_conv(x, k, self.factor, self.padding))


@functools.partial(jax.custom_vjp, nondiff_argnums=(2, 3))
def _strided_conv(x, kernel, strides, pads):
  return jax.lax.conv_general_dilated(x, kernel, strides, pads, dimension_numbers=DN)


def _strided_conv_fwd(x, kernel, strides, pads):
  return _strided_conv(x, kernel, strides, pads), (x, kernel)


def _strided_conv_bwd(strides, pads, residuals, ct):
  """dx as the transposed convolution of ct with the flipped kernel (computed by
  `conv_transpose`), dkernel by XLA's own rule. Output o reads input s*o + t - lo, so
  dx[i] sums ct[o] K[t] over s*o + (k-1-t) - (k-1-lo) = i: a transposed convolution
  with tap k-1-t and leading padding k-1-lo, trailing padding set by the input size."""
  x, kernel = residuals
  flipped = jnp.flip(kernel, (0, 1)).transpose(0, 1, 3, 2)
  pads_t = [(k - 1 - lo, n - (m - 1) * s - 1 + lo) for n, m, k, s, (lo, _) in
            zip(x.shape[1:3], ct.shape[1:3], kernel.shape[:2], strides, pads)]
  dx = conv_transpose(ct, flipped, strides, pads_t)
  _, kernel_vjp = jax.vjp(lambda k: _strided_conv.fun(x, k, strides, pads), kernel)
  return dx, kernel_vjp(ct)[0]


_strided_conv.defvjp(_strided_conv_fwd, _strided_conv_bwd)


def conv(x, kernel, strides: Sequence[int] = (1, 1), padding="SAME"):
  """`lax.conv_general_dilated(x, kernel, strides, padding)` in NHWC / HWIO (as
  `nn.Conv`). For strides > 1 the input gradient is `conv_transpose` of the output
  gradient instead of XLA's convolution over a zero-dilated gradient: the same
  numbers, but its own derivatives (the gradient penalty differentiates D's input
  gradient w.r.t. D's weights) avoid the dilated-input kernel gradient that is slow on
  XLA CPU (WGAN-GP step ~2x faster)."""
  strides = tuple(int(s) for s in strides)
  pads = jax.lax.padtype_to_pads(x.shape[1:3], kernel.shape[:2], strides, padding) \
      if isinstance(padding, str) else padding
  pads = tuple((int(lo), int(hi)) for lo, hi in pads)
  if strides == (1, 1):
    return jax.lax.conv_general_dilated(x, kernel, strides, pads, dimension_numbers=DN)
  return _strided_conv(x, kernel, strides, pads)


class Conv(nn.Module):
  """`nn.Conv` (same parameters, same maths) through :func:`conv`: strided layers get
  an input gradient that stays fast when differentiated again."""
  features: int
  kernel_size: Sequence[int]
  strides: Sequence[int] = (1, 1)
  padding: Any = "SAME"
  use_bias: bool = True
  kernel_init: Callable = nn.initializers.lecun_normal()
  bias_init: Callable = nn.initializers.zeros

  @nn.compact
  def __call__(self, x):
    return _kernel_layer(self, x, lambda x, k: conv(x, k, self.strides, self.padding))
