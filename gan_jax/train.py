"""The one training loop, and the `sample` / `eval` modes over a run's workdir.

Reads top to bottom: build data, method and state; resume from the newest readable
checkpoint (applying an allowed config change, `resume`); then steps, logging every
`log.every`, pictures every `sample.every`, scores every `eval.every`, checkpoints every
`ckpt.every` and at the end (`loop.py`: the steps, early stops and rollbacks).
"""
from __future__ import annotations

import json
import os

import jax
import numpy as np

from gan_jax import checkpoint, data, loop, methods, parallel, resume, sampling
from gan_jax import train_step as step_lib, validate, viz, writers
from gan_jax.metrics import evaluator as evaluator_lib

NonFiniteError, Interrupted = loop.NonFiniteError, loop.Interrupted


class Run:
  """What a config builds: the data source, the method and a fresh state."""

  def __init__(self, config, ctx: parallel.Context = parallel.Context()):
    validate.validate(config)  # every value checked before anything is built
    self.config = config
    self.source = data.get_source(config)
    data.check_classes(config, self.source)
    self.method = methods.get(config.method).build(config, self.source.shape, ctx)
    self._held_out = None

  def held_out(self):
    """The split that families sampling from data (paired, unpaired, ...) take their
    conditions from: `eval.reference_split` (the test split), else the training one."""
    if self._held_out is None:
      self._held_out = data.reference_source(self.config, self.source)[0]
    return self._held_out

  def conditions(self, n: int, seed: int, **options) -> dict:
    """The method's conditions for `n` samples from `seed` (e.g. {"z"}, {"z", "y"})."""
    held_out = self.held_out() if self.method.CONDITIONS_FROM_DATA else None
    return self.method.conditions(n, seed, held_out, **options)

  def init_state(self):
    return step_lib.init_state(self.config, self.method, jax.random.PRNGKey(self.config.seed),
                               self.source.batch(0))

  def generator_variables(self, state, use_ema: bool = True):
    return sampling.generator_variables(state, use_ema, self.method, self.source)

  def restore(self, workdir: str, allow_config_change: bool = False):
    """(state, position, step) of the newest checkpoint in `workdir` for `--mode sample`
    / `eval`: its config must agree with this one on what defines the samples."""
    def check(saved, step):
      saved = resume.flat(saved) if saved is not None else saved_config_json(workdir)
      if saved is not None:
        resume.check_sample_eval(self.config, saved, workdir, allow_config_change)
    ckpt = checkpoint.Checkpointer(workdir, read_only=True)
    try:
      restored = checkpoint.restore_latest(ckpt, self.init_state(), check)
    except checkpoint.StructureError as e:
      raise checkpoint.StructureError(
          f"The checkpoints in {workdir} hold a state of another structure than this config "
          f"builds:\n{e}\nPass the run's own config (its config.json shows it).") from None
    finally:
      ckpt.close()
    if restored is None:
      raise FileNotFoundError(f"No checkpoint in {workdir}/checkpoints; train first "
                              f"(--mode train --workdir {workdir}).")
    return restored


def saved_config_json(workdir: str) -> dict | None:
  """The flat config of WORKDIR/config.json, or None."""
  path = os.path.join(workdir, "config.json")
  if not os.path.exists(path):
    return None
  with open(path) as f:
    return resume.flat(json.load(f))


def train(config, workdir: str, allow_config_change: bool = False, progress: bool = True,
          stop_after: int | None = None):
  """Trains (or resumes) the run in `workdir`; returns the final host state.

  `stop_after`: leave after that step with a checkpoint, as a preempted job would
  (a later call resumes from it).
  """
  return train_population([config], [workdir], allow_config_change, progress, stop_after)[0]


