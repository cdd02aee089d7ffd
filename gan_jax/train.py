"""The one training loop, and the `sample` / `eval` modes over a run's workdir.

Reads top to bottom: build data, method and state; resume from the newest readable
checkpoint (applying an allowed config change, `resume`); then steps, logging every
`log.every`, pictures every `sample.every`, scores every `eval.every`, checkpoints every
`ckpt.every` and at the end. SIGTERM / SIGINT finish the step, write a checkpoint and
stop (`Interrupted`); non-finite values stop the run or roll it back to the last
checkpoint with lower learning rates (`train.on_nonfinite`).
"""
from __future__ import annotations

import json
import os
import signal
import threading
import time

import jax
import numpy as np

from gan_jax import checkpoint, data, methods, parallel, resume, sampling
from gan_jax import train_step as step_lib, viz, writers
from gan_jax.data import pipeline
from gan_jax.metrics import evaluator as evaluator_lib

class NonFiniteError(FloatingPointError):
  pass


class Interrupted(Exception):
  """SIGTERM / SIGINT arrived: the step finished and a checkpoint was written."""

  def __init__(self, signum: int, step: int, workdirs):
    self.signum, self.step = signum, step
    super().__init__(
        f"Stopped by {signal.Signals(signum).name} after step {step}; checkpoint written in "
        f"{', '.join(workdirs)}. Run the same command again to resume exactly.")


class Run:
  """What a config builds: the data source, the method and a fresh state."""

  def __init__(self, config, ctx: parallel.Context = parallel.Context()):
    self.config = config
    self.source = data.get_source(config)
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


def _sample_picture(run, state, writer, workdir, step, conditions, real):
  rec = sampling.record(run.method, run.generator_variables(state), conditions)
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
    self.config, self.workdir, self.source = config, workdir, source
    self.allow_config_change = allow_config_change
    checkpoint.check_writable(workdir)
    self.ckpt = checkpoint.Checkpointer(workdir, keep=config.ckpt.keep)
    self.evaluator = evaluator_lib.Evaluator(config, run.method, source, run.conditions)
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
    resume.record(self.workdir, {"step": step, "event": "config_change",
                                 "changes": {k: list(v) for k, v in self.changes.items()},
                                 "applied_to_state": applied})
    print(f"{self.workdir}: resuming from step {step} with a changed config: "
          + "; ".join(f"{k} {a!r} -> {b!r}" for k, (a, b) in self.changes.items())
          + (f" (written into the state, in effect from step {step + 1}: "
             f"{', '.join(applied)})" if applied else ""), flush=True)
    return state

  def start(self, resume_step: int):
    self.writer = writers.MetricWriter(self.workdir, resume_step=resume_step)
    self.last_saved = resume_step
    numeric = {f"config/{k}": b for k, (a, b) in self.changes.items()
               if isinstance(b, (int, float)) and not isinstance(b, bool)}
    if numeric:
      self.writer.scalars(resume_step, numeric)

  def save(self, step: int, state, position: int, pending: list) -> None:
    """A checkpoint with the config it continues with; config.json follows it."""
    config = json.loads(self.config.to_json())
    self.ckpt.save(step, state, position, config, pending)
    path = os.path.join(self.workdir, "config.json")
    with open(path + ".tmp", "w") as f:
      json.dump(config, f, indent=2)
    os.replace(path + ".tmp", path)
    self.last_saved = step

  def close(self):
    self.ckpt.wait()
    self.ckpt.close()
    if self.writer:
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


def _pending(members, step: int) -> list:
  """The metrics of the steps after the last log row, as the loop keeps them: a list
  (one entry per step) of {name: value}, values stacked over the members when P > 1."""
  if not step:
    return []
  per_member = [m.ckpt.pending(step) for m in members]
  # float32, as the step returns them: the row's mean then rounds as it would have.
  if len(members) == 1:
    return [{k: np.float32(v) for k, v in row.items()} for row in per_member[0]]
  return [{k: np.array([rows[i][k] for rows in per_member], np.float32)
           for k in per_member[0][i]} for i in range(len(per_member[0]))]


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
    return _Loop(base, run, members, fresh, n, ctx, progress).train(
        states, position, start, stop_after)
  finally:
    for m in members:
      m.close()


