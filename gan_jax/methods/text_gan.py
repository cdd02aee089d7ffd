"""Text generation through the one train step: an LSTM language model G and a CNN
discriminator D (gan_jax/networks/text.py), with the generator's gradient estimated by
`loss.estimator`:

- ``mle``: teacher-forced negative log-likelihood, -(1/L) sum_t log G(x_t | x_<t) on real
  sequences (the baseline; D still trains on G's samples and logs its loss, but G never
  sees it, like SEGAN's L1-only baseline).
- ``gumbel``: G emits relaxed one-hots y_t = softmax((logits_t + g_t) / tau), g_t Gumbel
  noise, each fed back as the next input (y_t @ embedding); D scores the [B, L, V] soft
  sequence and G descends the loss pair's G loss through it (Jang et al., 2017; Kusner &
  Hernandez-Lobato, 2016). tau is annealed geometrically from `loss.temperature_start` to
  `loss.temperature_end` over the adversarial steps. `loss.straight_through`: the forward
  pass uses the hard one-hot of argmax y_t, the backward pass the soft y_t.
- ``seqgan``: hard sampled tokens and REINFORCE with D's probability of "real" as the
  reward (Yu et al., 2017, Eq. 4-7): grad = E[sum_t Q(y_<t, y_t) grad log G(y_t | y_<t)],
  Q of the prefix y_<=t the mean of sigmoid(D) over `loss.rollouts` Monte Carlo
  completions of the prefix sampled from G (Eq. 4), and D's own score at t = L;
  `loss.rollouts` = 0 gives every position the whole sequence's score (no rollouts:
  sequence-level REINFORCE, the cheap alternative). SeqGAN rolls out with a delayed copy
  of G (its rate 0.8); ours rolls out with G's current parameters (under stop_gradient).
  No baseline is subtracted, as in SeqGAN.

Why sampling blocks the gradient: a hard token is argmax or a categorical draw, a
piecewise-constant function of G's logits, so D(onehot(sample)) is constant in G's
params almost everywhere and its gradient is exactly zero (tests/methods/
test_text_gan.py builds it and checks the zero). The two ways around it: relax the
sample (Gumbel-softmax: a differentiable surrogate, biased, exact as tau -> 0 but then
with exploding variance), or differentiate the expectation instead of the sample
(REINFORCE / the score function: E[r(y)] has gradient E[r(y) grad log p(y)], unbiased,
high variance; the test checks it against the exact gradient by enumeration).

SeqGAN's protocol, MLE pretraining of G, then D, then adversarial training, runs as ONE
run through the one step: for the first `train.pretrain_steps` steps G's loss is the
teacher-forced NLL (D trains all along on G's samples, which is its pretraining); after
that the estimator's adversarial loss (+ `loss.mle_weight` x NLL, 0 by default). The
GANs therefore start from the MLE model of the same step count. The step number that
selects the phase and sets tau lives in G's variables (collection "progress", +1 per G
update, n_gen = 1), so it is checkpointed with the state and a resumed run is exact.

Batches are {"tokens": int32 [B, L]} (id 0: padding; gan_jax/data/text.py, oracle.py).
Samples: `sample` draws tokens from per-row keys; samples.npz holds `tokens` (int32
[N, L]) and `text` (str [N]: the oracle's ids joined by spaces, fortunes' characters).
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from gan_jax import losses, parallel
from gan_jax.data import text as text_data
from gan_jax.networks import text as nets

ESTIMATORS = ("mle", "gumbel", "seqgan")
HPARAM_KEYS = ("loss.mle_weight",)
SAMPLE_LINES = 8  # lines printed by --mode sample


def check(config) -> None:
  if config.loss.estimator not in ESTIMATORS:
    raise ValueError(f"loss.estimator={config.loss.estimator!r}: use one of "
                     f"{', '.join(ESTIMATORS)}; e.g. --config.loss.estimator=gumbel.")
  if int(config.train.n_gen) != 1:
    raise ValueError(f"train.n_gen={config.train.n_gen}: text_gan counts its steps by G "
                     "updates (pretraining phase, temperature); use 1.")
  if config.train.get("precision", "fp32") != "fp32":
    raise ValueError(f"train.precision={config.train.precision!r}: text_gan's LSTM and "
                     "token sampling run in float32 only (its networks do not go through "
                     "precision.apply, so bf16 would silently change nothing); use "
                     "--config.train.precision=fp32.")
  if len(config.regularizers):
    raise ValueError("text_gan's D reads tokens: input-space regularizers do not apply; "
                     f"got {list(config.regularizers)}: remove them (--config.regularizers "
                     "is empty in experiments/text_gan.py).")
  if config.data.name in ("oracle", "fortunes"):
    from gan_jax.data import oracle
    vocab = oracle.VOCAB_SIZE if config.data.name == "oracle" else len(text_data.VOCAB)
    if int(config.model.vocab_size) != vocab:
      raise ValueError(f"model.vocab_size={config.model.vocab_size}, but data.name="
                       f"{config.data.name!r} has {vocab} token ids; set "
                       f"--config.model.vocab_size={vocab}.")
  if not 0 <= int(config.train.pretrain_steps) <= int(config.train.steps):
    raise ValueError(f"train.pretrain_steps={config.train.pretrain_steps} must be in "
                     f"[0, train.steps={config.train.steps}].")
  g = config.optim.g
  if g.schedule == "drop_after" and int(config.train.pretrain_steps) != int(
      round(float(g.decay_start) * int(config.train.steps))):
    raise ValueError(
        f"optim.g.schedule=drop_after changes G's learning rate after update "
        f"{int(round(float(g.decay_start) * int(config.train.steps)))} (optim.g.decay_start="
        f"{g.decay_start} x train.steps={config.train.steps}), but the adversarial phase "
        f"starts at train.pretrain_steps={config.train.pretrain_steps}; set "
        f"optim.g.decay_start={int(config.train.pretrain_steps) / int(config.train.steps):g} "
        "(experiments/text_gan.py does when pretrain= or steps= is given as an arg).")
  if config.loss.temperature_start <= 0 or config.loss.temperature_end <= 0:
    raise ValueError("loss.temperature_start / temperature_end must be > 0, got "
                     f"{config.loss.temperature_start}, {config.loss.temperature_end}.")


def vocabulary(config) -> tuple[list[str], str]:
  """(id -> string, separator) of the data set, for decoding samples."""
  if config.data.name == "oracle":
    from gan_jax.data import oracle
    return [text_data.PAD] + [str(i) for i in range(1, oracle.VOCAB_SIZE)], " "
  return text_data.VOCAB, ""


class TextGAN:
  FAMILY = "text"
  SAMPLE_KEYS = ("tokens", "text")
  CONDITIONS_FROM_DATA = False
  pack = 1

  def __init__(self, config, data_shape, ctx=parallel.Context()):
    check(config)
    self.length = int(data_shape[0])
    self.G, self.D = nets.build(config, data_shape, ctx.axis_name)
    self.vocab_size, self.hidden = int(config.model.vocab_size), int(config.model.width)
    self.estimator = config.loss.estimator
    self.d_loss_fn, self.g_loss_fn = losses.get(config.loss.name)
    self.pretrain_steps = int(config.train.pretrain_steps)
    self.anneal_steps = max(1, int(config.train.steps) - self.pretrain_steps)
    self.tau_start = float(config.loss.temperature_start)
    self.tau_end = float(config.loss.temperature_end)
    self.straight_through = bool(config.loss.straight_through)
    self.rollouts = int(config.loss.rollouts)
    self.mle_weight = float(config.loss.mle_weight)
    self.vocab, self.separator = vocabulary(config)

  def hparams(self) -> dict:
    return {"loss.mle_weight": self.mle_weight}

  # G as a sequence model.
  def _carry(self, n: int):
    return (jnp.zeros((n, self.hidden)), jnp.zeros((n, self.hidden)))

  def _step(self, params, carry, x):
    return self.G.apply({"params": params}, carry, x)

  def logits(self, params, tokens):
    """Teacher forcing: float32 [B, L, V] logits of x_t given x_<t (x_0's input: id 0)."""
    inputs = jnp.concatenate([jnp.zeros_like(tokens[:, :1]), tokens[:, :-1]], axis=1)
    x = nets.embed(params["embedding"], inputs)  # [B, L, E]

    def step(carry, x_t):
      return self._step(params, carry, x_t)
    _, out = jax.lax.scan(step, self._carry(tokens.shape[0]), jnp.swapaxes(x, 0, 1))
    return jnp.swapaxes(out, 0, 1)

  def log_likelihood(self, params, tokens):
    """float32 [B, L]: log G(x_t | x_<t)."""
    logp = jax.nn.log_softmax(self.logits(params, tokens))
    return jnp.take_along_axis(logp, tokens[..., None], axis=-1)[..., 0]

  def nll(self, params, tokens):
    """float32 [B]: mean NLL per token (nats), padding positions included."""
    return -self.log_likelihood(params, tokens).mean(axis=1)

  def sample_tokens(self, params, row_keys, prefix=None, prefix_len=None):
    """int32 [N, L] drawn from G, row i from its own key row_keys[i] (so chunking or the
    batch size changes nothing). With `prefix` [N, L] and `prefix_len` [N]: positions
    < prefix_len are the prefix's tokens (Monte Carlo rollouts complete them)."""
    n = row_keys.shape[0]

    def step(state, t):
      carry, prev = state
      carry, logits = self._step(params, carry, nets.embed(params["embedding"], prev))
      # Inverse-CDF sampling: one uniform per row (a categorical draw would take V)
      u = jax.vmap(lambda k: jax.random.uniform(jax.random.fold_in(k, t)))(row_keys)
      cdf = jnp.cumsum(jax.nn.softmax(logits), axis=-1)
      token = jnp.minimum(jnp.sum(cdf <= u[:, None] * cdf[:, -1:], axis=-1),
                          self.vocab_size - 1).astype(jnp.int32)
      if prefix is not None:
        token = jnp.where(t < prefix_len, prefix[:, t], token)
      return (carry, token), token
    _, tokens = jax.lax.scan(step, (self._carry(n), jnp.zeros((n,), jnp.int32)),
                             jnp.arange(self.length))
    return tokens.T

  def temperature(self, step):
    """tau at step `step`: tau_start before the adversarial phase, then geometric towards
    tau_end, which it would reach at step train.steps (the last update, step
    train.steps - 1, uses tau_start (tau_end / tau_start)^((A - 1) / A), A the adversarial
    steps: 0.1^(499/500) by default)."""
    frac = jnp.clip((step - self.pretrain_steps) / self.anneal_steps, 0.0, 1.0)
    return self.tau_start * (self.tau_end / self.tau_start) ** frac

  def gumbel_sample(self, params, key, n: int, tau, ctx=parallel.Context()):
    """float32 [n, L, V]: relaxed one-hots (straight-through: hard forward, soft backward),
    each fed back as the next input; under pmap, this device's rows of the global draw."""
    noise = ctx.gumbel(key, (self.length, n, self.vocab_size), axis=1)

    def step(state, g):
      carry, x = state
      carry, logits = self._step(params, carry, x)
      y = jax.nn.softmax((logits + g) / tau)
      if self.straight_through:
        hard = jax.nn.one_hot(jnp.argmax(y, -1), self.vocab_size)
        y = hard + y - jax.lax.stop_gradient(y)
      return (carry, y @ params["embedding"]), y
    x0 = jnp.broadcast_to(params["embedding"][0], (n, params["embedding"].shape[1]))
    _, ys = jax.lax.scan(step, (self._carry(n), x0), noise)
    return jnp.swapaxes(ys, 0, 1)

  # The pure functions of the step.
  def init(self, key, batch):
    k_g, k_d = jax.random.split(key)
    tokens = jnp.asarray(batch["tokens"][:2])
    g_params = self.G.init(k_g, self._carry(2), jnp.zeros((2, int(self.G.embed_dim))))["params"]
    d_vars = dict(self.D.init(k_d, tokens, train=False))
    return {"params": g_params, "progress": {"step": jnp.zeros((), jnp.int32)}}, d_vars

  def generate(self, g_vars, batch, key, ctx, train: bool):
    """D's fakes: soft one-hots [B, L, V] (gumbel) or sampled tokens [B, L]."""
    del train
    n = batch["tokens"].shape[0]
    if self.estimator == "gumbel":
      tau = self.temperature(g_vars["progress"]["step"])
      return self.gumbel_sample(g_vars["params"], key, n, tau, ctx), g_vars
    return self.sample_tokens(g_vars["params"], ctx.keys(key, (n,))), g_vars

  def d_loss(self, d_params, d_collections, batch, fake, key, hp, ctx, d_update, reg_config):
    del key, hp, ctx, d_update, reg_config
    variables = {**d_collections, "params": d_params}
    real_out = self.D.apply(variables, batch["tokens"], train=True)
    fake_out = self.D.apply(variables, fake, train=True)
    loss = self.d_loss_fn(real_out, fake_out)
    return loss, (d_collections, {"d_loss": loss, "d_real": jnp.mean(real_out),
                                  "d_fake": jnp.mean(fake_out)})

  def rewards(self, params, d_vars, tokens, key, ctx=parallel.Context()):
    """float32 [B, L]: Q(y_<=t) = mean over `rollouts` completions of prefix y_<=t of
    sigmoid(D), and sigmoid(D(y)) at t = L (SeqGAN Eq. 4); with 0 rollouts every position
    gets sigmoid(D(y))."""
    b, length = tokens.shape
    final = jax.nn.sigmoid(self.D.apply(d_vars, tokens, train=False))
    if self.rollouts == 0 or length == 1:
      return jnp.broadcast_to(final[:, None], (b, length))
    r = self.rollouts
    prefix_len = jnp.repeat(jnp.arange(1, length), r * b)  # [(L-1) R B]
    prefix = jnp.tile(tokens, ((length - 1) * r, 1))
    keys = ctx.keys(key, (length - 1, r, b), axis=2)  # rows ordered as `prefix`'s
    done = self.sample_tokens(params, keys.reshape(-1, *keys.shape[3:]), prefix, prefix_len)
    scores = jax.nn.sigmoid(self.D.apply(d_vars, done, train=False))
    q = scores.reshape(length - 1, r, b).mean(axis=1).T  # [B, L-1]
    return jnp.concatenate([q, final[:, None]], axis=1)

  def adversarial(self, g_params, d_vars, n: int, key, step, ctx=parallel.Context()):
    """(G's adversarial loss, metrics) of the estimator."""
    if self.estimator == "gumbel":
      tau = self.temperature(step)
      out = self.D.apply(d_vars, self.gumbel_sample(g_params, key, n, tau, ctx), train=False)
      return self.g_loss_fn(out), {"temperature": tau, "reward": jnp.mean(jax.nn.sigmoid(out))}
    k_sample, k_roll = jax.random.split(key)
    params = jax.lax.stop_gradient(g_params)
    tokens = self.sample_tokens(params, ctx.keys(k_sample, (n,)))
    q = jax.lax.stop_gradient(self.rewards(params, d_vars, tokens, k_roll, ctx))
    loss = -jnp.mean(jnp.sum(self.log_likelihood(g_params, tokens) * q, axis=1))
    return loss, {"temperature": jnp.zeros(()), "reward": jnp.mean(q[:, -1])}

  def g_loss(self, g_params, g_collections, d_vars, batch, key, hp, ctx):
    step = g_collections["progress"]["step"]
    nll = jnp.mean(self.nll(g_params, batch["tokens"]))
    progress = {"progress": {"step": step + 1}}
    if self.estimator == "mle":
      return nll, (progress, {"g_loss": nll, "g_nll": nll})
    adversarial = step >= self.pretrain_steps
    tau = self.temperature(step) if self.estimator == "gumbel" else jnp.zeros(())
    zeros = lambda p: (jnp.zeros(()), {"temperature": tau, "reward": jnp.zeros(())})
    adv, metrics = jax.lax.cond(
        adversarial,
        lambda p: self.adversarial(p, d_vars, batch["tokens"].shape[0], key, step, ctx),
        zeros, g_params)
    loss = jnp.where(adversarial, adv + hp["loss.mle_weight"] * nll, nll)
    return loss, (progress, {"g_loss": loss, "g_nll": nll, "g_adversarial": adv,
                             "adversarial": adversarial.astype(jnp.float32), **metrics})

  # Sampling.
  def conditions(self, n: int, seed: int, data=None, **options) -> dict:
    """{"z": uint32 [n, 2]}: one PRNG key per sequence, key i = fold_in(key(seed), i)."""
    del data
    given = sorted(k for k, v in options.items() if v is not None)
    if given:
      raise ValueError(f"text_gan takes no sampling options; got {', '.join(given)}.")
    base = jax.random.PRNGKey(seed)
    return {"z": np.asarray(jax.vmap(lambda i: jax.random.fold_in(base, i))(jnp.arange(n)))}

  def sample(self, g_vars, conditions: dict) -> dict:
    """{"x": int32 [N, L] token ids}."""
    return {"x": self.sample_tokens(g_vars["params"], conditions["z"])}

  def decode(self, tokens) -> np.ndarray:
    return text_data.decode(np.asarray(tokens), self.vocab, self.separator)

  def sample_arrays(self, record: dict) -> dict:
    lines = self.decode(record["x"])
    for line in lines[:SAMPLE_LINES]:
      print("  " + line.replace("\n", "\\n"), flush=True)
    return {"tokens": np.asarray(record["x"], np.int32), "text": lines}

  def write_sample_files(self, record: dict, workdir: str) -> list[str]:
    del record, workdir
    return []

  def grid(self, record: dict):
    """No picture: text runs write samples/step_<N>.txt instead (loop.py)."""
    return None, None

  def discriminate(self, d_vars, x):
    return self.D.apply(d_vars, x, train=False)


def build(config, data_shape, ctx=parallel.Context()):
  return TextGAN(config, data_shape, ctx)
