"""The one train step: ``(state, batch, key) -> (state, metrics)``, pure and jit-compiled.

One step is `train.n_critic` discriminator updates, then `train.n_gen` generator
updates. The D update differentiates D's objective w.r.t. D's params only, with the
generated batch under `jax.lax.stop_gradient`; the G update differentiates G's
objective w.r.t. G's params only: two separate `jax.grad` calls, never one gradient
of a combined loss. Learning rates live in the optimizer states
(`optax.inject_hyperparams`), loss / penalty weights and the EMA decay in
`state.hparams`, all as arrays, so the step can be vmapped over a population of runs.

`train.precision=bf16` runs the networks in bfloat16 inside the step, with float32
master weights, optimizer states and losses (gan_jax/precision.py).

With `train.unroll = k > 0` the G update differentiates G's loss through k further D
updates (the unrolled GAN, `unrolled_d`); D's own updates stay the ordinary ones.

The method (``gan_jax/methods``) says what a GAN *is*: ``generate``, ``d_loss`` and
``g_loss`` over variable pytrees; this module handles gradients, optimizers,
projections (weight clipping), EMA and cross-device averaging for every method.
"""
from __future__ import annotations

from typing import Any

import flax
import jax
import jax.numpy as jnp
import optax

from gan_jax import parallel, precision, regularizers

OPTIMIZERS = {
    "adam": lambda c: optax.inject_hyperparams(optax.adam)(
        learning_rate=c.lr, b1=c.b1, b2=c.b2),
    "rmsprop": lambda c: optax.inject_hyperparams(optax.rmsprop)(learning_rate=c.lr),
    "sgd": lambda c: optax.inject_hyperparams(optax.sgd)(learning_rate=c.lr),
}
SCHEDULES = ("constant", "linear", "linear_after", "drop_after")


@flax.struct.dataclass
class TrainState:
  step: jax.Array            # int32, steps done
  key: jax.Array             # the run's PRNG key; step k uses fold_in(key, k)
  g: Any                     # G's variables {"params": ..., "batch_stats": ...}
  d: Any                     # D's variables
  g_opt: Any
  d_opt: Any
  ema: Any                   # EMA of G's params, or None when ema.decay == 0
  hparams: dict              # {dotted config key: float32 array}
  nonfinite_step: jax.Array  # first step whose metrics were not finite; -1 if none


def schedule_factor(c, total_updates: int):
  """The factor the learning rate is multiplied by, as an optax schedule of the update
  count, or None for `constant`:

  - `linear`: falls from 1 to 0 over `total_updates` (the WGAN-GP authors' decay);
  - `linear_after`: 1 for the first `c.decay_start` x `total_updates` updates, then
    linearly to 0 at `total_updates` (CycleGAN, Zhu et al., 2017, Sec. 4: 100 epochs at
    the base rate, then 100 epochs of linear decay, i.e. `decay_start` 0.5);
  - `drop_after`: 1 for the first `c.decay_start` x `total_updates` updates, then
    `c.drop_factor` (a second phase at a lower rate: text_gan's adversarial phase after
    its MLE pretraining).
  """
  if c.schedule not in SCHEDULES:
    raise ValueError(f"Unknown schedule {c.schedule!r}. Available: {', '.join(SCHEDULES)}.")
  total = max(1, total_updates)
  if c.schedule == "linear":
    return optax.linear_schedule(1.0, 0.0, total)
  if c.schedule in ("linear_after", "drop_after"):
    start = float(c.decay_start)
    if c.schedule == "drop_after" and not 0.0 <= start <= 1.0:
      raise ValueError(f"decay_start={start} (optim.<g|d>.decay_start): the share of "
                       "training at the base rate before drop_after's drop; use a value in "
                       "[0, 1] (1: no drop).")
    if c.schedule == "linear_after" and not 0.0 <= start < 1.0:
      raise ValueError(f"decay_start={start} (optim.<g|d>.decay_start): the share of "
                       "training at the base rate before the linear decay; use a value in "
                       "[0, 1) (0.5: the CycleGAN paper's 100 + 100 epochs).")
    boundary = int(round(start * total))
    if c.schedule == "drop_after":
      factor = float(c.get("drop_factor", 1.0))
      if factor < 0:
        raise ValueError(f"drop_factor={factor} (optim.<g|d>.drop_factor): the learning "
                         "rate's factor after decay_start; use a value >= 0.")
      # optax: updates numbered >= boundary (0-based) take the factor.
      return optax.piecewise_constant_schedule(1.0, {boundary: factor})
    return optax.join_schedules(
        [optax.constant_schedule(1.0), optax.linear_schedule(1.0, 0.0, total - boundary)],
        [boundary])
  return None


