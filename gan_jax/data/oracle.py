"""`oracle`: sequences from a randomly initialised LSTM, the synthetic "true model" of
SeqGAN (Yu et al. 2017, synthetic data experiments), whose exact likelihood scores
generated text.

SeqGAN's oracle: vocabulary 5,000, sequences of 20 tokens, an LSTM with 32-d embedding
and hidden state, every parameter drawn from N(0, 1), 10,000 training sequences.
Ours is sized for a CPU: vocabulary 1,000 (id 0 = padding, never emitted; 999 tokens),
sequences of `data.seq_len` tokens (default 20), embedding 32, hidden 32 (flax
`LSTMCell`), every parameter drawn from N(0, 1) by ``numpy.random.default_rng(ORACLE_SEED)``;
10,000 training and 2,000 test sequences (`data.limit=N`: their first N), sampled at
temperature 1, sequence i of a split from its own key (`sequence_keys`), so splits are
independent and a smaller build is a prefix of the full one.
The first token is predicted from the input id 0 (the start of every sequence). The
sampled sequences are cached (`gan_jax.cache`, keyed by the jax/flax/numpy versions).

`oracle_nll(tokens)` -> float32 [B]: -(1/L) sum_t log p_oracle(x_t | x_<t), the mean
negative log-likelihood per token in nats (SeqGAN's "NLL-oracle", computed as in its
`target_lstm` loss); a sequence containing the padding id 0 scores +inf (the oracle
never emits it).
"""
from __future__ import annotations

import functools

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

from gan_jax import cache
from gan_jax.data import text

VOCAB_SIZE, EMBED, HIDDEN, DEFAULT_LEN = 1000, 32, 32, 20
COUNTS = {"train": 10_000, "test": 2_000}
ORACLE_SEED = 0
VERSION = 1
CHUNK = 500  # rows per compiled scoring / sampling call


class OracleLSTM(nn.Module):
  """One step: (carry, previous token int [B]) -> (carry, log-probs [B, V]), id 0 masked."""
  vocab_size: int = VOCAB_SIZE
  embed: int = EMBED
  hidden: int = HIDDEN

  @nn.compact
  def __call__(self, carry, token):
    carry, h = nn.LSTMCell(self.hidden)(carry, nn.Embed(self.vocab_size, self.embed)(token))
    logits = nn.Dense(self.vocab_size)(h)
    logits = jnp.where(jnp.arange(self.vocab_size) == 0, -jnp.inf, logits)
    return carry, jax.nn.log_softmax(logits)


def _carry(n: int):
  return (jnp.zeros((n, HIDDEN)), jnp.zeros((n, HIDDEN)))


def init_params(seed: int = ORACLE_SEED):
  """The oracle's parameters: the flax tree with every leaf drawn from N(0, 1) by
  ``numpy.random.default_rng(seed)``, leaf after leaf in the tree's order."""
  shapes = jax.eval_shape(OracleLSTM().init, jax.random.key(0), _carry(1),
                          jnp.zeros((1,), jnp.int32))
  rng = np.random.default_rng(seed)
  return jax.tree.map(lambda x: jnp.asarray(rng.standard_normal(x.shape), jnp.float32), shapes)


@jax.jit
def log_probs(params, tokens):
  """float32 [B, L, V]: log p(x_t = v | x_<t) for every position (teacher forcing)."""
  inputs = jnp.concatenate([jnp.zeros_like(tokens[:, :1]), tokens[:, :-1]], axis=1)

  def step(carry, token):
    return OracleLSTM().apply(params, carry, token)
  _, out = jax.lax.scan(step, _carry(tokens.shape[0]), inputs.T)
  return jnp.swapaxes(out, 0, 1)


@jax.jit
def nll(params, tokens):
  """float32 [B]: mean negative log-likelihood per token (nats) of int tokens [B, L]."""
  picked = jnp.take_along_axis(log_probs(params, tokens), tokens[..., None], axis=-1)[..., 0]
  return -picked.mean(axis=1)


def sequence_keys(stream: int, n: int):
  """[n] PRNG keys, one per sequence: key i is fold_in(fold_in(key(ORACLE_SEED), stream), i),
  so the first n sequences of a stream do not depend on how many are drawn."""
  base = jax.random.fold_in(jax.random.key(ORACLE_SEED), stream)
  return jax.vmap(lambda i: jax.random.fold_in(base, i))(jnp.arange(n))


