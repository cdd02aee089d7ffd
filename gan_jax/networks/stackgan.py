"""StackGAN networks (Zhang et al., 2017, "StackGAN: Text to Photo-realistic Image
Synthesis with Stacked Generative Adversarial Networks", Sec. 3 and Fig. 2).

Conditioning augmentation (Sec. 3.1): the text embedding phi(t) [B, E] -> Dense(2 Nc)
-> (mu, log sigma) [B, Nc] each; c = mu + sigma * eps, eps ~ N(0, I), and G's loss
adds lambda KL(N(mu, diag sigma^2) || N(0, I)) (`kl_divergence`). The noise eps is an
input (the tail of the latent the method draws: methods/stackgan.py), so sampling is a
function of the conditions and the seed, as for every other generator here.

Stage I G(z, c0) (Sec. 3.2): c0 (conditioning augmentation of its own text encoder's
phi) concatenated to z, then the DCGAN generator (networks/dcgan.py) to 32 px.
Stage II G(s0, c) (Sec. 3.3): stage I's image s0 [B, 32, 32, C] -> Conv3x3 -> ReLU ->
strided Conv4x4 -> norm -> ReLU down to 8 x 8 ("down-sampling blocks"); c (its own
conditioning augmentation) replicated over 8 x 8 and concatenated; Conv3x3 -> norm ->
ReLU; `residual_blocks` x [Conv3x3 -> norm -> ReLU -> Conv3x3 -> norm, + input, ReLU];
then (nearest x2 -> Conv3x3 -> norm -> ReLU) up to 64 px ("up-sampling blocks"), and
Conv3x3 -> tanh.
Both Ds are the matching-aware text-conditional D of GAN-CLS (networks/
text_conditional.py: DCGAN convolutions to 4 x 4, the text condition tiled and
concatenated, 1x1 conv, Dense(1)), at the stage's resolution.

The text encoders read only the words of the training captions (TextEncoder.trained).
Config: `stackgan.stage` (1 | 2) picks the stage; `model.text_cond` is Nc,
`stackgan.residual_blocks` the count; the rest as networks/text_conditional.py.
"""
from __future__ import annotations

import flax.linen as nn
import jax
import jax.numpy as jnp

from gan_jax.networks import dcgan, layers, text_conditional

MINIBATCH_LAYERS = True  # D is text_conditional's
STAGE_SIZES = {1: 32, 2: 64}
BOTTLENECK = 8  # stage II's encoder goes down to 8 x 8, as the paper's 16 x 16 of 256 px


def kl_divergence(mu, log_sigma):
  """KL(N(mu, diag sigma^2) || N(0, I)) per element [B, Nc]:
  (mu^2 + sigma^2 - 1) / 2 - log sigma (Kingma & Welling, 2014, App. B)."""
  return 0.5 * (mu ** 2 + jnp.exp(2.0 * log_sigma) - 1.0) - log_sigma


class ConditioningAugmentation(nn.Module):
  """(phi [B, E], eps [B, dim]) -> (c = mu + sigma * eps, mu, log sigma), each [B, dim]."""
  dim: int

  @nn.compact
  def __call__(self, phi, eps):
    h = nn.Dense(2 * self.dim)(phi)
    mu, log_sigma = h[:, :self.dim], h[:, self.dim:]
    return mu + jnp.exp(log_sigma) * eps, mu, log_sigma


def _condition(module, tokens, eps):
  phi = text_conditional.TextEncoder(module.vocab_size, module.text_embed, module.encoder,
                                     module.trained)(tokens)
  return ConditioningAugmentation(module.text_cond)(phi, eps)


class Stage1Generator(nn.Module):
  """(latent [B, z_dim + Nc] = (z, eps), tokens [B, L]) -> images [B, 32, 32, C]; with
  `with_kl` also the KL of its conditioning augmentation per element [B, Nc]."""
  channels: int
  vocab_size: int
  z_dim: int
  width: int = 64
  norm: str = "batch"
  axis_name: str | None = None
  encoder: str = "bow"
  text_embed: int = 64
  text_cond: int = 64
  trained: tuple = ()  # text_conditional.TextEncoder.trained

  @nn.compact
  def __call__(self, latent, train: bool = True, tokens=None, with_kl: bool = False):
    z, eps = latent[:, :self.z_dim], latent[:, self.z_dim:]
    c, mu, log_sigma = _condition(self, tokens, eps)
    x = dcgan.Generator(STAGE_SIZES[1], self.channels, self.width, self.norm,
                        self.axis_name)(jnp.concatenate([z, c], -1), train)
    return (x, kl_divergence(mu, log_sigma)) if with_kl else x