def optimizer(c, total_updates: int) -> optax.GradientTransformation:
  """The optimizer of config entry `c`; its base learning rate stays an array in the
  state (a sweep may vary it) and a schedule (`schedule_factor`) multiplies its updates
  by a factor of the update count."""
  if c.name not in OPTIMIZERS:
    raise ValueError(f"Unknown optimizer {c.name!r}. Available: {', '.join(OPTIMIZERS)}.")
  factor = schedule_factor(c, total_updates)
  tx = OPTIMIZERS[c.name](c)
  if factor is not None:
    tx = optax.chain(tx, optax.scale_by_schedule(factor))
  return tx


def optimizers(config):
  """(G's, D's) optimizer; D makes n_critic and G n_gen updates per step."""
  steps = int(config.train.steps)
  return (optimizer(config.optim.g, steps * int(config.train.n_gen)),
          optimizer(config.optim.d, steps * int(config.train.n_critic)))


def hparams(config, method) -> dict[str, float]:
  """Array-valued hyperparameters other than the optimizers': by dotted config key."""
  out = {"ema.decay": float(config.ema.decay)}
  out.update(regularizers.hparams(config.regularizers))
  out.update(method.hparams())
  return out


def array_keys(config) -> set[str]:
  """Config keys that enter the step as arrays (optimizer hyperparameters in the optax
  states, the rest in `state.hparams`): a sweep may vary them within one vmapped step,
  and a resumed run may change them."""
  from gan_jax import methods
  keys = {"seed", "ema.decay", "optim.g.lr", "optim.d.lr"}
  keys |= {f"optim.{n}.{b}" for n in ("g", "d") for b in ("b1", "b2")
           if config.optim[n].name == "adam"}
  keys |= set(regularizers.hparams(config.regularizers))
  keys |= set(getattr(methods.get(config.method), "HPARAM_KEYS", ()))
  return keys


def init_state(config, method, key, example_batch) -> TrainState:
  """A fresh state; `example_batch` is one host batch {"x": [B, ...], ...}. Built by one
  compiled function: run op by op, the networks' initialisers and the optimizers' zeros
  would each compile on their own (hundreds of small compiles, most of a short run)."""
  g_tx, d_tx = optimizers(config)
  hp = {k: jnp.asarray(v, jnp.float32) for k, v in hparams(config, method).items()}

  @jax.jit
  def build(key, example_batch):
    k_init, k_run = jax.random.split(key)
    g_vars, d_vars = method.init(k_init, example_batch)
    return TrainState(
        step=jnp.zeros((), jnp.int32), key=k_run, g=g_vars, d=d_vars,
        g_opt=g_tx.init(g_vars["params"]), d_opt=d_tx.init(d_vars["params"]),
        ema=jax.tree.map(jnp.copy, g_vars["params"]) if config.ema.decay > 0 else None,
        hparams=hp, nonfinite_step=jnp.full((), -1, jnp.int32))
  return build(key, example_batch)


def all_finite(tree) -> jax.Array:
  """Whether every floating leaf of `tree` is finite (a scalar bool array)."""
  leaves = [jnp.all(jnp.isfinite(x)) for x in jax.tree.leaves(tree)
            if jnp.issubdtype(jnp.asarray(x).dtype, jnp.floating)]
  return jnp.all(jnp.stack(leaves)) if leaves else jnp.ones((), bool)


def _split_params(variables):
  return variables["params"], {k: v for k, v in variables.items() if k != "params"}


def d_objective(g_params, d_params, state, batch, key, ctx, d_update, method, reg_config):
  """D's loss as a function of both param sets; the generated batch enters D's loss
  through stop_gradient, so its gradient w.r.t. `g_params` is zero (tested)."""
  k_gen, k_loss = jax.random.split(key)
  fake, _ = method.generate({**state.g, "params": g_params}, batch, k_gen, ctx, train=True)
  fake = jax.lax.stop_gradient(fake)
  return method.d_loss(d_params, _split_params(state.d)[1], batch, fake, k_loss,
                       state.hparams, ctx, d_update, reg_config)


# Adam's eps_root in the unrolled D updates: optax's setting for differentiating through
# Adam. With eps_root = 0 the derivative of sqrt(v) is infinite where a D weight has had
# only zero gradients (v = 0; e.g. a dead ReLU unit) and G's gradient would be NaN.
EPS_ROOT = 1e-16


