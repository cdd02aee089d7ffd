"""Video prediction networks (method `video`; after Mathieu et al., 2016, "Deep multi-scale
video prediction beyond mean square error", whose G and D are 2-D convolutional networks
over frames stacked on channels): a convolutional encoder-decoder G over the past frames
with a latent z at the bottleneck, and a convolutional D on (past, future) sequences.

Frames are [B, T, H, W, C] in [-1, 1]; both networks stack the frames on channels
([B, H, W, T C]), so a convolution sees every frame at once (Mathieu et al.'s choice; a
3-D convolution would share weights over time, which the fork's turn does not have).
With w = model.width and n = model.depth stride-2 levels (32 px -> 32 / 2^n):

G: past [B, P, H, W, C] -> n x (Conv 4x4 stride 2 -> norm -> LeakyReLU(0.2)) to widths
w, 2w, 4w, ...; z [B, z_dim] -> Dense to the bottleneck's H' x W' x w and concatenated on
channels (z sets where the item goes: at a fork, which branch); n x (ConvTranspose 4x4
stride 2 -> norm -> ReLU, concatenated with the encoder's output of that size, U-Net
style, so the item's appearance is copied at full resolution) -> Conv 3x3 to F C
channels -> tanh: future [B, F, H, W, C].
D: (past, future) [B, P + F, H, W, C] stacked on channels -> n x (Conv 4x4 stride 2 ->
norm (not on the first layer) -> LeakyReLU(0.2)) -> Dense(1): one logit per sequence.
G and D keep the config's norms (`model.g_norm`, `model.d_norm`; the experiment uses
'layer', per-sample, so nothing couples a batch's samples).
"""
from __future__ import annotations

import flax.linen as nn
import jax.numpy as jnp

from gan_jax.networks import layers

LEAK = 0.2


def stack(frames):
  """[B, T, H, W, C] -> [B, H, W, T C] (frame t's channels at t C .. t C + C - 1)."""
  b, t, h, w, c = frames.shape
  return frames.transpose(0, 2, 3, 1, 4).reshape(b, h, w, t * c)


def unstack(x, frames: int):
  """[B, H, W, T C] -> [B, T, H, W, C] (the inverse of `stack`)."""
  b, h, w, tc = x.shape
  return x.reshape(b, h, w, frames, tc // frames).transpose(0, 3, 1, 2, 4)


class Generator(nn.Module):
  """(past [B, P, H, W, C], z [B, z_dim]) -> future [B, F, H, W, C] in [-1, 1]."""
  future: int
  width: int = 32
  depth: int = 3
  norm: str = "layer"
  axis_name: str | None = None

  @nn.compact
  def __call__(self, past, z, train: bool = True):
    channels = past.shape[-1]
    h, skips = stack(past), []
    for i in range(self.depth):
      h = layers.Conv(self.width * 2 ** i, (4, 4), (2, 2))(h)
      h = layers.norm(self.norm, self.axis_name)(h, train)
      h = nn.leaky_relu(h, LEAK)
      skips.append(h)
    b, hh, ww, _ = h.shape
    code = nn.Dense(hh * ww * self.width)(z.astype(h.dtype)).reshape(b, hh, ww, self.width)
    h = jnp.concatenate([h, nn.relu(code)], axis=-1)
    for i in reversed(range(self.depth)):
      h = layers.ConvTranspose(self.width * 2 ** max(i - 1, 0), (4, 4), (2, 2))(h)
      h = layers.norm(self.norm, self.axis_name)(h, train)
      h = nn.relu(h)
      if i > 0:
        h = jnp.concatenate([h, skips[i - 1]], axis=-1)
    h = layers.Conv(self.future * channels, (3, 3))(h)
    return unstack(jnp.tanh(h), self.future)


class Discriminator(nn.Module):
  """Sequences [B, P + F, H, W, C] (past then future) -> logits [B]."""
  width: int = 32
  depth: int = 3
  norm: str = "layer"
  axis_name: str | None = None

  @nn.compact
  def __call__(self, frames, train: bool = True):
    h = stack(frames)
    for i in range(self.depth):
      h = layers.Conv(self.width * 2 ** i, (4, 4), (2, 2))(h)
      if i > 0:
        h = layers.norm(self.norm, self.axis_name, key="model.d_norm")(h, train)
      h = nn.leaky_relu(h, LEAK)
    return nn.Dense(1)(h.reshape(h.shape[0], -1))[:, 0]


def build(config, data_shape, axis_name=None):
  """(G, D) for futures of `data_shape` (F, H, W, C), H and W divisible by 2^depth."""
  m = config.model
  shape = tuple(int(d) for d in data_shape)
  if len(shape) != 4:
    raise ValueError(f"The video networks take frame sequences (F, H, W, C); got data shape "
                     f"{shape} (use data.name=moving_fashion).")
  depth = int(m.depth)
  if shape[1] % 2 ** depth or shape[2] % 2 ** depth:
    raise ValueError(f"Frames {shape[1]}x{shape[2]} must be divisible by 2^model.depth = "
                     f"{2 ** depth}; e.g. data.image_size=32 with model.depth=3.")
  for key in ("g_norm", "d_norm"):
    layers.check_norm(m[key], f"model.{key}")
  return (Generator(shape[0], int(m.width), depth, m.g_norm, axis_name),
          Discriminator(int(m.width), depth, m.d_norm, axis_name))


def d_batch_norm(model) -> bool:
  """Whether D normalises over the batch: its normalisation is model.d_norm."""
  return model.d_norm == "batch"
