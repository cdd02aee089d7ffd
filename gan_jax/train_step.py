"""The one train step: ``(state, batch, key) -> (state, metrics)``, pure and jit-compiled.

One step is `train.n_critic` discriminator updates, then `train.n_gen` generator
updates. The D update differentiates D's objective w.r.t. D's params only, with the
generated batch under `jax.lax.stop_gradient`; the G update differentiates G's
objective w.r.t. G's params only: two separate `jax.grad` calls, never one gradient
of a combined loss. Learning rates live in the optimizer states
(`optax.inject_hyperparams`), loss / penalty weights and the EMA decay in
`state.hparams`, all as arrays, so the step can be vmapped over a population of runs.

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

from gan_jax import parallel, regularizers

OPTIMIZERS = {
    "adam": lambda c: optax.inject_hyperparams(optax.adam)(
        learning_rate=c.lr, b1=c.b1, b2=c.b2),
    "rmsprop": lambda c: optax.inject_hyperparams(optax.rmsprop)(learning_rate=c.lr),
    "sgd": lambda c: optax.inject_hyperparams(optax.sgd)(learning_rate=c.lr),
}
SCHEDULES = ("constant", "linear", "linear_after")


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
    the base rate, then 100 epochs of linear decay, i.e. `decay_start` 0.5).
  """
  if c.schedule not in SCHEDULES:
    raise ValueError(f"Unknown schedule {c.schedule!r}. Available: {', '.join(SCHEDULES)}.")
  total = max(1, total_updates)
  if c.schedule == "linear":
    return optax.linear_schedule(1.0, 0.0, total)
  if c.schedule == "linear_after":
    start = float(c.decay_start)
    if not 0.0 <= start < 1.0:
      raise ValueError(f"decay_start={start} (optim.<g|d>.decay_start): the share of "
                       "training at the base rate before the linear decay; use a value in "
                       "[0, 1) (0.5: the CycleGAN paper's 100 + 100 epochs).")
    boundary = int(round(start * total))
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


def make_updates(config, method, ctx: parallel.Context = parallel.Context()):
  """(d_update, g_update): one D update `(state, batch, key, i) -> (state, metrics)` (the
  i-th of the step) and one G update `(state, batch, key) -> (state, metrics)`."""
  n_critic = int(config.train.n_critic)
  g_tx, d_tx = optimizers(config)
  reg_config = config.regularizers.to_dict()
  regularizers.check(config.regularizers)

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
    grad_fn = jax.value_and_grad(method.g_loss, has_aux=True)
    (_, (collections, metrics)), grads = grad_fn(
        g_params, g_collections, state.d, batch, key, state.hparams, ctx)
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

  def train_step(state: TrainState, batch, key):
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
