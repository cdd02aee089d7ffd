"""Config validation: every value a run reads is checked before anything is built.

A wrong value fails with one line naming the key, the value seen and the fix, e.g.

  data.batch_size=-8 must be an integer >= 1 (the global batch); e.g. --config.data.batch_size=64.

Each family keeps its own knowledge, and these checks ask it: `methods.get`,
`networks.get`, `losses.get` and `data.check_name` raise for names they do not know
(listing the known ones), `layers.check_norm` for normalisations, `regularizers.check`
for the regularizer block (including a penalty on a D that normalises over the batch,
which the network family reports with `d_batch_norm`), and the optimizer and schedule
tables of `train_step`. What is left here are the ranges of the standard keys
(../shared/DESIGN.md, 'Config').

Composable: `validate` runs `CHECKS` in order, then the method's own `check(config)`
when its module defines one (a conditional method requiring labelled data, a
translation method requiring paired data, ...), so a new method adds its rules in its
own file.

The device split of the batch (`data.batch_size` over `parallel.num_devices`) depends
on the machine, not only the config; `parallel.num_devices` checks it when training.
"""
from __future__ import annotations

import math
from typing import Any, Callable

from gan_jax import data, losses, methods, networks, precision, regularizers, train_step
from gan_jax.networks import layers, minibatch

MISSING = object()


def lookup(config, key: str) -> Any:
  """The value at dotted `key`, or MISSING when the config has no such key."""
  node = config
  for part in key.split("."):
    if part not in node:
      return MISSING
    node = node[part]
  return node


def _fail(key: str, value, rule: str, example) -> None:
  raise ValueError(f"{key}={value!r} must be {rule}; e.g. --config.{key}={example}.")


def integer(config, key: str, minimum: int, why: str, example, maximum: int | None = None
            ) -> None:
  """`key` must hold an int >= `minimum` (and < `maximum`); a missing key is left to
  its reader."""
  value = lookup(config, key)
  if value is MISSING:
    return
  if (isinstance(value, bool) or not isinstance(value, int) or value < minimum
      or (maximum is not None and value >= maximum)):
    bound = f" and < {maximum}" if maximum is not None else ""
    _fail(key, value, f"an integer >= {minimum}{bound} ({why})", example)


def number(config, key: str, low: float, high: float, rule: str, example,
           low_open: bool = False, high_open: bool = False) -> None:
  """`key` must hold a finite number in the interval from `low` to `high` (open ends
  where asked); `rule` says the interval in words for the message."""
  value = lookup(config, key)
  if value is MISSING:
    return
  ok = (isinstance(value, (int, float)) and not isinstance(value, bool)
        and math.isfinite(value)
        and (value > low if low_open else value >= low)
        and (value < high if high_open else value <= high))
  if not ok:
    _fail(key, value, rule, example)


def check_run(config) -> None:
  integer(config, "seed", 0, "seeds numpy's and JAX's generators", 0, maximum=2**32)
  integer(config, "train.steps", 1, "the steps to train", 2000)
  integer(config, "train.n_critic", 1, "D updates per step", 1)
  integer(config, "train.n_gen", 1, "G updates per step", 1)
  integer(config, "parallel.num_devices", 0, "0 uses every local device", 0)


def check_data(config) -> None:
  integer(config, "data.batch_size", 1, "the global batch", 64)
  integer(config, "data.image_size", 0, "0 keeps the data set's own size", 32)
  channels = lookup(config, "data.channels")
  if channels is not MISSING and channels not in (0, 1, 3):
    _fail("data.channels", channels, "0 (the data's own), 1 (gray) or 3 (RGB)", 3)
  data.check_name(config.data.name)


def check_model(config) -> None:
  family = networks.get(config.model.name)
  for key, example in (("z_dim", 100), ("width", 64), ("depth", 3), ("kernel_size", 4)):
    integer(config, f"model.{key}", 1, "a size", example)
  for key in ("g_norm", "d_norm"):
    layers.check_norm(config.model[key], f"model.{key}")
  regularizers.check(config.regularizers, d_batch_norm=family.d_batch_norm(config.model))


def check_loss(config) -> None:
  losses.get(config.loss.name)


