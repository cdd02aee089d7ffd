"""Text-conditional image networks (GAN-CLS, Reed et al., 2016, "Generative Adversarial
Text to Image Synthesis", Sec. 3.1 and Fig. 2) on the DCGAN layout, for 28, 32 and
64 px.

Text: a word-level `TextEncoder` phi(t) [B, E] of caption tokens [B, L] (id 0 is
padding): ``bow`` the mean of the word embeddings, ``gru`` the last state of a GRU
over the words (so word order, e.g. which attributes belong to which shape, can be
read); then Dense(E). Only the words of training captions are read (`trained`, from
the method: other words, e.g. a held-out phrasing's, have no trained embedding and are
skipped like padding). G and D each own one (`model.text_encoder`), trained with their
own losses: D's is the "jointly trained" encoder; Reed et al. pretrain one char-CNN-RNN
with a joint image-text embedding and share it (not done here).

G(z, t): c = LeakyReLU(Dense(model.text_cond)(phi(t))) (the paper compresses phi to
128 d) concatenated to z, then the DCGAN generator (networks/dcgan.py).
D(x, t): the DCGAN convolutions to s0 x s0 x C features h, c tiled over s0 x s0 and
concatenated to h, Conv 1x1 -> norm -> LeakyReLU -> flatten -> Dense(1) (the paper's
"depth concatenation, 1x1 convolution, 4x4 convolution" head). `model.d_design`:
``joint`` that head alone; ``separate`` a realism head Dense(1) on flatten(h) plus that
match head on (h, c), the two logits summed. `model.minibatch` (networks/minibatch.py)
appends a minibatch layer to each head's flattened features.

GAN-INT: both networks take `mix` tokens: phi = beta phi(t) + (1 - beta) phi(mix), the
paper's interpolated text embedding (Sec. 4.3, beta = 0.5).

Config: `model.vocab_size`, `model.text_encoder` (bow | gru), `model.text_embed` (E),
`model.text_cond` (the compressed condition), `model.d_design` (joint | separate),
`model.width`, `model.g_norm`, `model.d_norm`, `model.spectral_norm`, `model.g_upsample`
(G's x2 upsampling: transpose | nearest, networks/dcgan.py).
"""
from __future__ import annotations

import flax.linen as nn
import jax.numpy as jnp

from gan_jax.networks import dcgan, layers, minibatch as minibatch_lib

MINIBATCH_LAYERS = True  # D takes model.minibatch (on the flattened features of each head)
G_UPSAMPLE = True  # G takes model.g_upsample (validate.check_modes)
ENCODERS = ("bow", "gru")
D_DESIGNS = ("joint", "separate")
BETA = 0.5  # GAN-INT's interpolation weight (Reed et al., 2016, Sec. 4.3)


class TextEncoder(nn.Module):
  """tokens int32 [B, L] (0 = padding) -> phi [B, dim].

  `trained` (a tuple of vocabulary ids, empty: all but padding): the ids this encoder
  reads; any other word is skipped like padding. Words that occur in no training caption
  keep their random initial embeddings (nothing trains them), so reading them adds noise
  of the embedding's scale to phi; skipping them is the usual out-of-vocabulary rule of
  a vocabulary built from the training text."""
  vocab_size: int
  dim: int = 64
  kind: str = "bow"
  trained: tuple = ()

  @nn.compact
  def __call__(self, tokens):
    mask = tokens > 0
    if self.trained:
      known = jnp.zeros(self.vocab_size, bool).at[jnp.asarray(self.trained)].set(True)
      mask = mask & known[tokens]
      tokens = jnp.where(mask, tokens, 0)
      if self.kind != "bow":  # the GRU reads the trained words left-aligned, in order
        order = jnp.argsort(~mask, axis=1, stable=True)
        tokens = jnp.take_along_axis(tokens, order, 1)
        mask = jnp.take_along_axis(mask, order, 1)
    e = nn.Embed(self.vocab_size, self.dim)(tokens)
    count = jnp.maximum(mask.sum(1), 1)
    if self.kind == "bow":
      h = (e * mask[..., None]).sum(1) / count[:, None]
    else:  # captions are left-aligned: the state after the last word
      h = nn.RNN(nn.GRUCell(self.dim), return_carry=True)(e, seq_lengths=count)[0]
    return nn.Dense(self.dim)(h)


def text_embedding(encoder, tokens, mix=None):
  """phi(tokens), or the GAN-INT interpolation BETA phi(tokens) + (1 - BETA) phi(mix)."""
  phi = encoder(tokens)
  return phi if mix is None else BETA * phi + (1.0 - BETA) * encoder(mix)


