"""The one training loop, and the `sample` / `eval` modes over a run's workdir.

Reads top to bottom: build data, method and state; resume from the newest readable
checkpoint; then steps, logging every `log.every`, pictures every `sample.every`,
scores every `eval.every`, checkpoints every `ckpt.every` and at the end.
"""
from __future__ import annotations

import json
import os
import time

import jax
import numpy as np

from gan_jax import checkpoint, config as config_lib, data, methods, parallel, sampling
from gan_jax import train_step as step_lib, viz, writers
from gan_jax.data import pipeline
from gan_jax.metrics import evaluator as evaluator_lib

# Keys that may change when a run is resumed: they do not change what is computed.
RESUMABLE_KEYS = ("train.steps", "log.every", "ckpt.every", "ckpt.keep", "sample.every",
                  "sample.num", "eval.every", "eval.num_samples", "eval.metrics",
                  "parallel.num_devices")


class NonFiniteError(FloatingPointError):
  pass


class Run:
  """What a config builds: the data source, the method and a fresh state."""

  def __init__(self, config, ctx: parallel.Context = parallel.Context()):
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

  def restore(self, workdir: str):
    """(state, position, step) of the newest checkpoint in `workdir`; an error if none."""
    ckpt = checkpoint.Checkpointer(workdir, read_only=True)
    restored = ckpt.restore_latest(self.init_state())
    ckpt.close()
    if restored is None:
      raise FileNotFoundError(f"No checkpoint in {workdir}/checkpoints; train first "
                              f"(--mode train --workdir {workdir}).")
    return restored


def _check_saved_config(config, workdir: str, allow_change: bool) -> None:
  path = os.path.join(workdir, "config.json")
  if not os.path.exists(path):
    return
  with open(path) as f:
    saved = config_lib.flat_keys_dict(json.load(f))
  new = config_lib.flat_keys_dict(json.loads(config.to_json()))
  free = set(RESUMABLE_KEYS)
  if any(v == "linear" for k, v in new.items() if k.endswith(".schedule")):
    free.discard("train.steps")  # the learning-rate decay is spread over train.steps
  diff = sorted(k for k in set(saved) | set(new)
                if saved.get(k) != new.get(k) and k not in free)
  if diff and not allow_change:
    lines = "\n".join(f"  {k}: saved {saved.get(k)!r}, now {new.get(k)!r}" for k in diff)
    raise ValueError(
        f"{workdir} holds a run with a different config:\n{lines}\nUse a new --workdir, "
        "or pass --allow_config_change to resume with the new values.")