class _StopRequest:
  """SIGTERM / SIGINT during training: remember the signal so the loop finishes the step
  and writes a checkpoint; a second Ctrl-C stops at once."""

  def __init__(self):
    self.signum, self._old = None, {}
    if threading.current_thread() is threading.main_thread():
      for sig in (signal.SIGTERM, signal.SIGINT):
        self._old[sig] = signal.signal(sig, self._handle)

  def _handle(self, signum, frame):
    if self.signum is not None and signum == signal.SIGINT:
      raise KeyboardInterrupt
    self.signum = signum
    print(f"\nReceived {signal.Signals(signum).name}: finishing this step and writing a "
          "checkpoint (Ctrl-C again to stop at once).", flush=True)

  def close(self):
    for sig, handler in self._old.items():
      signal.signal(sig, handler)


class _Loop:
  """The steps of a population of P runs (P = 1: a plain run) on n devices."""

  def __init__(self, base, run, members, fresh, n, ctx, progress):
    self.base, self.run, self.members, self.fresh, self.n = base, run, members, fresh, n
    self.P = len(members)
    self.progress = progress
    step = step_lib.keyed(step_lib.make_train_step(base, run.method, ctx))
    self.step_fn = parallel.compile_step(jax.vmap(step) if self.P > 1 else step, n)
    self.source = _Stacked([m.source for m in members]) if self.P > 1 else members[0].source
    # Virtual CPU devices share one thread pool: with many pmap steps queued, XLA's
    # in-process all-reduce can miss its 40 s rendezvous and abort; wait for each step.
    self.sync_each = n > 1 and jax.default_backend() == "cpu"

  def _to_device(self, states):
    if self.P > 1:
      return parallel.replicate(jax.tree.map(lambda *x: np.stack(x), *states), self.n)
    return parallel.replicate(jax.device_put(states[0]), self.n)

  def _loader(self, position):
    # Batches are [n_critic, (P,) B, ...]; vmap wants the member axis first.
    return pipeline.Prefetcher(self.source, position, self.base.train.n_critic, self.n,
                               member_axis=self.P > 1)

  def train(self, states, position, start, stop_after):
    base, members, P, n = self.base, self.members, self.P, self.n
    total = int(base.train.steps)
    last = min(total, stop_after) if stop_after else total
    device_state, loader = self._to_device(states), self._loader(position)
    bar = writers.Progress(start, total, enabled=self.progress)
    stop = _StopRequest()
    pending, last_time, last_step, rollbacks = (_pending(members, start), time.perf_counter(),
                                                start, 0)
    host, i = states, start
    try:
      while i < last:
        i += 1
        device_state, metrics = self.step_fn(device_state, next(loader))
        if self.sync_each:
          jax.block_until_ready(metrics)
        pending.append(metrics)
        bar.update(1)
        at = lambda every: every > 0 and i % every == 0 or i == total
        interrupted = stop.signum is not None
        needs_state = (at(base.sample.every) or at(base.eval.every) or at(base.ckpt.every)
                       or i == last or interrupted)
        if not (needs_state or at(base.log.every)):
          continue
        nonfinite = np.atleast_1d(jax.device_get(
            parallel.unreplicate(device_state.nonfinite_step, n)))
        bad = [k for k in range(P) if nonfinite[k] >= 0]
        if bad:
          rollbacks += 1
          self._stop_or_roll_back(bad, nonfinite, rollbacks)
          loader.close()
          failing = jax.device_get(parallel.unreplicate(device_state, n))
          lrs = [resume.learning_rates(failing if P == 1 else
                                       jax.tree.map(lambda x: x[k], failing)) for k in range(P)]
          states, position, i = self._roll_back(bad, nonfinite, rollbacks, lrs)
          device_state, loader = self._to_device(states), self._loader(position)
          bar.reset(i)
          pending, last_time, last_step = _pending(members, i), time.perf_counter(), i
          continue
        if needs_state:  # the whole state comes to the host only when it is used there
          stacked = jax.device_get(parallel.unreplicate(device_state, n))
          host = [stacked] if P == 1 else [jax.tree.map(lambda x: x[k], stacked)
                                           for k in range(P)]
        logs = at(base.log.every)
        rows = jax.device_get(pending) if logs or needs_state else None
        now = time.perf_counter()
        for k, m in enumerate(members):
          state = host[k] if needs_state else None  # used only when needs_state
          pick = (lambda r: r) if P == 1 else (lambda r: jax.tree.map(lambda x: x[..., k], r))
          if logs:
            means = {key: float(np.mean([np.mean(pick(r)[key]) for r in rows]))
                     for key in rows[0]}
            means["steps_per_sec"] = (i - last_step) / (now - last_time)
            m.writer.scalars(i, means)
            if k == 0:
              bar.update(0, d=means["d_loss"], g=means["g_loss"])
          if at(base.sample.every):
            _sample_picture(self.run, state, m.writer, m.workdir, i, m.fixed, m.real_fixed)
          if at(base.eval.every):
            scores, _ = m.evaluator(state, i)
            m.writer.scalars(i, {f"eval/{key}": v for key, v in scores.items()})
          if at(base.ckpt.every) or i == last or interrupted:
            unlogged = [] if logs else [{key: float(np.mean(pick(r)[key])) for key in r}
                                        for r in rows]
            m.save(i, state, loader.position, unlogged)
        if logs:
          last_time, last_step, pending = now, i, []
        if interrupted:
          for m in members:
            m.ckpt.wait()
          raise Interrupted(stop.signum, i, [m.workdir for m in members])
    finally:
      stop.close()
      loader.close()
      bar.close()
    for m in members:
      viz.loss_curves(writers.read_metrics(m.workdir),
                      os.path.join(m.workdir, "loss_curves.png"))
    return host

  def _stop_or_roll_back(self, bad, nonfinite, rollbacks):
    """Raises NonFiniteError unless the policy is rollback and rollbacks are left."""
    base = self.base
    if base.train.on_nonfinite not in ("stop", "rollback"):
      raise ValueError(f"train.on_nonfinite must be 'stop' or 'rollback', got "
                       f"{base.train.on_nonfinite!r}.")
    if base.train.on_nonfinite == "rollback" and rollbacks <= base.train.max_rollbacks:
      return
    m, k = self.members[bad[0]], bad[0]
    extra = (f" after {rollbacks - 1} rollbacks (train.max_rollbacks="
             f"{base.train.max_rollbacks})" if base.train.on_nonfinite == "rollback" else "")
    good = (f"the last good checkpoint is step {m.last_saved} in {m.ckpt.directory}. "
            "Resume from it" if m.last_saved else "no checkpoint was written yet. Restart")
    raise NonFiniteError(
        f"Non-finite loss or parameters at step {int(nonfinite[k]) + 1} in {m.workdir}"
        f"{extra}. Stopped without saving; {good} with lower learning rates "
        "(--allow_config_change --config.optim.d.lr=... --config.optim.g.lr=...), a "
        "penalty, or --config.train.on_nonfinite=rollback.")

  def _roll_back(self, bad, nonfinite, rollbacks, lrs):
    """(states, position, step) of the last checkpoint every member has (the fresh states
    before the first one) with this run's config changes applied, and the bad members'
    learning rates set to those in use at the failure (`lrs`) times the scale."""
    base = self.base
    step = min(m.last_saved for m in self.members)
    states, position = [], 0
    for m, fresh in zip(self.members, self.fresh):
      m.ckpt.wait()
      state, position, _ = m.ckpt.restore_at(step, fresh) if step else (fresh, 0, 0)
      states.append(resume.apply(state, m.config, m.changes)[0])
    for k in bad:
      m, scale = self.members[k], base.train.rollback_lr_scale
      after = {net: lr * scale for net, lr in lrs[k].items()}
      states[k] = resume.set_learning_rates(states[k], after)
      resume.record(m.workdir, {
          "step": step, "event": "rollback", "nonfinite_step": int(nonfinite[k]) + 1,
          "rollback": rollbacks, "lr_scale": scale, "learning_rates_before": lrs[k],
          "learning_rates_after": after})
      print(f"{m.workdir}: non-finite values at step {int(nonfinite[k]) + 1}; rolled back "
            f"to step {step} (rollback {rollbacks} of {base.train.max_rollbacks}) with "
            f"learning rates G {lrs[k]['g']:.3g} -> {after['g']:.3g}, D {lrs[k]['d']:.3g} "
            f"-> {after['d']:.3g}.", flush=True)
    for k, m in enumerate(self.members):  # rows after the restored step are logged again
      m.writer.close()
      m.writer = writers.MetricWriter(m.workdir, resume_step=step)
      if k in bad:
        lrs = resume.learning_rates(states[k])
        m.writer.scalars(step, {"rollback/g_lr": lrs["g"], "rollback/d_lr": lrs["d"]})
    return states, position, step