def check_optimizers(config) -> None:
  for net in ("g", "d"):
    c, key = config.optim[net], f"optim.{net}"
    if c.name not in train_step.OPTIMIZERS:
      _fail(f"{key}.name", c.name, f"one of {', '.join(train_step.OPTIMIZERS)}", "adam")
    if c.schedule not in train_step.SCHEDULES:
      _fail(f"{key}.schedule", c.schedule, f"one of {', '.join(train_step.SCHEDULES)}",
            "constant")
    number(config, f"{key}.lr", 0.0, math.inf, "a learning rate > 0", 1e-4, low_open=True)
    for beta, example in (("b1", 0.5), ("b2", 0.999)):
      number(config, f"{key}.{beta}", 0.0, 1.0, "in [0, 1) (an Adam moment decay)", example,
             high_open=True)


def check_ema(config) -> None:
  number(config, "ema.decay", 0.0, 1.0,
         "in [0, 1) (0 keeps no EMA; 1 would freeze the EMA at the initial weights)", 0.999,
         high_open=True)


def check_schedule(config) -> None:
  for key in ("log.every", "ckpt.every", "sample.every", "eval.every"):
    integer(config, key, 0, "an interval in steps; 0: only at the end", 1000)
  integer(config, "ckpt.keep", 1, "checkpoints kept", 3)
  integer(config, "sample.num", 1, "samples in each picture", 64)
  integer(config, "eval.num_samples", 1, "generated samples per evaluation", 10000)
  metrics = lookup(config, "eval.metrics")
  if metrics is not MISSING:
    from gan_jax.metrics import evaluator
    unknown = [m for m in metrics if m not in evaluator.Evaluator.GROUPS]
    if unknown or isinstance(metrics, str):
      _fail("eval.metrics", metrics, f"a tuple of {', '.join(evaluator.Evaluator.GROUPS)}",
            "'(\"classifier\",)'")


def check_modes(config) -> None:
  """The mode-collapse remedies: PacGAN's `model.pack`, the unrolled GAN's
  `train.unroll`, D's `model.minibatch` layer (all off by default)."""
  integer(config, "model.pack", 1, "samples per D decision, PacGAN; 1: off", 2)
  integer(config, "train.unroll", 0, "D updates G's loss looks ahead, unrolled GAN; 0: off", 5)
  pack, kind = lookup(config, "model.pack"), lookup(config, "model.minibatch")
  if pack not in (MISSING, 1):
    if config.method != "gan":
      raise ValueError(f"model.pack={pack} packs the inputs of the unconditional GAN's D "
                       f"(method gan), not method {config.method!r} (its D's other inputs "
                       "would need packing too); set --config.model.pack=1.")
    if config.data.batch_size % pack:
      raise ValueError(f"data.batch_size={config.data.batch_size} must be a multiple of "
                       f"model.pack={pack} (the batch is cut into packs of {pack}); e.g. "
                       f"--config.data.batch_size={pack * max(1, config.data.batch_size // pack)}.")
  if kind is not MISSING:
    minibatch.check(kind)
    if kind and not getattr(networks.get(config.model.name), "MINIBATCH_LAYERS", False):
      raise ValueError(f"model.minibatch={kind!r} is a layer of the mlp and dcgan "
                       f"discriminators, not of model.name={config.model.name!r}; set "
                       "--config.model.minibatch='' or use one of those networks.")
  upsample = lookup(config, "model.g_upsample")
  if upsample is not MISSING:
    from gan_jax.networks import dcgan
    if upsample not in dcgan.UPSAMPLES:
      _fail("model.g_upsample", upsample, f"one of {', '.join(dcgan.UPSAMPLES)}", "nearest")
    if upsample != "transpose" and not getattr(networks.get(config.model.name), "G_UPSAMPLE",
                                               False):
      raise ValueError(f"model.g_upsample={upsample!r} is read only by the text_conditional "
                       f"G, not by model.name={config.model.name!r} (its G would ignore it); "
                       "set --config.model.g_upsample=transpose.")


def check_precision(config) -> None:
  if lookup(config, "train.precision") is not MISSING:
    precision.check(config)


CHECKS: tuple[Callable, ...] = (check_run, check_data, check_model, check_loss,
                                check_optimizers, check_ema, check_schedule, check_modes,
                                check_precision)


def validate(config) -> None:
  """Raises a one-line ValueError for the first wrong value in `config` (a GAN run's
  ConfigDict); returns None when every check passes."""
  method = methods.get(config.method)
  for check in CHECKS:
    check(config)
  if hasattr(method, "check"):
    method.check(config)
