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
    self.method = methods.get(config.method).build(config, self.source.shape, ctx)

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


def _sample_picture(run, state, writer, workdir, step, z, real):
  g_vars = sampling.generator_variables(state)
  fake = sampling.generate(run.method, g_vars, z)
  path = os.path.join(workdir, "samples", f"step_{step}.png")
  if fake.ndim == 2:  # toy data: points over real ones, D's surface behind them
    low, high = viz.toy_limits(real, fake)
    grid = viz.toy_grid(low, high)
    d_values = np.asarray(sampling.jitted(run.method, "discriminate")(state.d, grid))
    pdf = getattr(run.source.distribution, "pdf", None) if fake.shape[1] == 1 else None
    fig = viz.toy_figure(real, fake, grid, d_values, title=f"step {step}", pdf=pdf)
    pixels = viz.save_figure(fig, path)
  elif run.config.sample.annotate:  # D's score under each cell
    scores = np.asarray(sampling.jitted(run.method, "discriminate")(state.d, fake))
    pixels = viz.save_figure(viz.annotated_grid(fake, scores, f"step {step}: D(x)"), path)
  else:
    pixels = viz.image_grid(fake)
    viz.save_image(pixels, path)
  writer.image(step, "samples", pixels)


def train(config, workdir: str, allow_config_change: bool = False, progress: bool = True,
          stop_after: int | None = None):
  """Trains (or resumes) the run in `workdir`; returns the final host state.

  `stop_after`: leave after that step with a checkpoint, as a preempted job would
  (a later call resumes from it).
  """
  os.makedirs(workdir, exist_ok=True)
  _check_saved_config(config, workdir, allow_config_change)
  n = parallel.num_devices(config.parallel.num_devices, config.data.batch_size)
  ctx = parallel.context(n)
  run = Run(config, ctx)

  state = run.init_state()
  ckpt = checkpoint.Checkpointer(workdir, keep=config.ckpt.keep)
  restored = ckpt.restore_latest(state)
  position, start = 0, 0
  if restored is not None:
    state, position, start = restored
    print(f"Resuming {workdir} from step {start} (data position {position}).", flush=True)
  with open(os.path.join(workdir, "config.json"), "w") as f:
    f.write(config.to_json(indent=2))

  step_fn = parallel.compile_step(
      step_lib.keyed(step_lib.make_train_step(config, run.method, ctx)), n)
  device_state = parallel.replicate(state, n)
  loader = pipeline.Prefetcher(run.source, position, config.train.n_critic, n)
  writer = writers.MetricWriter(workdir, resume_step=start)
  evaluator = evaluator_lib.Evaluator(config, run.method, run.source)
  z_fixed = sampling.latents(run.method, config.sample.num, config.seed + 20_000)
  real_fixed = run.source.reference(config.sample.num, config.seed)
  bar = writers.Progress(start, config.train.steps, enabled=progress)

  total = int(config.train.steps)
  last = min(total, stop_after) if stop_after else total
  pending, last_time, last_step, last_saved = [], time.perf_counter(), start, start
  host_state = state
  try:
    for step in range(start + 1, last + 1):
      device_state, metrics = step_fn(device_state, next(loader))
      pending.append(metrics)
      bar.update(1)
      at = lambda every: every > 0 and step % every == 0 or step == total
      need_host = at(config.log.every) or at(config.sample.every) or at(
          config.eval.every) or at(config.ckpt.every) or step == last
      if not need_host:
        continue
      host_state = jax.device_get(parallel.unreplicate(device_state, n))
      if int(host_state.nonfinite_step) >= 0:
        bad = int(host_state.nonfinite_step) + 1
        raise NonFiniteError(
            f"Non-finite loss at step {bad} (metrics {jax.device_get(pending[-1])}). "
            f"Stopped without saving; the last good checkpoint is step {last_saved} in "
            f"{ckpt.directory}. Lower the learning rates or add a penalty, then resume.")
      if at(config.log.every):
        rows = jax.device_get(pending)
        means = {k: float(np.mean([np.mean(r[k]) for r in rows])) for k in rows[0]}
        now = time.perf_counter()
        means["steps_per_sec"] = (step - last_step) / (now - last_time)
        last_time, last_step, pending = now, step, []
        writer.scalars(step, means)
        bar.update(0, d=means["d_loss"], g=means["g_loss"])
      if at(config.sample.every):
        _sample_picture(run, host_state, writer, workdir, step, z_fixed, real_fixed)
      if at(config.eval.every):
        scores, _ = evaluator(host_state, step)
        writer.scalars(step, {f"eval/{k}": v for k, v in scores.items()})
      if at(config.ckpt.every) or step == last:
        ckpt.save(step, host_state, loader.position)
        last_saved = step
  finally:
    loader.close()
    bar.close()
    ckpt.wait()
    ckpt.close()
    writer.close()
  viz.loss_curves(writers.read_metrics(workdir), os.path.join(workdir, "loss_curves.png"))
  return host_state


def sample(config, workdir: str, num_samples: int) -> str:
  """Writes DIR/samples.npz with `x` [N, ...] float32 from the latest checkpoint."""
  run = Run(config)
  state, _, step = run.restore(workdir)
  z = sampling.latents(run.method, num_samples, config.seed + 30_000)
  x = sampling.generate(run.method, sampling.generator_variables(state), z, progress=True)
  path = os.path.join(workdir, "samples.npz")
  np.savez(path, x=x)
  print(f"Wrote {num_samples} samples of step {step} to {path}.", flush=True)
  return path


def interpolate(config, workdir: str, pairs: int = 8, steps: int = 10) -> str:
  """Writes DIR/interpolation.png: for each of `pairs` random z pairs, a row walking
  linearly and a row walking spherically between them (latest checkpoint)."""
  run = Run(config)
  if len(run.source.shape) != 3:
    raise ValueError(f"--interpolate needs image data; {config.data.name!r} is not images.")
  state, _, step = run.restore(workdir)
  z = sampling.interpolation_latents(run.method, pairs, steps, config.seed + 40_000)
  x = sampling.generate(run.method, sampling.generator_variables(state), z)
  path = os.path.join(workdir, "interpolation.png")
  viz.save_image(viz.image_grid(x, rows=2 * pairs), path, scale=2)
  print(f"Wrote {path}: {pairs} pairs x (linear row, spherical row), step {step}.", flush=True)
  return path


def evaluate(config, workdir: str) -> dict:
  """Writes DIR/eval.json: every score with its protocol, from the latest checkpoint."""
  run = Run(config)
  state, _, step = run.restore(workdir)
  scores, protocol = evaluator_lib.Evaluator(config, run.method, run.source)(
      state, step, progress=True)
  result = {"scores": scores, "protocol": protocol}
  with open(os.path.join(workdir, "eval.json"), "w") as f:
    json.dump(result, f, indent=2)
  print(json.dumps(result, indent=2), flush=True)
  return result
