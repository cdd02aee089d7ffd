"""Text GANs: why sampled tokens carry no gradient and the two ways around it (Gumbel-
softmax, REINFORCE against the exact gradient by enumeration), and the three estimators
trained, sampled and evaluated end to end on the oracle's smoke config."""
import itertools
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gan_jax import methods, parallel, writers
from tests.conftest import experiment_config, train_sample_eval


def tiny(estimator="seqgan", vocab=3, length=2, **overrides):
  """A text_gan method with vocabulary `vocab` (id 0 never emitted) over `length` (data
  'enumerable': no data set, so no data set's vocabulary to match)."""
  config = experiment_config(f"text_gan.py:method={estimator},smoke", **{
      "data.name": "enumerable", "model.vocab_size": vocab, "model.width": 4, "model.embed": 3, "model.d_filters": 2,
      "model.d_windows": (2,), **overrides})
  method = methods.get("text_gan").build(config, (length,))
  g_vars, d_vars = method.init(jax.random.PRNGKey(0), {"tokens": np.ones((2, length), np.int32)})
  return method, g_vars, d_vars


def test_sampled_tokens_block_the_gradient_and_gumbel_softmax_passes_it():
  method, g_vars, d_vars = tiny(**{"loss.rollouts": 2})
  params, key, n = g_vars["params"], jax.random.PRNGKey(1), 16
  d = lambda x: jnp.sum(method.D.apply(d_vars, x))

  def via_sample(p):  # D(one_hot(sampled tokens)): the draw is piecewise constant in p
    return d(jax.nn.one_hot(method.sample_tokens(p, jax.random.split(key, n)), 3))

  def via_gumbel(p):
    return d(method.gumbel_sample(p, key, n, 0.5))

  blocked, relaxed = jax.grad(via_sample)(params), jax.grad(via_gumbel)(params)
  assert sum(float(jnp.abs(g).sum()) for g in jax.tree.leaves(blocked)) == 0.0
  # every parameter of G (embedding, LSTM, output layer) gets a gradient through y_t
  assert min(float(jnp.abs(g).sum()) for g in jax.tree.leaves(relaxed)) > 1e-6


class TableD:
  """A D whose logit is a fixed number per sequence of 2 tokens from {1, 2}."""

  def __init__(self, logits):
    self.logits = jnp.asarray(logits)  # [3, 3]; rows/cols 1..2 used

  def apply(self, variables, tokens, train=False):
    del variables, train
    return self.logits[tokens[:, 0], tokens[:, 1]]


def test_reinforce_matches_the_exact_gradient():
  """SeqGAN's loss, averaged over many samples, has the gradient -d/dθ E_y[sigmoid D(y)],
  computed exactly by enumerating the 4 sequences of 2 tokens from {1, 2}; with Monte
  Carlo rollouts, whose rewards are unbiased estimates of Q (without them, every token's
  reward is D's score of the whole sequence: the plain score-function estimator)."""
  method, g_vars, _ = tiny(**{"loss.rollouts": 2})
  method.D = TableD([[0, 0, 0], [0, 2.0, -1.0], [0, -2.0, 1.5]])
  params = g_vars["params"]
  seqs = jnp.array(list(itertools.product((1, 2), repeat=2)), jnp.int32)
  reward = jax.nn.sigmoid(method.D.apply(None, seqs))

  def expected_reward(p):
    prob = jnp.exp(method.log_likelihood(p, seqs).sum(axis=1))
    return jnp.sum(prob * reward)

  exact = jax.grad(expected_reward)(params)
  loss = lambda p: method.adversarial(p, None, 40_000, jax.random.PRNGKey(2), 10)[0]
  estimate = jax.grad(loss)(params)
  exact_v = jnp.concatenate([x.ravel() for x in jax.tree.leaves(exact)])
  est_v = -jnp.concatenate([x.ravel() for x in jax.tree.leaves(estimate)])
  cosine = float(exact_v @ est_v / (jnp.linalg.norm(exact_v) * jnp.linalg.norm(est_v)))
  assert cosine > 0.97
  assert float(jnp.linalg.norm(est_v) / jnp.linalg.norm(exact_v)) == pytest.approx(1, abs=0.1)


class TableD3:
  """A D whose logit is a fixed number per sequence of 3 tokens from {1, 2}."""

  def __init__(self, logits):
    self.logits = jnp.asarray(logits)

  def apply(self, variables, tokens, train=False):
    del variables, train
    return self.logits[tokens[:, 0], tokens[:, 1], tokens[:, 2]]


