"""Checkpoints with orbax: the whole train state, the data position and the config.

Each checkpoint under ``WORKDIR/checkpoints/<step>/`` holds three items: ``state`` (the
TrainState pytree: params, optimizer states, EMA, step, PRNG key, hyperparameters),
``data`` (JSON: the input pipeline's position, and the metrics of the steps since the
last log row, so the row after a resume averages the same steps as an uninterrupted
run) and ``config`` (JSON: the config the
state was trained with, so a resumed run compares against what produced *this*
checkpoint). Orbax writes a step into a temporary directory and renames it when
complete, so a process killed during a save leaves the previous steps intact.

A checkpoint whose state has another structure than the config builds (another width,
EMA on/off, another optimizer) is not damaged: `StructureError` says what differs. A
checkpoint that cannot be read is moved aside to ``<step>.corrupt`` and the previous one
is used. A state with non-finite values is never saved.
"""
from __future__ import annotations

import logging
import os
import shutil
import tempfile

import jax
import numpy as np
import orbax.checkpoint as ocp


class CheckpointError(RuntimeError):
  pass


class StructureError(ValueError):
  """The checkpoint holds a state of another structure than the config builds."""


def _abstract(state):
  return jax.tree.map(ocp.utils.to_shape_dtype_struct, state)


def all_finite(state) -> bool:
  leaves = [np.asarray(x) for x in jax.tree.leaves(state)]
  return all(np.all(np.isfinite(x)) for x in leaves if np.issubdtype(x.dtype, np.floating))


def leaf_shapes(tree) -> dict[str, tuple]:
  """{'g/params/Dense_0/kernel': shape} for every array leaf: the names orbax stores a
  state under (attribute, key and index names joined by '/')."""
  out = {}
  for path, leaf in jax.tree_util.tree_flatten_with_path(tree)[0]:
    if leaf is None:
      continue
    name = "/".join(str(getattr(k, "name", getattr(k, "key", getattr(k, "idx", k))))
                    for k in path)
    out[name] = tuple(np.shape(leaf))
  return out


def structure_differences(saved: dict[str, tuple], wanted: dict[str, tuple]) -> list[str]:
  """What differs between two `leaf_shapes` maps, one line each."""
  lines = [f"{k}: only in the checkpoint" for k in sorted(set(saved) - set(wanted))]
  lines += [f"{k}: only in this config's state" for k in sorted(set(wanted) - set(saved))]
  lines += [f"{k}: shape {saved[k]} in the checkpoint, {wanted[k]} now"
            for k in sorted(set(saved) & set(wanted)) if saved[k] != wanted[k]]
  return lines


def bytes_of(state) -> int:
  return int(sum(np.asarray(x).nbytes for x in jax.tree.leaves(state)))


def check_writable(workdir: str) -> None:
  """Fails at once when `workdir` cannot be created or written, naming the fix."""
  try:
    os.makedirs(workdir, exist_ok=True)
    # A name of this process's own: the processes of a multi-host run probe the same
    # workdir at once, and a shared name let one remove the other's probe.
    fd, probe = tempfile.mkstemp(prefix=".write_test.", dir=workdir)
    with os.fdopen(fd, "w") as f:
      f.write("ok")
    os.remove(probe)
  except OSError as e:
    raise OSError(f"The workdir {workdir} is not writable ({e.strerror or e}); choose "
                  "another --workdir or fix its permissions.") from None


def check_space(workdir: str, state, keep: int) -> None:
  """Fails before training when `workdir` lacks room for `keep` checkpoints of `state`
  (plus one being written), instead of at the first save."""
  need = bytes_of(state) * (max(keep, 1) + 1)
  free = shutil.disk_usage(workdir).free
  if free < need:
    raise OSError(f"The workdir {workdir} has {free / 2**20:.1f} MiB free; this run's "
                  f"checkpoints need about {need / 2**20:.1f} MiB (ckpt.keep={keep} plus one "
                  "being written). Free some space, lower ckpt.keep, or choose another "
                  "--workdir.")


