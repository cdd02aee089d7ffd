"""Resuming a run with the config it was saved with, or a changed one.

Every key of a resumed run's config is of one of four kinds:

- free (`FREE_KEYS`): intervals, evaluation settings, `train.steps` (unless a linear
  learning-rate decay is spread over it): they may change on any resume;
- array-valued hyperparameters (`train_step.array_keys`: learning rates, Adam betas,
  penalty and loss weights, clip c, EMA decay): with `--allow_config_change` the new
  values are written into the restored state (optimizer states, `state.hparams`), so
  they apply from the next step;
- fixed (`FIXED_KEYS`): the seed, which made the state's PRNG key;
- the rest (loss, n_critic, networks, regularizers, optimizer, ...): with
  `--allow_config_change` the run continues with them when the state keeps its
  structure; a change of structure is reported with the keys that made it.

Changes are recorded in ``WORKDIR/config_changes.jsonl`` (step, old and new values) and
as ``config/<key>`` scalars in metrics.jsonl; config.json is rewritten with each
checkpoint, so it always describes the config the latest checkpoint continues with.
"""
from __future__ import annotations

import json
import os

import jax
import numpy as np

from gan_jax import config as config_lib, train_step as step_lib

FREE_KEYS = ("train.steps", "train.on_nonfinite", "train.rollback_lr_scale",
             "train.max_rollbacks", "log.every", "ckpt.every", "ckpt.keep", "sample.every",
             "sample.num", "sample.annotate", "eval.every", "eval.num_samples",
             "eval.metrics", "eval.classifier", "eval.content_classifier",
             "eval.inception_weights",
             "eval.reference_split", "parallel.num_devices", "sweep.vectorize")
FIXED_KEYS = ("seed",)
# What may differ between a run's config and the one given to --mode sample / eval.
SAMPLE_EVAL_FREE = ("train.", "optim.", "loss.", "regularizers.", "log.", "ckpt.",
                    "sample.", "eval.", "parallel.", "sweep.")


class ConfigChangeError(ValueError):
  pass


def flat(config) -> dict:
  """Flat {dotted key: value} of a ConfigDict or of a saved (JSON) config dict."""
  tree = config if isinstance(config, dict) else json.loads(config.to_json())
  return config_lib.flat_keys_dict(tree)


def differences(saved: dict, new: dict) -> dict:
  """{key: (saved value, new value)} of the keys that differ. A key the saved config
  lacks (added to the framework since) counts only when it differs from its default."""
  defaults = flat(config_lib.base())
  out = {}
  for key in sorted(set(saved) | set(new)):
    old = saved.get(key, defaults.get(key))
    if old != new.get(key) and not (isinstance(old, list) and tuple(old) == new.get(key)):
      out[key] = (old, new.get(key))
  return out


def free_keys(config) -> set[str]:
  free = set(FREE_KEYS)
  if any(config.optim[n].schedule in ("linear", "linear_after", "drop_after") for n in ("g", "d")):
    free.discard("train.steps")  # the learning-rate schedule is spread over train.steps
  return free


def check_train(config, saved: dict, workdir: str, allow_change: bool) -> dict:
  """The non-free changes between `saved` (a checkpoint's config, flat) and `config`;
  raises ConfigChangeError when they are not allowed."""
  changes = {k: v for k, v in differences(saved, flat(config)).items()
             if k not in free_keys(config)}
  lines = "\n".join(f"  {k}: saved {a!r}, now {b!r}" for k, (a, b) in changes.items())
  fixed = [k for k in changes if k in FIXED_KEYS]
  if fixed:
    raise ConfigChangeError(
        f"{workdir} holds a run with a different {', '.join(fixed)}:\n{lines}\nThe seed "
        "made the run's random state, so it cannot change when resuming; use a new --workdir.")
  if changes and not allow_change:
    raise ConfigChangeError(
        f"{workdir} holds a run with a different config:\n{lines}\nUse a new --workdir, "
        "or pass --allow_config_change to resume with the new values.")
  return changes


def check_sample_eval(config, saved: dict, workdir: str, allow_change: bool) -> None:
  """--mode sample / eval: the keys that define G's samples (seed, data, model, method)
  must be the run's, or the numbers would silently belong to another setting."""
  changes = {k: v for k, v in differences(saved, flat(config)).items()
             if not k.startswith(SAMPLE_EVAL_FREE)}
  if changes and not allow_change:
    lines = "\n".join(f"  {k}: run {a!r}, given {b!r}" for k, (a, b) in changes.items())
    raise ConfigChangeError(
        f"The config differs from the one {workdir} was trained with in keys that define "
        f"its samples:\n{lines}\nPass the run's own config (its config.json shows it), or "
        "--allow_config_change to use these values anyway.")


def _is_inject(x) -> bool:
  return hasattr(x, "hyperparams") and hasattr(x, "inner_state")


def map_hyperparams(opt_state, fn):
  """`opt_state` with `fn(hyperparams) -> hyperparams` applied to every
  `optax.inject_hyperparams` state in it (e.g. inside an optax.chain)."""
  return jax.tree.map(lambda x: x._replace(hyperparams=fn(x.hyperparams)) if _is_inject(x)
                      else x, opt_state, is_leaf=_is_inject)


OPTAX_NAMES = {"lr": "learning_rate", "b1": "b1", "b2": "b2"}


def apply(state, config, keys) -> tuple:
  """(state with the array-valued `keys` set from `config`, the keys applied)."""
  array_keys = step_lib.array_keys(config) - set(FIXED_KEYS)
  applied = sorted(k for k in keys if k in array_keys)
  values = config_lib.flat_keys(config)
  for key in applied:
    value = np.asarray(values[key], np.float32)
    if key.startswith("optim."):
      _, net, name = key.split(".")
      field = f"{net}_opt"
      opt = map_hyperparams(getattr(state, field),
                            lambda h, n=OPTAX_NAMES[name], v=value: {**h, n: v})
      state = state.replace(**{field: opt})
    else:
      state = state.replace(hparams={**state.hparams, key: value})
  return state, applied


def set_learning_rates(state, lrs: dict):
  """The state with its optimizers' learning rates set to `lrs` ({"g": .., "d": ..})."""
  for net, lr in lrs.items():
    field = f"{net}_opt"
    opt = map_hyperparams(getattr(state, field),
                          lambda h, v=np.asarray(lr, np.float32): {**h, "learning_rate": v})
    state = state.replace(**{field: opt})
  return state


def learning_rates(state) -> dict:
  """{"g": lr, "d": lr}: the learning rates the optimizer states hold now."""
  out = {}
  for net in ("g", "d"):
    found = [x for x in jax.tree.leaves(getattr(state, f"{net}_opt"), is_leaf=_is_inject)
             if _is_inject(x)]
    out[net] = float(np.asarray(found[0].hyperparams["learning_rate"]))
  return out


def record(workdir: str, row: dict) -> None:
  """Appends one event (a config change, a rollback) to WORKDIR/config_changes.jsonl."""
  with open(os.path.join(workdir, "config_changes.jsonl"), "a") as f:
    f.write(json.dumps(row, default=str) + "\n")