class _Member:
  """One run of a population: its config, workdir and everything written there."""

  def __init__(self, config, workdir, source, run, allow_config_change, progress=True):
    self.config, self.workdir, self.source = config, workdir, source
    self.allow_config_change = allow_config_change
    self.primary = parallel.is_primary()  # only process 0 writes logs, pictures, scores
    checkpoint.check_writable(workdir)
    self.ckpt = checkpoint.Checkpointer(workdir, keep=config.ckpt.keep)
    self.evaluator = (evaluator_lib.Evaluator(config, run.method, source, run.conditions,
                                              progress=progress)
                      if self.primary else None)
    self.fixed = run.conditions(config.sample.num, config.seed + 20_000)
    self.real_fixed = source.reference(config.sample.num, config.seed)
    self.last_saved, self.changes, self.writer = 0, {}, None

  def _check(self, saved, step):
    saved = resume.flat(saved) if saved is not None else saved_config_json(self.workdir)
    if saved is not None:
      self.changes = resume.check_train(self.config, saved, self.workdir,
                                        self.allow_config_change)

  def restore(self, fresh, step: int | None = None):
    """(state, position, step) of the newest (or the given) checkpoint, with allowed
    config changes applied; None when the workdir holds no checkpoint."""
    try:
      if step is None:
        return checkpoint.restore_latest(self.ckpt, fresh, self._check)
      self._check(self.ckpt.saved_config(step), step)
      self.ckpt.check_structure(step, fresh)
      return self.ckpt.restore_at(step, fresh)
    except checkpoint.StructureError as e:
      keys = ", ".join(self.changes) or "none (the code that builds the state changed?)"
      raise checkpoint.StructureError(
          f"{self.workdir} holds checkpoints whose state has another structure than this "
          f"config builds:\n{e}\nThe changed config keys: {keys}. They change what the "
          "state holds, so this run cannot continue with them: keep the saved values, or "
          "train them in a new --workdir. The checkpoints are intact.") from None

  def apply_changes(self, state, step: int):
    """The restored state with the allowed changes written in, and the change recorded."""
    if not self.changes:
      return state
    state, applied = resume.apply(state, self.config, self.changes)
    if not self.primary:
      return state
    resume.record(self.workdir, {"step": step, "event": "config_change",
                                 "changes": {k: list(v) for k, v in self.changes.items()},
                                 "applied_to_state": applied})
    print(f"{self.workdir}: resuming from step {step} with a changed config: "
          + "; ".join(f"{k} {a!r} -> {b!r}" for k, (a, b) in self.changes.items())
          + (f" (written into the state, in effect from step {step + 1}: "
             f"{', '.join(applied)})" if applied else ""), flush=True)
    return state

  def start(self, resume_step: int):
    self.writer = (writers.MetricWriter(self.workdir, resume_step=resume_step)
                   if self.primary else writers.NullWriter())
    self.last_saved = resume_step
    numeric = {f"config/{k}": b for k, (a, b) in self.changes.items()
               if isinstance(b, (int, float)) and not isinstance(b, bool)}
    if numeric:
      self.writer.scalars(resume_step, numeric)

  def save(self, step: int, state, position: int, pending: list) -> None:
    """A checkpoint with the config it continues with; config.json follows it."""
    config = json.loads(self.config.to_json())
    self.ckpt.save(step, state, position, config, pending)
    self.last_saved = step
    if not self.primary:
      return
    path = os.path.join(self.workdir, "config.json")
    with open(path + ".tmp", "w") as f:
      json.dump(config, f, indent=2)
    os.replace(path + ".tmp", path)
  def close(self):
    self.ckpt.wait()
    self.ckpt.close()
    if self.writer:
      self.writer.close()


def _restore(members, fresh_states):
  """(states, position, step): every member at the newest step they all have."""
  found = [m.restore(s) for m, s in zip(members, fresh_states)]
  if all(f is None for f in found):
    return fresh_states, 0, 0
  if any(f is None for f in found) or len({f[2] for f in found}) > 1:
    step = min(f[2] if f else 0 for f in found)
    if step == 0:
      return fresh_states, 0, 0
    found = [m.restore(s, step) for m, s in zip(members, fresh_states)]
  states = [m.apply_changes(f[0], f[2]) for m, f in zip(members, found)]
  return states, found[0][1], found[0][2]