class Checkpointer:
  def __init__(self, workdir: str, keep: int = 3, read_only: bool = False):
    self.directory = os.path.abspath(os.path.join(workdir, "checkpoints"))
    self.read_only = read_only
    options = ocp.CheckpointManagerOptions(  # read-only: what orbax sets itself, unwarned
        max_to_keep=None if read_only else keep, create=not read_only, read_only=read_only,
        save_interval_steps=0 if read_only else 1, enable_async_checkpointing=not read_only)
    self.manager = ocp.CheckpointManager(
        self.directory, options=options,
        item_handlers={"state": ocp.StandardCheckpointHandler(),
                       "data": ocp.JsonCheckpointHandler(),
                       "config": ocp.JsonCheckpointHandler()})

  def steps(self) -> list[int]:
    return sorted(self.manager.all_steps())

  def save(self, step: int, state, position: int, config: dict,
           pending: list | None = None) -> None:
    """`pending`: the logged metrics ({name: float}) of the steps since the last log row."""
    if not all_finite(state):
      raise CheckpointError(f"Refusing to save a state with non-finite values at step {step}.")
    self.manager.save(step, args=ocp.args.Composite(
        state=ocp.args.StandardSave(state),
        data=ocp.args.JsonSave({"position": int(position), "pending": pending or []}),
        config=ocp.args.JsonSave(config)), force=True)

  def pending(self, step: int) -> list:
    """The metrics of the steps after the last log row that checkpoint `step` carries."""
    data = self.manager.restore(step, args=ocp.args.Composite(data=ocp.args.JsonRestore()))
    return data["data"].get("pending", [])

  def saved_config(self, step: int) -> dict | None:
    """The config stored with checkpoint `step` (None for checkpoints written before
    the config was stored with them)."""
    if not os.path.isdir(os.path.join(self.directory, str(step), "config")):
      return None
    return self.manager.restore(step, args=ocp.args.Composite(
        config=ocp.args.JsonRestore()))["config"]

  def check_structure(self, step: int, target) -> None:
    """Raises StructureError when checkpoint `step` holds another structure than `target`."""
    saved = leaf_shapes(self.manager.item_metadata(step)["state"].tree)
    differences = structure_differences(saved, leaf_shapes(target))
    if differences:
      more = f" (and {len(differences) - 8} more)" if len(differences) > 8 else ""
      raise StructureError("\n".join(f"  {d}" for d in differences[:8]) + more)

  def restore_at(self, step: int, target):
    """(state, position, step) of the checkpoint at `step`; `target` gives the structure."""
    restored = self.manager.restore(step, args=ocp.args.Composite(
        state=ocp.args.StandardRestore(_abstract(target)), data=ocp.args.JsonRestore()))
    return restored["state"], int(restored["data"]["position"]), step

  def set_aside(self, step: int, reason: str) -> None:
    """Moves an unreadable checkpoint to `<step>.corrupt` (kept for inspection; orbax no
    longer sees it, so training can save that step again)."""
    source = os.path.join(self.directory, str(step))
    target = source + ".corrupt"
    k = 1
    while os.path.exists(target):
      k += 1
      target = f"{source}.corrupt{k}"
    os.rename(source, target)
    self.manager.reload()
    _warn(f"Checkpoint {source} is unreadable or partial ({reason}); moved it to {target} "
          "and fell back to the previous one.")

  def wait(self):
    self.manager.wait_until_finished()

  def close(self):
    self.manager.close()


def _warn(msg: str) -> None:
  logging.warning(msg)
  print("WARNING:", msg, flush=True)


def restore_latest(ckpt: Checkpointer, target, check=None):
  """(state, position, step) from the newest readable checkpoint, or None if none exist.

  `target` is a state of the right structure (e.g. a fresh one). `check(saved_config,
  step)` is called first with the config stored in that checkpoint (None for old ones)
  and may raise to refuse it. A state of another structure raises StructureError; a
  checkpoint that fails to load is moved aside (left in place when `ckpt` is read-only)
  in favour of the one before it.
  """
  unreadable = []
  for step in reversed(ckpt.steps()):
    try:
      saved = ckpt.saved_config(step)
    except Exception as e:  # orbax raises many types for damaged files
      reason = f"{type(e).__name__}: {str(e)[:200]}"
    else:
      if check is not None:
        check(saved, step)
      try:
        ckpt.check_structure(step, target)
        return ckpt.restore_at(step, target)
      except StructureError:
        raise
      except Exception as e:
        reason = f"{type(e).__name__}: {str(e)[:200]}"
    unreadable.append(step)
    if ckpt.read_only:
      _warn(f"Checkpoint {ckpt.directory}/{step} is unreadable or partial ({reason}); "
            "using the previous one.")
    else:
      ckpt.set_aside(step, reason)
  if unreadable:
    raise CheckpointError(
        f"No readable checkpoint in {ckpt.directory} (tried steps {unreadable}; "
        f"{'they are still there' if ckpt.read_only else 'moved aside as <step>.corrupt'}). "
        "Train from scratch in a new --workdir, or restore the files.")
  return None
