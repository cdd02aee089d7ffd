"""Networks for text GANs (Yu et al., 2017, SeqGAN, Sec. 4 and Appendix), sized for a CPU.

G, `LSTMGenerator`: ONE step of an LSTM language model, ``(carry, x [B, E]) -> (carry,
logits [B, V])``; the method scans it over a sequence (teacher forcing, sampling hard
tokens, or feeding back Gumbel-softmax relaxed one-hots). Its embedding matrix is the
param "embedding" [V, E]: a token id enters as its row, a (soft) one-hot p [V] as
p @ embedding, which is the same for a hard one-hot. With `mask_pad`, id 0 (padding)
is never emitted (the oracle never emits it).

D, `CNNDiscriminator`: SeqGAN's classifier, reduced: embedding (id lookup or soft
one-hot @ embedding), 1-D convolutions of several window sizes, ReLU, max over time, one
highway layer, dense -> logit [B]. SeqGAN: windows 1-10, 15, 20 with 100-200 filters
each, embedding 64, dropout 0.75; here windows `model.d_windows` with `model.d_filters`
each, no dropout.

Config: `model.vocab_size`, `model.embed` (G's embedding), `model.width` (G's LSTM
hidden size), `model.d_embed`, `model.d_filters`, `model.d_windows`, `model.mask_pad`.
"""
from __future__ import annotations

from typing import Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp

NEG = -1e9  # a masked logit (finite: no NaN in softmax gradients)


def embed(table, x):
  """Token ids [...] -> table rows [..., E]; (soft) one-hots [..., V] -> x @ table."""
  if jnp.issubdtype(x.dtype, jnp.integer):
    return jnp.take(table, x, axis=0)
  return x @ table


class LSTMGenerator(nn.Module):
  vocab_size: int
  embed_dim: int = 32
  hidden: int = 32
  mask_pad: bool = False

  def setup(self):
    self.embedding = self.param("embedding", nn.initializers.normal(0.1),
                                (self.vocab_size, self.embed_dim))
    self.cell = nn.LSTMCell(self.hidden)
    self.out = nn.Dense(self.vocab_size)

  def __call__(self, carry, x):
    carry, h = self.cell(carry, x)
    logits = self.out(h)
    if self.mask_pad:
      logits = jnp.where(jnp.arange(self.vocab_size) == 0, NEG, logits)
    return carry, logits


class CNNDiscriminator(nn.Module):
  vocab_size: int
  embed_dim: int = 64
  filters: int = 32
  windows: Sequence[int] = (2, 3, 4, 5)

  @nn.compact
  def __call__(self, x, train: bool = False):
    """x: ids [B, L] or (soft) one-hots [B, L, V] -> logits [B]."""
    del train
    table = self.param("embedding", nn.initializers.normal(0.1),
                       (self.vocab_size, self.embed_dim))
    e = embed(table, x)
    pooled = [jnp.max(nn.relu(nn.Conv(self.filters, (w,), padding="VALID")(e)), axis=1)
              for w in self.windows if w <= e.shape[1]]
    h = jnp.concatenate(pooled, axis=-1)
    gate = jax.nn.sigmoid(nn.Dense(h.shape[-1])(h))  # highway (Srivastava et al., 2015)
    h = gate * nn.relu(nn.Dense(h.shape[-1])(h)) + (1.0 - gate) * h
    return nn.Dense(1)(h)[:, 0]


def d_batch_norm(model_config) -> bool:
  del model_config
  return False


def build(config, data_shape, axis_name=None):
  del data_shape, axis_name
  m = config.model
  g = LSTMGenerator(int(m.vocab_size), int(m.embed), int(m.width), bool(m.mask_pad))
  d = CNNDiscriminator(int(m.vocab_size), int(m.d_embed), int(m.d_filters),
                       tuple(int(w) for w in m.d_windows))
  return g, d