def train_population(configs, workdirs, allow_config_change: bool = False,
                     progress: bool = True, stop_after: int | None = None):
  """Trains P runs that differ only in array-valued hyperparameters and the seed as one
  `jax.vmap`-ed step over their stacked states (P = 1: a plain run). Each member writes
  its own workdir exactly as a run of its own would. Returns the final host states."""
  for c in configs:  # before the device split, which needs a valid batch size
    validate.validate(c)
  base = configs[0]
  n = parallel.num_devices(base.parallel.num_devices, base.data.batch_size)
  ctx = parallel.context(n)
  run = Run(base, ctx)
  sources = [run.source] + [data.get_source(c) for c in configs[1:]]
  members = []
  try:
    for c, w, src in zip(configs, workdirs, sources):
      members.append(_Member(c, w, src, run, allow_config_change, progress))
    fresh = [jax.device_get(step_lib.init_state(c, run.method, jax.random.PRNGKey(c.seed),
                                                src.batch(0)))
             for c, src in zip(configs, sources)]  # on the host: the step donates its input
    for m, f in zip(members, fresh):
      checkpoint.check_space(m.workdir, f, m.config.ckpt.keep)
    states, position, start = _restore(members, fresh)
    if start:
      print(f"Resuming {', '.join(workdirs)} from step {start} (data position {position}).",
            flush=True)
    for m in members:
      m.start(start)
    return loop.Loop(base, run, members, fresh, n, ctx, progress).train(
        states, position, start, stop_after)
  finally:
    for m in members:
      m.close()


def sample(config, workdir: str, num_samples: int, allow_config_change: bool = False,
           progress: bool = True, **options) -> str:
  """Writes DIR/samples.npz from the latest checkpoint: the method family's keys
  (`method.sample_arrays`: `x` float32 [N, ...] and e.g. the requested labels `y`, or a
  paired method's `a`, `b` and `y` where the data are labelled), and the files the
  family writes beside it (`method.write_sample_files`: speech WAVs).
  `options` go to the method's `conditions` (e.g. `labels` for conditional methods)."""
  run = Run(config)
  state, _, step = run.restore(workdir, allow_config_change)
  conditions = run.conditions(num_samples, config.seed + 30_000, **options)
  rec = sampling.record(run.method, run.generator_variables(state), conditions,
                        progress=progress)
  path = os.path.join(workdir, "samples.npz")
  arrays = run.method.sample_arrays(rec)
  np.savez(path, **arrays)
  print(f"Wrote {len(rec['x'])} samples of step {step} to {path} ({', '.join(arrays)}).",
        flush=True)
  files = run.method.write_sample_files(rec, workdir)
  if files:
    print(f"Wrote {len(files)} files beside it, e.g. {files[0]}.", flush=True)
  return path


def interpolation_images(config, workdir: str, pairs: int = 8, steps: int = 10,
                         allow_config_change: bool = False):
  """(images [2 * pairs * steps, H, W, C], step): for each of `pairs` random z pairs, a
  row walking linearly and a row walking spherically between them (latest checkpoint,
  EMA weights when kept; a conditional method keeps one label per pair of rows)."""
  run = Run(config)
  if len(run.source.shape) != 3:
    raise ValueError(f"--interpolate needs image data; {config.data.name!r} is not images.")
  state, _, step = run.restore(workdir, allow_config_change)
  z = sampling.interpolation_latents(run.method, pairs, steps, config.seed + 40_000)
  conditions = run.method.interpolation_conditions(z, config.seed + 40_000, pairs=pairs)
  return sampling.generate(run.method, run.generator_variables(state), conditions)["x"], step


def interpolate(config, workdir: str, pairs: int = 8, steps: int = 10,
                allow_config_change: bool = False) -> str:
  """Writes DIR/interpolation.png (`interpolation_images` as a grid, a row each)."""
  x, step = interpolation_images(config, workdir, pairs, steps, allow_config_change)
  path = os.path.join(workdir, "interpolation.png")
  viz.save_image(viz.image_grid(x, rows=2 * pairs), path, scale=2)
  print(f"Wrote {path}: {pairs} pairs x (linear row, spherical row), step {step}.", flush=True)
  return path


def evaluate(config, workdir: str, allow_config_change: bool = False,
             progress: bool = True) -> dict:
  """Writes DIR/eval.json: every score with its protocol, from the latest checkpoint."""
  run = Run(config)
  state, _, step = run.restore(workdir, allow_config_change)
  scores, protocol = evaluator_lib.Evaluator(config, run.method, run.source, run.conditions,
                                             progress=progress)(state, step, progress=progress)
  protocol.update(getattr(run.method, "sampling_protocol", dict)())  # e.g. StyleGAN's psi
  result = {"scores": scores, "protocol": protocol}
  with open(os.path.join(workdir, "eval.json"), "w") as f:
    json.dump(result, f, indent=2)
  print(json.dumps(result, indent=2), flush=True)
  return result