def sample(config, workdir: str, num_samples: int, allow_config_change: bool = False,
           **options) -> str:
  """Writes DIR/samples.npz from the latest checkpoint: the method family's keys
  (`method.SAMPLE_KEYS` that the record has: `x` float32 [N, ...] and e.g. the requested
  labels `y`, or a paired method's `a`, `b` and `y` where the data are labelled).
  `options` go to the method's `conditions` (e.g. `labels` for conditional methods)."""
  run = Run(config)
  state, _, step = run.restore(workdir, allow_config_change)
  conditions = run.conditions(num_samples, config.seed + 30_000, **options)
  rec = sampling.record(run.method, run.generator_variables(state), conditions,
                        progress=True)
  path = os.path.join(workdir, "samples.npz")
  keys = [k for k in run.method.SAMPLE_KEYS if k in rec]  # e.g. y only where labelled
  np.savez(path, **{k: rec[k] for k in keys})
  print(f"Wrote {len(rec['x'])} samples of step {step} to {path} ({', '.join(keys)}).",
        flush=True)
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
  conditions = run.method.interpolation_conditions(z, config.seed + 40_000)
  return sampling.generate(run.method, run.generator_variables(state), conditions)["x"], step


def interpolate(config, workdir: str, pairs: int = 8, steps: int = 10,
                allow_config_change: bool = False) -> str:
  """Writes DIR/interpolation.png (`interpolation_images` as a grid, a row each)."""
  x, step = interpolation_images(config, workdir, pairs, steps, allow_config_change)
  path = os.path.join(workdir, "interpolation.png")
  viz.save_image(viz.image_grid(x, rows=2 * pairs), path, scale=2)
  print(f"Wrote {path}: {pairs} pairs x (linear row, spherical row), step {step}.", flush=True)
  return path


def evaluate(config, workdir: str, allow_config_change: bool = False) -> dict:
  """Writes DIR/eval.json: every score with its protocol, from the latest checkpoint."""
  run = Run(config)
  state, _, step = run.restore(workdir, allow_config_change)
  scores, protocol = evaluator_lib.Evaluator(config, run.method, run.source, run.conditions)(
      state, step, progress=True)
  result = {"scores": scores, "protocol": protocol}
  with open(os.path.join(workdir, "eval.json"), "w") as f:
    json.dump(result, f, indent=2)
  print(json.dumps(result, indent=2), flush=True)
  return result
