"""How the published FID / IS tools turn a generator's float images into InceptionV3's
input: quantise to uint8, resize to 299 x 299, normalise (`eval.inception_preprocess`,
recorded with every score). The choice moves FID by several points (Parmar et al.,
2022, "On aliased resizing and surprising subtleties in GAN evaluation"), so scores
compare only under the same one.
"""
from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np

SIZE = 299

PREPROCESS = {
    "pytorch_fid": "uint8 quantisation; bilinear resize to 299 with half-pixel centres, no "
                   "antialiasing (torch F.interpolate, align_corners=False); x / 127.5 - 1 "
                   "(pytorch-fid: 2 * (x / 255) - 1)",
    "tf": "uint8 quantisation; TF1 bilinear resize to 299 (tf.image.resize_bilinear, "
          "align_corners=False: source = target * in / out; TTUR's FID graph, "
          "torch-fidelity); (x - 128) / 128",
    "clean": "uint8 quantisation; PIL bicubic resize to 299 of each channel as float32 "
             "(clean-fid's 'clean' mode); (x - 128) / 128",
}


def quantize(images: jax.Array) -> jax.Array:
  """[-1, 1] floats -> the uint8 values {0, ..., 255} (as float32) a saved PNG would hold:
  round((x + 1) 127.5), clipped. Real uint8 data mapped by q / 127.5 - 1 come back exactly.
  pytorch-fid and torch-fidelity only ever see uint8 images."""
  return jnp.clip(jnp.floor((images.astype(jnp.float32) + 1.0) * 127.5 + 0.5), 0.0, 255.0)


@functools.lru_cache(maxsize=None)
def resize_matrix(n_in: int, n_out: int, mode: str) -> np.ndarray:
  """[n_out, n_in] float32 weights W of a 1-D resize (out = W @ in); 2-D resizes apply it
  to rows and columns (all three modes are separable).

  pytorch_fid: source = (i + 0.5) n_in / n_out - 0.5, clamped at 0 (torch's bilinear);
  tf: source = i n_in / n_out (TF1's resize_bilinear without align_corners); both blend
  floor(source) and the next pixel (clamped to the edge). clean: the weights PIL's
  bicubic resample of a float image uses, read off by resizing an identity image.
  """
  if mode not in PREPROCESS:
    raise ValueError(f"Unknown eval.inception_preprocess {mode!r}; use one of "
                     f"{', '.join(PREPROCESS)}.")
  if n_in == n_out:
    return np.eye(n_in, dtype=np.float32)
  if mode == "clean":
    from PIL import Image
    eye = Image.fromarray(np.eye(n_in, dtype=np.float32))  # mode 'F'
    return np.asarray(eye.resize((n_out, n_in), Image.BICUBIC), np.float32).T.copy()
  scale = np.float32(n_in / n_out)
  i = np.arange(n_out, dtype=np.float32)
  src = np.maximum((i + 0.5) * scale - 0.5, 0.0) if mode == "pytorch_fid" else i * scale
  lo = np.floor(src).astype(np.int64)
  hi = np.minimum(lo + 1, n_in - 1)
  frac = (src - lo).astype(np.float32)
  w = np.zeros((n_out, n_in), np.float32)
  np.add.at(w, (np.arange(n_out), lo), 1.0 - frac)
  np.add.at(w, (np.arange(n_out), hi), frac)
  return w


def preprocess(images: jax.Array, mode: str = "pytorch_fid") -> jax.Array:
  """NHWC images in [-1, 1] with 1 or 3 channels -> the network's input [N, 299, 299, 3]
  float32, as the tool named by `mode` makes it (see PREPROCESS): quantise to uint8,
  resize, normalise. Grey images are repeated over three channels."""
  if images.ndim != 4 or images.shape[-1] not in (1, 3):
    raise ValueError(f"Inception takes NHWC images with 1 or 3 channels, got shape "
                     f"{images.shape}.")
  x = quantize(images)
  if x.shape[-1] == 1:
    x = jnp.repeat(x, 3, axis=-1)
  rows = jnp.asarray(resize_matrix(x.shape[1], SIZE, mode))
  cols = jnp.asarray(resize_matrix(x.shape[2], SIZE, mode))
  x = jnp.einsum("oh,nhwc,pw->nopc", rows, x, cols, precision=jax.lax.Precision.HIGHEST)
  return x / 127.5 - 1.0 if mode == "pytorch_fid" else (x - 128.0) / 128.0