def test_rollout_rewards_estimate_q_of_every_prefix():
  """SeqGAN Eq. 4 at L = 3: Q(y_<=t) = E[sigmoid D(y)] over G's completions of the prefix,
  computed exactly by enumerating the 8 sequences; t = L: D's own score."""
  method, g_vars, _ = tiny(length=3, **{"loss.rollouts": 4000})
  method.D = TableD3(np.random.default_rng(0).normal(0, 2, (3, 3, 3)))
  params = g_vars["params"]
  seqs = jnp.array(list(itertools.product((1, 2), repeat=3)), jnp.int32)
  prob = np.exp(np.asarray(method.log_likelihood(params, seqs).sum(axis=1)))
  reward = np.asarray(jax.nn.sigmoid(method.D.apply(None, seqs)))
  tokens = jnp.array([[1, 2, 1], [2, 2, 2]], jnp.int32)
  q = np.asarray(jax.jit(lambda k: method.rewards(params, None, tokens, k))(
      jax.random.PRNGKey(3)))
  for row, y in zip(q, np.asarray(tokens)):
    for t in (1, 2):
      same = np.all(np.asarray(seqs)[:, :t] == y[:t], axis=1)
      exact = np.sum(prob[same] * reward[same]) / np.sum(prob[same])
      assert row[t - 1] == pytest.approx(exact, abs=0.02)
    assert row[2] == pytest.approx(float(jax.nn.sigmoid(method.D.apply(None, y[None])[0])))


@pytest.mark.parametrize("estimator", ["seqgan", "gumbel"])
def test_devices_draw_their_rows_of_the_one_device_batch(estimator):
  """Under pmap each device generates its rows of what one device draws for the global
  batch (here 2 'devices' as a named vmap axis), rollout completions included."""
  method, g_vars, d_vars = tiny(estimator, length=3, **{"loss.rollouts": 2})
  key, batch = jax.random.PRNGKey(4), {"tokens": jnp.ones((8, 3), jnp.int32)}
  one = method.generate(g_vars, batch, key, parallel.Context(), True)[0]
  ctx = parallel.Context(axis_name="d", num_devices=2)
  two = jax.vmap(lambda _: method.generate(g_vars, {"tokens": batch["tokens"][:4]}, key, ctx,
                                           True)[0], axis_name="d")(jnp.arange(2))
  np.testing.assert_array_equal(np.concatenate(list(two)), one)
  if estimator == "gumbel":  # straight-through: the forward pass is a hard one-hot
    y = np.asarray(one)
    assert np.all((np.abs(y) < 1e-6) | (np.abs(y - 1) < 1e-6)) and np.all(y.sum(-1) > 0.99)
  # G's adversarial loss (past pretraining): the devices' mean is the one device's loss
  progress = {"progress": {"step": jnp.asarray(10, jnp.int32)}}
  hp = method.hparams()
  loss_one = method.g_loss(g_vars["params"], progress, d_vars, batch, key, hp,
                           parallel.Context())[0]
  loss_two = jax.vmap(lambda rows: method.g_loss(g_vars["params"], progress, d_vars,
                                                 {"tokens": rows}, key, hp, ctx)[0],
                      axis_name="d")(batch["tokens"].reshape(2, 4, 3))
  assert float(jnp.mean(loss_two)) == pytest.approx(float(loss_one), rel=1e-5)
  if estimator == "seqgan":
    q_one = method.rewards(g_vars["params"], d_vars, one, key)
    q_two = jax.vmap(lambda rows: method.rewards(g_vars["params"], d_vars, rows, key, ctx),
                     axis_name="d")(one.reshape(2, 4, 3))
    np.testing.assert_allclose(np.concatenate(list(q_two)), q_one, rtol=1e-6)


def test_the_phase_and_temperature_follow_the_step():
  method, g_vars, _ = tiny("gumbel", **{"train.steps": 10, "train.pretrain_steps": 4,
                                        "optim.g.decay_start": 0.4})
  assert float(method.temperature(0)) == pytest.approx(1.0)
  assert float(method.temperature(4)) == pytest.approx(1.0)
  assert float(method.temperature(7)) == pytest.approx(0.1 ** 0.5)
  assert float(method.temperature(10)) == pytest.approx(0.1)