class Stage2Generator(nn.Module):
  """(stage I images [B, 32, 32, C], tokens [B, L], eps [B, Nc]) -> [B, 64, 64, C]; with
  `with_kl` also the KL per element [B, Nc]."""
  channels: int
  vocab_size: int
  width: int = 32
  norm: str = "batch"
  axis_name: str | None = None
  encoder: str = "bow"
  text_embed: int = 64
  text_cond: int = 64
  residual_blocks: int = 2
  trained: tuple = ()  # text_conditional.TextEncoder.trained

  @nn.compact
  def __call__(self, low, train: bool = True, tokens=None, eps=None, with_kl: bool = False):
    c, mu, log_sigma = _condition(self, tokens, eps)
    norm = lambda: layers.norm(self.norm, self.axis_name, scale_init=layers.dcgan_scale_init)
    bias = self.norm != "batch"
    conv = lambda f, k=3, s=1: nn.Conv(f, (k, k), (s, s), padding="SAME", use_bias=bias,
                                      kernel_init=layers.DCGAN_INIT)
    features = self.width
    h = nn.relu(nn.Conv(features, (3, 3), padding="SAME", kernel_init=layers.DCGAN_INIT)(low))
    while h.shape[1] > BOTTLENECK:
      features *= 2
      h = nn.relu(norm()(conv(features, 4, 2)(h), train))
    b, s = h.shape[0], h.shape[1]
    h = jnp.concatenate([h, jnp.broadcast_to(c[:, None, None], (b, s, s, c.shape[-1]))], -1)
    h = nn.relu(norm()(conv(features)(h), train))
    for _ in range(self.residual_blocks):
      r = nn.relu(norm()(conv(features)(h), train))
      h = nn.relu(h + norm()(conv(features)(r), train))
    while h.shape[1] < STAGE_SIZES[2]:
      features = max(features // 2, self.width // 2)
      h = jax.image.resize(h, (b, 2 * h.shape[1], 2 * h.shape[2], h.shape[3]), "nearest")
      h = nn.relu(norm()(conv(features)(h), train))
    x = jnp.tanh(nn.Conv(self.channels, (3, 3), padding="SAME",
                         kernel_init=layers.DCGAN_INIT)(h))
    return (x, kl_divergence(mu, log_sigma)) if with_kl else x


def d_batch_norm(model) -> bool:
  return model.d_norm == "batch"


def _text(config) -> dict:
  from gan_jax.methods import gan_cls
  m = config.model
  return dict(vocab_size=int(m.vocab_size), encoder=m.text_encoder,
              text_embed=int(m.text_embed), text_cond=int(m.text_cond),
              trained=gan_cls.trained_ids(config.data.name))


def build_stage(config, stage: int, channels: int, axis_name=None):
  """(G, D) of `stage` (1: 32 px, 2: 64 px) for images of `channels` channels."""
  m = config.model
  if m.text_encoder not in text_conditional.ENCODERS:
    raise ValueError(f"model.text_encoder={m.text_encoder!r} must be one of "
                     f"{', '.join(text_conditional.ENCODERS)}.")
  if m.d_design not in text_conditional.D_DESIGNS:
    raise ValueError(f"model.d_design={m.d_design!r} must be one of "
                     f"{', '.join(text_conditional.D_DESIGNS)}.")
  text = _text(config)
  if stage == 1:
    G = Stage1Generator(channels, z_dim=int(m.z_dim), width=m.width, norm=m.g_norm,
                        axis_name=axis_name, **text)
  else:
    G = Stage2Generator(channels, width=m.width, norm=m.g_norm, axis_name=axis_name,
                        residual_blocks=int(config.stackgan.residual_blocks), **text)
  D = text_conditional.Discriminator(STAGE_SIZES[stage], width=m.width, norm=m.d_norm,
                                     spectral_norm=m.spectral_norm, axis_name=axis_name,
                                     design=m.d_design, minibatch=m.minibatch, **text)
  return G, D


def build(config, data_shape, axis_name=None):
  """(G, D) of the config's stage; the data must be at that stage's size."""
  stage = int(config.stackgan.stage)
  if stage not in STAGE_SIZES:
    raise ValueError(f"stackgan.stage={stage!r} must be 1 (32 px) or 2 (64 px).")
  size, channels = layers.image_shape(data_shape, (STAGE_SIZES[stage],), "stackgan")
  return build_stage(config, stage, channels, axis_name)