def _sample_picture(run, state, writer, workdir, step, conditions, real):
  g_vars = sampling.generator_variables(state)
  rec = sampling.record(run.method, g_vars, conditions)
  fake = rec["x"]
  path = os.path.join(workdir, "samples", f"step_{step}.png")
  if fake.ndim == 2:  # toy data: points over real ones, D's surface behind them
    low, high = viz.toy_limits(real, fake)
    grid = viz.toy_grid(low, high)
    d_values = np.asarray(sampling.jitted(run.method, "discriminate")(state.d, grid))
    pdf = getattr(run.source.distribution, "pdf", None) if fake.shape[1] == 1 else None
    fig = viz.toy_figure(real, fake, grid, d_values, title=f"step {step}", pdf=pdf)
    pixels = viz.save_figure(fig, path)
  elif run.config.sample.annotate and run.method.FAMILY == "unconditional":
    scores = np.asarray(sampling.jitted(run.method, "discriminate")(state.d, fake))
    pixels = viz.save_figure(viz.annotated_grid(fake, scores, f"step {step}: D(x)"), path)
  else:
    images, rows = run.method.grid(rec)
    pixels = viz.image_grid(images, rows=rows)
    viz.save_image(pixels, path, scale=max(1, 64 // fake.shape[1]))  # small images x2
  writer.image(step, "samples", pixels)


def train(config, workdir: str, allow_config_change: bool = False, progress: bool = True,
          stop_after: int | None = None):
  """Trains (or resumes) the run in `workdir`; returns the final host state.

  `stop_after`: leave after that step with a checkpoint, as a preempted job would
  (a later call resumes from it).
  """
  return train_population([config], [workdir], allow_config_change, progress, stop_after)[0]


class _Member:
  """One run of a population: its config, workdir and everything written there."""

  def __init__(self, config, workdir, source, run, allow_config_change):
    os.makedirs(workdir, exist_ok=True)
    _check_saved_config(config, workdir, allow_config_change)
    self.config, self.workdir, self.source = config, workdir, source
    self.ckpt = checkpoint.Checkpointer(workdir, keep=config.ckpt.keep)
    self.evaluator = evaluator_lib.Evaluator(config, run.method, source, run.conditions)
    self.fixed = run.conditions(config.sample.num, config.seed + 20_000)
    self.real_fixed = source.reference(config.sample.num, config.seed)
    self.last_saved = 0

  def start(self, resume_step: int):
    with open(os.path.join(self.workdir, "config.json"), "w") as f:
      f.write(self.config.to_json(indent=2))
    self.writer = writers.MetricWriter(self.workdir, resume_step=resume_step)
    self.last_saved = resume_step

  def close(self):
    self.ckpt.wait()
    self.ckpt.close()
    if hasattr(self, "writer"):
      self.writer.close()


class _Stacked:
  """The members' sources as one: batch(i) stacks their batches on a leading axis."""

  def __init__(self, sources):
    self.sources = sources

  def batch(self, index: int) -> dict:
    batches = [s.batch(index) for s in self.sources]
    return {k: np.stack([b[k] for b in batches]) for k in batches[0]}


def _restore(members, fresh_states):
  """(states, position, step): every member at the newest step they all have."""
  found = [m.ckpt.restore_latest(s) for m, s in zip(members, fresh_states)]
  if all(f is None for f in found):
    return fresh_states, 0, 0
  if any(f is None for f in found) or len({f[2] for f in found}) > 1:
    step = min(f[2] if f else 0 for f in found)
    if step == 0:
      return fresh_states, 0, 0
    found = [m.ckpt.restore_at(step, s) for m, s in zip(members, fresh_states)]
  return [f[0] for f in found], found[0][1], found[0][2]


def train_population(configs, workdirs, allow_config_change: bool = False,
                     progress: bool = True, stop_after: int | None = None):
  """Trains P runs that differ only in array-valued hyperparameters and the seed as one
  `jax.vmap`-ed step over their stacked states (P = 1: a plain run). Each member writes
  its own workdir exactly as a run of its own would. Returns the final host states."""
  base = configs[0]
  n = parallel.num_devices(base.parallel.num_devices, base.data.batch_size)
  ctx = parallel.context(n)
  run = Run(base, ctx)
  sources = [run.source] + [data.get_source(c) for c in configs[1:]]
  members = []
  try:
    for c, w, src in zip(configs, workdirs, sources):
      members.append(_Member(c, w, src, run, allow_config_change))
    fresh = [step_lib.init_state(c, run.method, jax.random.PRNGKey(c.seed), src.batch(0))
             for c, src in zip(configs, sources)]
    states, position, start = _restore(members, fresh)
    if start:
      print(f"Resuming {', '.join(workdirs)} from step {start} (data position {position}).",
            flush=True)
    for m in members:
      m.start(start)
    return _loop(base, run, members, states, position, start, n, ctx, progress, stop_after)
  finally:
    for m in members:
      m.close()


def _loop(base, run, members, states, position, start, n, ctx, progress, stop_after):
  P = len(members)
  step = step_lib.keyed(step_lib.make_train_step(base, run.method, ctx))
  if P > 1:
    step = jax.vmap(step)
    device_state = parallel.replicate(jax.tree.map(lambda *x: np.stack(x), *states), n)
    source = _Stacked([m.source for m in members])
  else:
    device_state, source = parallel.replicate(states[0], n), members[0].source
  step_fn = parallel.compile_step(step, n)
  # Batches are [n_critic, (P,) B, ...]; vmap wants the member axis first.
  loader = pipeline.Prefetcher(source, position, base.train.n_critic, n,
                               member_axis=P > 1)
  bar = writers.Progress(start, base.train.steps, enabled=progress)
  total = int(base.train.steps)
  last = min(total, stop_after) if stop_after else total
  pending, last_time, last_step = [], time.perf_counter(), start
  host = states
  # Virtual CPU devices share one thread pool: with many pmap steps queued, XLA's
  # in-process all-reduce can miss its 40 s rendezvous and abort; wait for each step.
  sync_each = n > 1 and jax.default_backend() == "cpu"
  try:
    for i in range(start + 1, last + 1):
      device_state, metrics = step_fn(device_state, next(loader))
      if sync_each:
        jax.block_until_ready(metrics)
      pending.append(metrics)
      bar.update(1)
      at = lambda every: every > 0 and i % every == 0 or i == total
      needs_state = (at(base.sample.every) or at(base.eval.every) or at(base.ckpt.every)
                     or i == last)
      if not (needs_state or at(base.log.every)):
        continue
      nonfinite = np.atleast_1d(jax.device_get(
          parallel.unreplicate(device_state.nonfinite_step, n)))
      if needs_state:  # the whole state comes to the host only when it is used there
        stacked = jax.device_get(parallel.unreplicate(device_state, n))
        host = [stacked] if P == 1 else [jax.tree.map(lambda x: x[k], stacked)
                                         for k in range(P)]
      rows = jax.device_get(pending) if at(base.log.every) else None
      now = time.perf_counter()
      for k, m in enumerate(members):
        if nonfinite[k] >= 0:
          raise NonFiniteError(
              f"Non-finite loss at step {int(nonfinite[k]) + 1} in {m.workdir}. "
              f"Stopped without saving; the last good checkpoint is step {m.last_saved} in "
              f"{m.ckpt.directory}. Lower the learning rates or add a penalty, then resume.")
        state = host[k] if needs_state else None  # used only when needs_state
        if rows is not None:
          pick = (lambda r: r) if P == 1 else (lambda r: jax.tree.map(lambda x: x[..., k], r))
          means = {key: float(np.mean([np.mean(pick(r)[key]) for r in rows]))
                   for key in rows[0]}
          means["steps_per_sec"] = (i - last_step) / (now - last_time)
          m.writer.scalars(i, means)
          if k == 0:
            bar.update(0, d=means["d_loss"], g=means["g_loss"])
        if at(base.sample.every):
          _sample_picture(run, state, m.writer, m.workdir, i, m.fixed, m.real_fixed)
        if at(base.eval.every):
          scores, _ = m.evaluator(state, i)
          m.writer.scalars(i, {f"eval/{key}": v for key, v in scores.items()})
        if at(base.ckpt.every) or i == last:
          m.ckpt.save(i, state, loader.position)
          m.last_saved = i
      if rows is not None:
        last_time, last_step, pending = now, i, []
  finally:
    loader.close()
    bar.close()
  for m in members:
    viz.loss_curves(writers.read_metrics(m.workdir), os.path.join(m.workdir, "loss_curves.png"))
  return host


def sample(config, workdir: str, num_samples: int, **options) -> str:
  """Writes DIR/samples.npz from the latest checkpoint: the method family's keys
  (`method.SAMPLE_KEYS`: `x` float32 [N, ...] and e.g. the requested labels `y`).
  `options` go to the method's `conditions` (e.g. `labels` for conditional methods)."""
  run = Run(config)
  state, _, step = run.restore(workdir)
  conditions = run.conditions(num_samples, config.seed + 30_000, **options)
  rec = sampling.record(run.method, sampling.generator_variables(state), conditions,
                        progress=True)
  path = os.path.join(workdir, "samples.npz")
  np.savez(path, **{k: rec[k] for k in run.method.SAMPLE_KEYS})
  print(f"Wrote {len(rec['x'])} samples of step {step} to {path} "
        f"({', '.join(run.method.SAMPLE_KEYS)}).", flush=True)
  return path


def interpolation_images(config, workdir: str, pairs: int = 8, steps: int = 10):
  """(images [2 * pairs * steps, H, W, C], step): for each of `pairs` random z pairs, a
  row walking linearly and a row walking spherically between them (latest checkpoint,
  EMA weights when kept; a conditional method keeps one label per pair of rows)."""
  run = Run(config)
  if len(run.source.shape) != 3:
    raise ValueError(f"--interpolate needs image data; {config.data.name!r} is not images.")
  state, _, step = run.restore(workdir)
  z = sampling.interpolation_latents(run.method, pairs, steps, config.seed + 40_000)
  conditions = run.method.interpolation_conditions(z, config.seed + 40_000, pairs=pairs)
  return sampling.generate(run.method, sampling.generator_variables(state), conditions)["x"], step


def interpolate(config, workdir: str, pairs: int = 8, steps: int = 10) -> str:
  """Writes DIR/interpolation.png (`interpolation_images` as a grid, a row each)."""
  x, step = interpolation_images(config, workdir, pairs, steps)
  path = os.path.join(workdir, "interpolation.png")
  viz.save_image(viz.image_grid(x, rows=2 * pairs), path, scale=2)
  print(f"Wrote {path}: {pairs} pairs x (linear row, spherical row), step {step}.", flush=True)
  return path


def evaluate(config, workdir: str) -> dict:
  """Writes DIR/eval.json: every score with its protocol, from the latest checkpoint."""
  run = Run(config)
  state, _, step = run.restore(workdir)
  scores, protocol = evaluator_lib.Evaluator(config, run.method, run.source, run.conditions)(
      state, step, progress=True)
  result = {"scores": scores, "protocol": protocol}
  with open(os.path.join(workdir, "eval.json"), "w") as f:
    json.dump(result, f, indent=2)
  print(json.dumps(result, indent=2), flush=True)
  return result