def differentiable(opt_state):
  """`opt_state` with Adam's eps_root raised to EPS_ROOT (other optimizers unchanged):
  sqrt(v + 1e-16) differs from sqrt(v) by at most 1e-8, Adam's own eps."""
  # optax.inject_hyperparams's state (its class differs between optax versions)
  is_inject = lambda x: hasattr(x, "hyperparams") and hasattr(x, "inner_state")

  def raise_eps_root(x):
    if not is_inject(x) or "eps_root" not in x.hyperparams:
      return x
    eps_root = jnp.maximum(x.hyperparams["eps_root"], EPS_ROOT)
    return x._replace(hyperparams={**x.hyperparams, "eps_root": eps_root})
  return jax.tree.map(raise_eps_root, opt_state, is_leaf=is_inject)


def unrolled_d(g_params, state, batch, key, ctx, method, reg_config, d_tx, unroll: int,
               first_update):
  """D's variables after `unroll` = k more D updates from `state.d`, as a function of
  G's params: the surrogate D of the unrolled GAN (Metz et al., 2017, Sec. 2.2).

  Paper: f_K(θ_G, θ_D) = f(θ_G, θ_D^K(θ_G, θ_D)) with θ_D^0 = θ_D and θ_D^{k+1} =
  θ_D^k + η^k df(θ_G, θ_D^k)/dθ_D^k (Eq. 7; η^k: the step of D's optimizer, Adam in its
  experiments); G descends df_K/dθ_G including the term through dθ_D^K/dθ_G (Eq. 10,
  Sec. 2.3); D's own update (Eq. 11) does not depend on the unrolled optimisation. The
  authors' 2-D demo notebook (github.com/poolio/unrolled_gan) builds the unroll from the
  update of the Adam optimizer D trains with, its moment estimates and step count
  included, k = 5 times on the same minibatch and the same z as G's loss.

  Ours: the same. Each unrolled update is the real D update's maths (the method's
  d_loss with its regularizers, the pmean of the gradients, `d_tx` from a copy of
  D's optimizer state, weight clipping), but the generated batch enters without
  stop_gradient, so G's gradient flows through all k updates; the real batch and z
  (drawn from `key`, which G's loss uses too) are the same for every update; the copy
  of the state carries Adam's eps_root = EPS_ROOT (`differentiable`). Nothing of the
  surrogate is kept. One difference: the paper updates G and D simultaneously from the
  same θ_D, while this step makes its n_critic D updates first, so G's surrogate looks
  k updates beyond the D they made. The unrolled updates are numbered on from the next
  step's first D update (`first_update`), the count lazy regularizers (`every` > 1) read.
  """
  fake, _ = method.generate({**state.g, "params": g_params}, batch, key, ctx, train=True)
  d_params, d_collections = _split_params(state.d)
  grad_fn = jax.grad(method.d_loss, has_aux=True)

  def d_step(carry, i):
    d_params, d_collections, d_opt = carry
    grads, (d_collections, _) = grad_fn(
        d_params, d_collections, batch, fake, jax.random.fold_in(key, i + 1), state.hparams,
        ctx, first_update + i, reg_config)
    updates, d_opt = d_tx.update(ctx.pmean(grads), d_opt, d_params)
    d_params = regularizers.project(reg_config, state.hparams,
                                    optax.apply_updates(d_params, updates))
    return (d_params, d_collections, d_opt), None

  carry = (d_params, d_collections, differentiable(state.d_opt))
  (d_params, d_collections, _), _ = jax.lax.scan(d_step, carry, jnp.arange(unroll))
  return {**d_collections, "params": d_params}


def g_objective(config, method, ctx: parallel.Context = parallel.Context()):
  """``objective(g_params, g_collections, state, batch, key) -> (loss, (collections,
  metrics))``: the method's G loss against D, or with `train.unroll` = k > 0 against
  the surrogate D k updates ahead (`unrolled_d`); its logged g_loss is then the
  surrogate's."""
  unroll, n_critic = int(config.train.unroll), int(config.train.n_critic)
  _, d_tx = optimizers(config)
  reg_config = config.regularizers.to_dict()

  def objective(g_params, g_collections, state, batch, key):
    d_vars = state.d
    if unroll:
      d_vars = unrolled_d(g_params, state, batch, key, ctx, method, reg_config, d_tx, unroll,
                          (state.step + 1) * n_critic)
    return method.g_loss(g_params, g_collections, d_vars, batch, key, state.hparams, ctx)
  return objective