def test_mle_loss_is_the_teacher_forced_nll_and_bad_settings_are_named():
  method, g_vars, d_vars = tiny("mle")
  tokens = jnp.array([[1, 2], [2, 2], [1, 1]], jnp.int32)
  loss, _ = method.g_loss(g_vars["params"], {"progress": g_vars["progress"]}, d_vars,
                          {"tokens": tokens}, jax.random.PRNGKey(0), method.hparams(), None)
  logp = jax.nn.log_softmax(method.logits(g_vars["params"], tokens))
  nll = -np.mean(np.take_along_axis(np.asarray(logp), np.asarray(tokens)[..., None], -1))
  assert float(loss) == pytest.approx(nll, rel=1e-5) and nll > 0
  with pytest.raises(ValueError, match="model.vocab_size=1000"):
    methods.get("text_gan").check(experiment_config("text_gan.py:smoke",
                                                    **{"model.vocab_size": 50}))
  with pytest.raises(ValueError, match="train.precision='bf16'"):
    methods.get("text_gan").check(experiment_config("text_gan.py:smoke",
                                                    **{"train.precision": "bf16"}))
  with pytest.raises(ValueError, match="adv_lr=-1"):
    experiment_config("text_gan.py:adv_lr=-1")
  from gan_jax import train_step
  all_mle = experiment_config("text_gan.py:method=seqgan,smoke,pretrain=6")
  assert float(train_step.schedule_factor(all_mle.optim.g, 6)(5)) == 1.0  # never drops
  default = experiment_config("text_gan.py:method=seqgan,steps=20,pretrain=15")
  factor = train_step.schedule_factor(default.optim.g, 20)
  assert [float(factor(k)) for k in (14, 15, 19)] == pytest.approx([1.0, 0.1, 0.1])
  from experiments import text_gan
  assert [m["loss.straight_through"] for m in text_gan.get_sweep()] == [False, True, False]


def test_gs_learning_rate_must_drop_where_the_adversarial_phase_starts():
  with pytest.raises(ValueError, match="optim.g.decay_start=0.4"):
    tiny("seqgan", **{"train.steps": 10, "train.pretrain_steps": 4})
  config = experiment_config("text_gan.py:method=seqgan,steps=10,pretrain=4")
  assert config.optim.g.decay_start * 10 == 4 and config.optim.g.drop_factor == 0.1


# The Gumbel estimator's run is left out of the end-to-end tests for the suite's time
# (its relaxed sample and gradient are tested above; its step is the seqgan run's with
# another G loss): each of these compiles a whole step, ~20 s.
@pytest.mark.parametrize("estimator,data", [("mle", "fortunes"), ("seqgan", "oracle")])
def test_train_sample_eval(estimator, data, tmp_path, capsys):
  config = experiment_config(f"text_gan.py:method={estimator},data={data},smoke")
  samples, scores, protocol = train_sample_eval(config, str(tmp_path), n=10)
  assert set(samples) == {"tokens", "text"}
  length = 20 if data == "oracle" else 64
  assert samples["tokens"].shape == (10, length) and samples["tokens"].dtype == np.int32
  assert samples["text"].dtype.kind == "U" and len(samples["text"]) == 10
  out = capsys.readouterr().out
  assert "Wrote 10 samples of step 6" in out  # and --mode sample prints 8 of them:
  assert sum(("  " + line.replace("\n", "\\n")) in out for line in samples["text"][:8]) == 8
  assert (tmp_path / "samples" / "step_6.txt").read_text().count("\n") == 8
  for n in (2, 3, 4):
    assert 0 <= scores[f"bleu{n}"] <= 1 and 0 <= scores[f"self_bleu{n}"] <= 1
    assert 0 <= scores[f"novelty{n}"] <= 1
  assert protocol["text"]["reference_split"] == "test"
  if data == "oracle":
    assert samples["text"][0] == " ".join(str(t) for t in samples["tokens"][0])
    assert samples["tokens"].min() >= 1  # the oracle's G never emits padding
    # ~ log(999) = 6.91 nats per token for a near-uniform G (the oracle's own: ~ 2-3)
    assert 6.0 < scores["nll_test"] < 7.5 and scores["oracle_nll"] > 5
    assert scores["novelty4"] > 0.9  # random 4-grams of 999 ids are all new
  else:  # characters: padding skipped in the text; ~ log(99) = 4.6 nats untrained
    assert "oracle_nll" not in scores and 2.0 < scores["nll_test"] < 5.0
    row = samples["tokens"][0]
    assert len(samples["text"][0]) == int(np.sum(row > 0))
  rows = [r for r in writers.read_metrics(str(tmp_path)) if "g_loss" in r]
  assert [r["step"] for r in rows] == [3, 6]
  if estimator != "mle":  # 3 MLE steps, then adversarial ones
    assert [r["adversarial"] for r in rows] == [0.0, 1.0]
