"""The steps of a training run: one compiled step over the data, with logging, sample
grids, scores and checkpoints at their intervals, and the two ways a run stops early.

SIGTERM / SIGINT finish the step, write a checkpoint and raise `Interrupted` (several
processes agree on the step through JAX's preemption service). Non-finite values raise
`NonFiniteError`, or with `train.on_nonfinite=rollback` restore the last checkpoint with
the learning rates in use times `train.rollback_lr_scale` (at most
`train.max_rollbacks` times). `train.py` builds what the loop runs.
"""
from __future__ import annotations

import os
import signal
import threading
import time

import jax
import numpy as np

from gan_jax import parallel, resume, sampling, train_step as step_lib, viz, writers
from gan_jax.data import pipeline


class NonFiniteError(FloatingPointError):
  pass


class Interrupted(Exception):
  """SIGTERM / SIGINT arrived: the step finished and a checkpoint was written."""

  def __init__(self, signum: int, step: int, workdirs):
    self.signum, self.step = signum, step
    super().__init__(
        f"Stopped by {signal.Signals(signum).name} after step {step}; checkpoint written in "
        f"{', '.join(workdirs)}. Run the same command again to resume exactly.")


def _sample_picture(run, state, writer, workdir, step, conditions, real):
  rec = sampling.record(run.method, run.generator_variables(state), conditions)
  fake = rec["x"]
  if run.method.FAMILY == "text":  # no picture: the decoded lines, as a text file
    path = os.path.join(workdir, "samples", f"step_{step}.txt")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
      f.write("".join(line.replace("\n", "\\n") + "\n"
                      for line in run.method.decode(fake)))
    return
  path = os.path.join(workdir, "samples", f"step_{step}.png")
  if fake.ndim == 2 and hasattr(run.source, "distribution"):  # toy data: points over
    # real ones, D's surface behind them (2-D speech windows are drawn by method.grid)
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
    size = fake.shape[2] if fake.ndim == 5 else fake.shape[1]  # frames [N, F, H, W, C]
    # a method whose networks grow titles its grids with the stage ("16x16, alpha 0.50")
    title = f"step {step}: {run.method.describe(state.g)}" \
        if hasattr(run.method, "describe") else ""
    viz.save_image(pixels, path, scale=max(1, 64 // size), title=title)  # small images x2
  writer.image(step, "samples", pixels)


class _Stacked:
  """The members' sources as one: batch(i) stacks their batches on a leading axis."""

  def __init__(self, sources):
    self.sources = sources

  def batch(self, index: int) -> dict:
    batches = [s.batch(index) for s in self.sources]
    return {k: np.stack([b[k] for b in batches]) for k in batches[0]}


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


class StopRequest:
  """SIGTERM / SIGINT during training: remember the signal so the loop finishes the step
  and writes a checkpoint; a second Ctrl-C stops at once."""

  def __init__(self):
    self.signum, self._old = None, {}
    # Several processes: JAX's preemption service takes SIGTERM and agrees on a step
    # at which every process stops (`requested`); Ctrl-C is left alone there.
    self.multi_process = jax.process_count() > 1
    if threading.current_thread() is threading.main_thread() and not self.multi_process:
      for sig in (signal.SIGTERM, signal.SIGINT):
        self._old[sig] = signal.signal(sig, self._handle)

  def _handle(self, signum, frame):
    if self.signum is not None and signum == signal.SIGINT:
      raise KeyboardInterrupt
    self.signum = signum
    print(f"\nReceived {signal.Signals(signum).name}: finishing this step and writing a "
          "checkpoint (Ctrl-C again to stop at once).", flush=True)

  def requested(self, step: int) -> bool:
    """Whether to checkpoint and stop after `step` (every process agrees on it)."""
    if self.multi_process:
      from jax.experimental import multihost_utils
      if multihost_utils.reached_preemption_sync_point(step):
        self.signum = signal.SIGTERM
    return self.signum is not None

  def close(self):
    for sig, handler in self._old.items():
      signal.signal(sig, handler)


class Loop:
  """The steps of a population of P runs (P = 1: a plain run) on n devices."""

  def __init__(self, base, run, members, fresh, n, ctx, progress):
    self.base, self.run, self.members, self.fresh, self.n = base, run, members, fresh, n
    self.P = len(members)
    self.progress = progress
    self.ctx, self.step_fns = ctx, {}  # compiled steps by the method's stage
    self.source = _Stacked([m.source for m in members]) if self.P > 1 else members[0].source
    # Virtual CPU devices share one thread pool: with many pmap steps queued, XLA's
    # in-process all-reduce can miss its 40 s rendezvous and abort; wait for each step.
    self.sync_each = n > 1 and jax.default_backend() == "cpu"

  def step_fn(self, done: int):
    """The compiled step that runs after `done` steps. A method whose networks change
    shape as it trains (progan's growing stages) says which static stage a step count
    is in (`method.stage(done)`) and gives its method for that stage
    (`method.at_stage(s)`); each stage compiles once, when first reached. Other methods
    have one stage and one compiled step."""
    method = self.run.method
    stage = method.stage(done) if hasattr(method, "stage") else 0
    if stage not in self.step_fns:
      staged = method.at_stage(stage) if hasattr(method, "stage") else method
      step = step_lib.keyed(step_lib.make_train_step(self.base, staged, self.ctx))
      self.step_fns[stage] = parallel.compile_step(jax.vmap(step) if self.P > 1 else step,
                                                   self.n)
    return self.step_fns[stage]

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
    stop = StopRequest()
    pending, last_time, last_step, rollbacks = (_pending(members, start), time.perf_counter(),
                                                start, 0)
    host, i = states, start
    try:
      while i < last:
        device_state, metrics = self.step_fn(i)(device_state, next(loader))
        i += 1
        if self.sync_each:
          jax.block_until_ready(metrics)
        pending.append(parallel.unreplicate(metrics, n))
        bar.update(1)
        at = lambda every: every > 0 and i % every == 0 or i == total
        interrupted = stop.requested(i)
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
          if at(base.sample.every) and m.primary:
            _sample_picture(self.run, state, m.writer, m.workdir, i, m.fixed, m.real_fixed)
          if at(base.eval.every) and m.primary:
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
    for m in filter(lambda m: m.primary, members):
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
      if m.primary:
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
      m.writer = (writers.MetricWriter(m.workdir, resume_step=step) if m.primary
                  else writers.NullWriter())
      if k in bad:
        lrs = resume.learning_rates(states[k])
        m.writer.scalars(step, {"rollback/g_lr": lrs["g"], "rollback/d_lr": lrs["d"]})
    return states, position, step
