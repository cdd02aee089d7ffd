"""UNIT networks (Liu, Breuel & Kautz, 2017, "Unsupervised image-to-image translation
networks", Sec. 2 and App. A): two VAE-GANs, one per domain, whose encoders share their
last layer and whose generators share their first, so that both domains map to (and
decode from) one latent space.

  E_a, E_b: c7s1-w, d2w, d4w (as CycleGAN's ResNet generator, `networks/cyclegan.py`),
      then `model.blocks - 1` residual blocks of their own and one shared block: the
      latent code h (4w channels at 1/4 of the image size; z = h + N(0, I) in training,
      the paper's fixed-variance Gaussian encoder)
  G_a, G_b: one shared residual block, `model.blocks - 1` of their own, u2w, uw
      (transposed convs), c7s1-C with tanh

Translation A -> B is G_b(E_a(a)). Convs are followed by `model.g_norm` (instance norm,
the authors' code) and ReLU, as in CycleGAN's ResNet generator (not the last conv, which
has tanh, nor the second conv of a residual block, which has no ReLU); reflection
padding; weights ~ N(0, 0.02).

The sharing follows the paper and the authors' 2017 code (`enc_shared`, `dec_shared`);
their later code (the UNIT_Trainer of the MUNIT repository) trains two independent
VAE-GANs and shares no layer. The paper's encoder has 3 convs and 4 residual blocks per
side at 256 px (the last one shared), its generator the mirror image (the first block
shared); the later code downsamples with 4x4 convs and upsamples by nearest-neighbour
+ 5x5 conv with layer norm. Here the down- and upsampling are CycleGAN's 3x3 strided
convs, so the two methods differ only in the shared latent space and its VAE terms.

Discriminator: `networks.pix2pix.PatchGAN` (`model.patch`; the authors' code uses a
3-scale PatchGAN with least squares, the paper a single-scale one).
"""
from __future__ import annotations

import flax.linen as nn
import jax.numpy as jnp

from gan_jax.networks import cyclegan, layers, pix2pix

DOMAINS = ("a", "b")


class Encoder(nn.Module):
  """Images [B, S, S, C] -> features [B, S/4, S/4, 4w] (before the shared block)."""
  width: int
  blocks: int
  norm: str

  @nn.compact
  def __call__(self, x, train: bool = True):
    norm = lambda: layers.norm(self.norm, key="model.g_norm")
    conv = lambda f, k, s=1, pad="VALID": layers.Conv(f, (k, k), (s, s), pad,
                                                      kernel_init=layers.DCGAN_INIT)
    x = nn.relu(norm()(conv(self.width, 7)(cyclegan.reflect(x, 3)), train))
    for mult in (2, 4):
      x = nn.relu(norm()(conv(self.width * mult, 3, 2, ((1, 1), (1, 1)))(x), train))
    for _ in range(self.blocks):
      x = cyclegan.ResnetBlock(self.norm)(x, train)
    return x


class Decoder(nn.Module):
  """Features [B, S/4, S/4, 4w] (after the shared block) -> images [B, S, S, C]."""
  channels: int
  width: int
  blocks: int
  norm: str

  @nn.compact
  def __call__(self, h, train: bool = True):
    norm = lambda: layers.norm(self.norm, key="model.g_norm")
    for _ in range(self.blocks):
      h = cyclegan.ResnetBlock(self.norm)(h, train)
    for mult in (2, 1):
      h = layers.ConvTranspose(self.width * mult, (3, 3), (2, 2), cyclegan.UP_PADDING,
                               kernel_init=layers.DCGAN_INIT)(h)
      h = nn.relu(norm()(h, train))
    h = layers.Conv(self.channels, (7, 7), padding="VALID",
                    kernel_init=layers.DCGAN_INIT)(cyclegan.reflect(h, 3))
    return jnp.tanh(h)


class UnitGenerator(nn.Module):
  """Both domains' encoders and generators. `encode(x, domain)` -> the latent code h
  (the mean of q(z | x)); `decode(z, domain)` -> images of that domain; calling the
  module runs every path (for init): {"aa", "ab", "ba", "bb"}."""
  channels: int
  width: int = 64
  blocks: int = 4
  norm: str = "instance"

  def setup(self):
    private = self.blocks - 1
    self.encoders = [Encoder(self.width, private, self.norm) for _ in DOMAINS]
    self.shared_encoder = cyclegan.ResnetBlock(self.norm)   # E_a's and E_b's last layer
    self.shared_decoder = cyclegan.ResnetBlock(self.norm)   # G_a's and G_b's first layer
    self.decoders = [Decoder(self.channels, self.width, private, self.norm) for _ in DOMAINS]

  def encode(self, x, domain: str, train: bool = True):
    return self.shared_encoder(self.encoders[DOMAINS.index(domain)](x, train), train)

  def decode(self, z, domain: str, train: bool = True):
    return self.decoders[DOMAINS.index(domain)](self.shared_decoder(z, train), train)

  def __call__(self, x, train: bool = True):
    codes = {s: self.encode(x, s, train) for s in DOMAINS}
    return {s + t: self.decode(codes[s], t, train) for s in DOMAINS for t in DOMAINS}


def d_batch_norm(model) -> bool:
  return model.d_norm == "batch"


def build(config, data_shape, axis_name=None):
  """(G, D): both domains' encoders and generators in one module, and one domain's
  PatchGAN (the method makes two)."""
  m = config.model
  _, channels = layers.image_shape(data_shape, cyclegan.SIZES, "UNIT's networks")
  pix2pix.check_shape(data_shape, str(m.patch))
  if m.g_norm == "batch":
    raise ValueError("model.g_norm='batch': UNIT's encoders and generators run on both "
                     "domains and on their own outputs within one step; use 'instance' "
                     "(the authors'), 'layer' or 'none'.")
  layers.check_norm(m.g_norm, "model.g_norm")
  layers.check_norm(m.d_norm, "model.d_norm")
  if int(m.blocks) < 1:
    raise ValueError(f"model.blocks={m.blocks}: UNIT needs >= 1 residual block per side "
                     "(the last of each encoder and the first of each generator are the "
                     "shared ones; the paper: 4).")
  g = UnitGenerator(channels, int(m.width), int(m.blocks), m.g_norm)
  d = pix2pix.PatchGAN(str(m.patch), int(m.d_width), m.d_norm, m.spectral_norm, axis_name)
  return g, d