@functools.partial(jax.jit, static_argnums=2)
def sample(params, keys, length: int):
  """int32 [n, length]: one sequence per key of `keys` [n], drawn at temperature 1."""
  n = keys.shape[0]
  step_keys = jax.vmap(lambda k: jax.random.split(k, length))(keys)  # [n, length]

  def step(state, k):
    carry, token = state
    carry, logp = OracleLSTM().apply(params, carry, token)
    # Inverse-CDF sampling: one uniform per sequence (Gumbel-max would draw n x V).
    cdf = jnp.cumsum(jnp.exp(logp), axis=-1)
    u = jax.vmap(jax.random.uniform)(k)[:, None] * cdf[:, -1:]
    token = jnp.minimum(jnp.sum(cdf <= u, axis=-1), logp.shape[-1] - 1).astype(jnp.int32)
    return (carry, token), token
  _, tokens = jax.lax.scan(step, (_carry(n), jnp.zeros((n,), jnp.int32)),
                           jnp.swapaxes(step_keys, 0, 1))
  return tokens.T


def draw(params, stream: int, n: int, length: int) -> np.ndarray:
  """int32 [n, length]: sequences 0 .. n-1 of a key stream, CHUNK at a time (one compiled
  shape; sequence i depends on its own key only, so chunking changes nothing)."""
  keys = sequence_keys(stream, -(-n // CHUNK) * CHUNK)
  parts = [np.asarray(sample(params, keys[i:i + CHUNK], length)) for i in range(0, n, CHUNK)]
  return np.concatenate(parts)[:n] if parts else np.zeros((0, length), np.int32)


class OracleSource(text.TextSource):
  """A TextSource of oracle samples with the oracle's exact scores: `oracle_nll`,
  `oracle_log_probs`, `oracle_sample`; `params` are the oracle's parameters."""

  def __init__(self, params, tokens: np.ndarray, batch_size: int, seed: int, name: str):
    vocab = [text.PAD] + [str(i) for i in range(1, VOCAB_SIZE)]
    super().__init__(tokens, vocab, batch_size, seed, name, separator=" ")
    self.params = params

  def _chunked(self, fn, tokens) -> np.ndarray:
    """fn(params, rows) over CHUNK rows at a time, the last chunk padded with token 1, so
    every call has one shape and compiles once."""
    tokens = np.asarray(tokens, np.int32)
    out = []
    for i in range(0, len(tokens), CHUNK):
      rows = tokens[i:i + CHUNK]
      padded = np.concatenate([rows, np.ones((CHUNK - len(rows),) + rows.shape[1:], np.int32)])
      out.append(np.asarray(fn(self.params, jnp.asarray(padded)))[:len(rows)])
    return np.concatenate(out) if out else np.zeros((0,), np.float32)

  def oracle_log_probs(self, tokens) -> np.ndarray:
    """float32 [B, L, V]: the oracle's next-token log-probabilities."""
    return self._chunked(log_probs, tokens)

  def oracle_nll(self, tokens) -> np.ndarray:
    """float32 [B]: mean NLL per token under the oracle (module docstring)."""
    return self._chunked(nll, tokens)

  def oracle_sample(self, n: int, seed: int) -> np.ndarray:
    """int32 [n, L]: fresh oracle sequences (not the data set's), from `seed`."""
    return draw(self.params, 1000 + seed, n, self.shape[0])


def source(config, split: str) -> OracleSource:
  d = config.data
  if split not in COUNTS:
    raise ValueError(f"oracle has splits {', '.join(COUNTS)}, not {split!r}.")
  length = d.seq_len or DEFAULT_LEN
  params = init_params()
  count = min(d.limit, COUNTS[split]) if d.limit else COUNTS[split]
  params_key = {"version": VERSION, "split": split, "length": length, "seed": ORACLE_SEED,
                "count": count, "sizes": [VOCAB_SIZE, EMBED, HIDDEN],
                "libraries": cache.versions("jax", "flax", "numpy")}

  def build():
    return {"tokens": draw(params, 2 + list(COUNTS).index(split), count, length)}
  tokens = cache.cached("oracle", params_key, build)["tokens"]
  return OracleSource(params, tokens, d.batch_size, config.seed, f"oracle:{split}")
