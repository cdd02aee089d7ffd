"""Text sources: fortunes (characters, split by document) and the SeqGAN oracle."""
import jax
import numpy as np
import pytest

from gan_jax import config as config_lib, data
from gan_jax.data import oracle, text


@pytest.fixture(scope="module", autouse=True)
def cache_dir(tmp_path_factory):
  with pytest.MonkeyPatch.context() as m:  # one cache for the module: the oracle is shared
    m.setenv("GAN_JAX_CACHE", str(tmp_path_factory.mktemp("cache")))
    yield


def config(seed=0, **data_overrides):
  c = config_lib.base(seed)
  c.data.update({"batch_size": 32, **data_overrides})
  return c


def test_no_fortune_is_in_both_splits():
  docs = text.fortunes()
  assert len(docs) == len(set(docs)) > 15_000
  train, test = (set(text.split_documents(docs, s)) for s in ("train", "test"))
  assert not train & test and len(train) + len(test) == len(docs)
  assert len(test) == round(0.1 * len(docs))
  source = data.get_source(config(name="fortunes"), "test")
  assert set(source.documents) == test


def test_fortune_sequences_round_trip_to_their_documents():
  source = data.get_source(config(name="fortunes", limit=300))
  assert source.shape == (64,) and source.vocab_size == 99 and source.vocab[0] == "<pad>"
  assert len(source.documents) == 300 and source.tokens.dtype == np.int32
  assert source.tokens.min() >= 0 and source.tokens.max() < 99
  for d, doc in enumerate(source.documents):
    rows = np.flatnonzero(source.document == d)
    assert len(rows) == -(-len(doc) // 64)
    ids = source.tokens[rows].reshape(-1)
    assert (ids[:len(doc)] != 0).all() and not ids[len(doc):].any()  # padding only at the end
    decoded = "".join(source.decode(source.tokens[rows]))
    known = "".join(c if c in text.CHARS else "\ufffd" for c in doc)
    assert decoded == known
  b = source.batch(3)
  assert set(b) == {"tokens"} and b["tokens"].shape == (32, 64)
  np.testing.assert_array_equal(data.get_source(config(name="fortunes", limit=300)).batch(3)["tokens"],
                                b["tokens"])
  e = source.examples(4, seed=1)
  assert e["text"].shape == (4,) and list(e["text"]) == list(source.decode(e["tokens"]))
  short = data.get_source(config(name="fortunes", limit=10, seq_len=16))
  assert short.shape == (16,)


def test_characters_encode_and_decode():
  sample = "A fortune:\n\t-- Anon {42} ~!"
  ids = text.encode([sample], 40)
  assert ids.shape == (1, 40) and (ids[0, len(sample):] == 0).all()
  assert text.decode(ids, text.VOCAB)[0] == sample
  assert list(text.encode_chars("é\x08a")) == [1, 1, text.VOCAB.index("a")]
  assert text.decode(text.encode(["é!"], 4), text.VOCAB)[0] == "\ufffd!"


def test_oracle_scores_its_own_samples_above_random_sequences():
  source = data.get_source(config(name="oracle", limit=1000))
  assert source.shape == (20,) and source.size == 1000 and source.vocab_size == 1000
  own = source.tokens
  assert own.min() >= 1 and own.max() <= 999  # id 0 is never emitted
  random = np.random.default_rng(0).integers(1, 1000, own.shape)
  nll_own, nll_random = source.oracle_nll(own).mean(), source.oracle_nll(random).mean()
  assert nll_own < nll_random - 3 and nll_own < np.log(999)
  lp = source.oracle_log_probs(own[:50])
  assert lp.shape == (50, 20, 1000)
  np.testing.assert_allclose(np.exp(lp).sum(-1), 1.0, atol=1e-5)  # normalised
  assert np.isneginf(lp[..., 0]).all()
  manual = -np.take_along_axis(lp, own[:50, :, None], axis=-1)[..., 0].mean(axis=1)
  np.testing.assert_allclose(source.oracle_nll(own[:50]), manual, rtol=1e-5)
  # a prefix changes the next token's distribution (the oracle is not a unigram model)
  j = int(np.flatnonzero(own[:50, 0] != own[0, 0])[0])
  assert np.abs(lp[0, 1, 1:] - lp[j, 1, 1:]).max() > 1.0
  with_pad = own[:2].copy()
  with_pad[0, 3] = 0
  assert np.isinf(source.oracle_nll(with_pad)[0]) and np.isfinite(source.oracle_nll(with_pad)[1])
  fresh = source.oracle_sample(500, seed=0)
  assert abs(source.oracle_nll(fresh).mean() - nll_own) < 0.3
  assert source.decode(own[:1])[0] == " ".join(str(t) for t in own[0])


def test_oracle_data_are_fixed_and_the_splits_differ():
  one = data.get_source(config(name="oracle", limit=300))
  two = data.get_source(config(name="oracle", seed=5, limit=300))
  np.testing.assert_array_equal(one.tokens, two.tokens)  # the data set, not the run's seed
  assert not np.array_equal(one.batch(0)["tokens"], two.batch(0)["tokens"])
  test = data.get_source(config(name="oracle", limit=300), "test")
  assert not (one.tokens[:, None] == test.tokens[None]).all(-1).any()
  full = data.get_source(config(name="oracle"))
  assert full.size == 10_000 and (full.tokens[:300] == one.tokens).all()
  for a, b in zip(jax.tree.leaves(oracle.init_params()), jax.tree.leaves(one.params)):
    np.testing.assert_array_equal(a, b)
  assert np.std(np.concatenate([np.ravel(x) for x in jax.tree.leaves(one.params)])) == \
      pytest.approx(1.0, abs=0.02)  # N(0, 1), as SeqGAN's oracle
