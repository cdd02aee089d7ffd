"""Checkpoints with orbax: the whole train state plus the data position, exact resume.

Each checkpoint under ``WORKDIR/checkpoints/<step>/`` holds two items: ``state`` (the
TrainState pytree: params, optimizer states, EMA, step, PRNG key, hyperparameters)
and ``data`` (JSON: the input pipeline's position). A checkpoint that cannot be read is
reported and the previous one is used; a state with non-finite values is never saved.
"""
from __future__ import annotations

import logging
import os

import jax
import jax.numpy as jnp
import orbax.checkpoint as ocp


class CheckpointError(RuntimeError):
  pass


def _abstract(state):
  return jax.tree.map(ocp.utils.to_shape_dtype_struct, state)


def all_finite(state) -> bool:
  leaves = [x for x in jax.tree.leaves(state) if jnp.issubdtype(x.dtype, jnp.floating)]
  return bool(jnp.all(jnp.stack([jnp.all(jnp.isfinite(x)) for x in leaves])))


class Checkpointer:
  def __init__(self, workdir: str, keep: int = 3, read_only: bool = False):
    self.directory = os.path.abspath(os.path.join(workdir, "checkpoints"))
    options = ocp.CheckpointManagerOptions(  # read-only: what orbax sets itself, unwarned
        max_to_keep=None if read_only else keep, create=not read_only, read_only=read_only,
        save_interval_steps=0 if read_only else 1, enable_async_checkpointing=not read_only)
    self.manager = ocp.CheckpointManager(self.directory, options=options,
                                         item_names=("state", "data"))

  def steps(self) -> list[int]:
    return sorted(self.manager.all_steps())

  def save(self, step: int, state, position: int) -> None:
    if not all_finite(state):
      raise CheckpointError(f"Refusing to save a state with non-finite values at step {step}.")
    self.manager.save(step, args=ocp.args.Composite(
        state=ocp.args.StandardSave(state),
        data=ocp.args.JsonSave({"position": int(position)})), force=True)

  def restore_at(self, step: int, target):
    """(state, position, step) of the checkpoint at `step`; `target` gives the structure."""
    restored = self.manager.restore(step, args=ocp.args.Composite(
        state=ocp.args.StandardRestore(_abstract(target)), data=ocp.args.JsonRestore()))
    return restored["state"], int(restored["data"]["position"]), step

  def restore_latest(self, target):
    """(state, position, step) from the newest readable checkpoint, or None if none exist.

    `target` is a state of the right structure (e.g. a fresh one); a checkpoint that
    fails to load is logged and skipped in favour of the one before it.
    """
    errors = []
    for step in reversed(self.steps()):
      try:
        return self.restore_at(step, target)
      except Exception as e:  # orbax raises many types for damaged files
        msg = (f"Checkpoint {self.directory}/{step} is unreadable or partial "
               f"({type(e).__name__}: {str(e)[:200]}); falling back to the previous one.")
        logging.warning(msg)
        print("WARNING:", msg, flush=True)
        errors.append(step)
    if errors:
      raise CheckpointError(
          f"No readable checkpoint in {self.directory} (tried steps {errors}). Move the "
          "directory away to start afresh.")
    return None

  def wait(self):
    self.manager.wait_until_finished()

  def close(self):
    self.manager.close()