def make_updates(config, method, ctx: parallel.Context = parallel.Context()):
  """(d_update, g_update): one D update `(state, batch, key, i) -> (state, metrics)` (the
  i-th of the step) and one G update `(state, batch, key) -> (state, metrics)`."""
  n_critic = int(config.train.n_critic)
  g_tx, d_tx = optimizers(config)
  reg_config = config.regularizers.to_dict()
  regularizers.check(config.regularizers)
  objective = g_objective(config, method, ctx)

  def d_update(state, batch, key, i):
    d_params, _ = _split_params(state.d)
    grad_fn = jax.value_and_grad(d_objective, argnums=1, has_aux=True)
    (_, (collections, metrics)), grads = grad_fn(
        state.g["params"], d_params, state, batch, key, ctx, state.step * n_critic + i,
        method, reg_config)
    grads = ctx.pmean(grads)
    updates, d_opt = d_tx.update(grads, state.d_opt, d_params)
    d_params = optax.apply_updates(d_params, updates)
    d_params = regularizers.project(reg_config, state.hparams, d_params)
    return state.replace(d={**collections, "params": d_params}, d_opt=d_opt), metrics

  def g_update(state, batch, key):
    g_params, g_collections = _split_params(state.g)
    grad_fn = jax.value_and_grad(objective, has_aux=True)
    (_, (collections, metrics)), grads = grad_fn(g_params, g_collections, state, batch, key)
    grads = ctx.pmean(grads)
    updates, g_opt = g_tx.update(grads, state.g_opt, g_params)
    g_params = optax.apply_updates(g_params, updates)
    ema = state.ema
    if ema is not None:
      decay = state.hparams["ema.decay"]
      ema = jax.tree.map(lambda e, p: decay * e + (1.0 - decay) * p, ema, g_params)
    return state.replace(g={**collections, "params": g_params}, g_opt=g_opt, ema=ema), metrics

  return d_update, g_update


def make_train_step(config, method, ctx: parallel.Context = parallel.Context()):
  """Returns ``train_step(state, batch, key) -> (state, metrics)``.

  `batch` leaves are [n_critic, B, ...]: D update i uses batch[i]; the G updates use
  the last one (their real half matters only to methods whose G sees real data).
  """
  n_critic, n_gen = int(config.train.n_critic), int(config.train.n_gen)
  if n_critic < 1 or n_gen < 1:
    raise ValueError(f"train.n_critic and train.n_gen must be >= 1, got {n_critic}, {n_gen}.")
  d_update, g_update = make_updates(config, method, ctx)
  compute = config.train.get("precision", "fp32")
  precision.check(config)

  def train_step(state: TrainState, batch, key):
    with precision.compute(compute):  # the networks' dtype while this step is traced
      return _train_step(state, batch, key)

  def _train_step(state: TrainState, batch, key):
    if hasattr(method, "begin_step"):  # method state set from the step count (progan's
      state = method.begin_step(state)  # stage and fade-in alpha)
    keys = jax.random.split(key, n_critic + n_gen)
    finite = jnp.ones((), bool)
    for i in range(n_critic):
      state, metrics_d = d_update(state, jax.tree.map(lambda x: x[i], batch), keys[i], i)
      finite &= all_finite(metrics_d)
    last = jax.tree.map(lambda x: x[-1], batch)
    for j in range(n_gen):
      state, metrics_g = g_update(state, last, keys[n_critic + j])
      finite &= all_finite(metrics_g)
    finite &= all_finite((state.g["params"], state.d["params"]))
    metrics = ctx.pmean({**metrics_d, **metrics_g})
    # Every update's metrics and the parameters count, so the first bad step is named
    # exactly even when a later update of the same step looks finite again.
    finite = ctx.pmin(finite.astype(jnp.int32)) > 0
    nonfinite_step = jnp.where((state.nonfinite_step < 0) & ~finite, state.step,
                               state.nonfinite_step)
    return state.replace(step=state.step + 1, nonfinite_step=nonfinite_step), metrics

  return train_step


def keyed(train_step):
  """`step(state, batch)` drawing the step's key as fold_in(state.key, state.step), so a
  resumed run, a vmapped member and N devices all see the same randomness."""
  return lambda state, batch: train_step(state, batch, jax.random.fold_in(state.key, state.step))