class Generator(nn.Module):
  """(z [B, z_dim], tokens [B, L], mix [B, L] or None) -> images [B, H, W, C]."""
  size: int
  channels: int
  vocab_size: int
  width: int = 64
  norm: str = "batch"
  axis_name: str | None = None
  encoder: str = "bow"
  text_embed: int = 64
  text_cond: int = 64
  trained: tuple = ()  # TextEncoder.trained
  upsample: str = "transpose"  # dcgan.UPSAMPLES

  @nn.compact
  def __call__(self, z, train: bool = True, tokens=None, mix=None):
    phi = text_embedding(
        TextEncoder(self.vocab_size, self.text_embed, self.encoder, self.trained), tokens, mix)
    c = nn.leaky_relu(nn.Dense(self.text_cond)(phi), 0.2)
    return dcgan.Generator(self.size, self.channels, self.width, self.norm, self.axis_name,
                           upsample=self.upsample)(jnp.concatenate([z, c], -1), train)


class Discriminator(nn.Module):
  """(images [B, H, W, C], tokens [B, L], mix) -> logits [B] (raw)."""
  size: int
  vocab_size: int
  width: int = 64
  norm: str = "batch"
  spectral_norm: bool = False
  axis_name: str | None = None
  encoder: str = "bow"
  text_embed: int = 64
  text_cond: int = 64
  design: str = "joint"
  minibatch: str = ""  # "" | disc | stddev: on each head's flattened features
  trained: tuple = ()  # TextEncoder.trained

  @nn.compact
  def __call__(self, x, train: bool = True, tokens=None, mix=None):
    sn = lambda layer: layers.maybe_sn(layer, self.spectral_norm)
    norm = lambda: layers.norm(self.norm, self.axis_name, key="model.d_norm",
                               scale_init=layers.dcgan_scale_init)
    bias = self.norm != "batch"
    for i in range(dcgan.num_up(self.size)):
      x = sn(layers.Conv(self.width * 2 ** i, (4, 4), (2, 2), padding="SAME",
                         use_bias=bias or i == 0, kernel_init=layers.DCGAN_INIT))(x, train)
      if i > 0:
        x = norm()(x, train)
      x = nn.leaky_relu(x, 0.2)
    phi = text_embedding(
        TextEncoder(self.vocab_size, self.text_embed, self.encoder, self.trained), tokens, mix)
    c = nn.leaky_relu(nn.Dense(self.text_cond)(phi), 0.2)
    b, s = x.shape[0], x.shape[1]
    h = jnp.concatenate([x, jnp.broadcast_to(c[:, None, None], (b, s, s, c.shape[-1]))], -1)
    h = sn(layers.Conv(x.shape[-1], (1, 1), padding="SAME", use_bias=bias,
                       kernel_init=layers.DCGAN_INIT))(h, train)
    h = nn.leaky_relu(norm()(h, train), 0.2)
    flat = lambda f: minibatch_lib.append(self.minibatch, f.reshape(b, -1), self.axis_name)
    out = sn(nn.Dense(1, kernel_init=layers.DCGAN_INIT))(flat(h), train)[:, 0]
    if self.design == "separate":  # + a realism head that does not read the text
      out = out + sn(nn.Dense(1, kernel_init=layers.DCGAN_INIT))(flat(x), train)[:, 0]
    return out


def d_batch_norm(model) -> bool:
  return model.d_norm == "batch"


def build(config, data_shape, axis_name=None, trained: tuple = ()):
  """(G, D) for images of `data_shape` (28, 32 or 64 px) and the config's text model;
  `trained`: the vocabulary ids the text encoders read (TextEncoder)."""
  size, channels = dcgan.check_shape(data_shape)
  m = config.model
  if m.text_encoder not in ENCODERS:
    raise ValueError(f"model.text_encoder={m.text_encoder!r} must be one of "
                     f"{', '.join(ENCODERS)}; e.g. --config.model.text_encoder=gru.")
  if m.d_design not in D_DESIGNS:
    raise ValueError(f"model.d_design={m.d_design!r} must be one of {', '.join(D_DESIGNS)}; "
                     "e.g. --config.model.d_design=separate.")
  layers.check_norm(m.g_norm, "model.g_norm")
  layers.check_norm(m.d_norm, "model.d_norm")
  if m.g_upsample not in dcgan.UPSAMPLES:
    raise ValueError(f"model.g_upsample={m.g_upsample!r} must be one of "
                     f"{', '.join(dcgan.UPSAMPLES)}; e.g. --config.model.g_upsample=nearest.")
  text = dict(vocab_size=int(m.vocab_size), encoder=m.text_encoder,
              text_embed=int(m.text_embed), text_cond=int(m.text_cond),
              trained=tuple(int(i) for i in trained))
  return (Generator(size, channels, width=m.width, norm=m.g_norm, axis_name=axis_name,
                    upsample=m.g_upsample, **text),
          Discriminator(size, width=m.width, norm=m.d_norm, spectral_norm=m.spectral_norm,
                        axis_name=axis_name, design=m.d_design, minibatch=m.minibatch,
                        **text))
