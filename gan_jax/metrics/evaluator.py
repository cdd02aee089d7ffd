"""The Evaluator: scores of a train state, each with the protocol that produced it.

`config.eval.metrics` names metric groups; each group is a function
``group(evaluator, samples) -> {name: value}`` in this module's GROUPS. Every call
returns ``(scores, protocol)``: the protocol records sample counts, the reference,
EMA or raw weights, the seed and the code's git commit, so a number can be reproduced.
"""
from __future__ import annotations

import os
import subprocess

from gan_jax import sampling
from gan_jax.metrics import toy


def git_commit() -> str:
  here = os.path.dirname(os.path.abspath(__file__))
  try:
    out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=here, capture_output=True,
                         text=True, timeout=10)
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                           cwd=here, capture_output=True, text=True, timeout=10).stdout
    return out.stdout.strip() + ("+dirty" if dirty.strip() else "") if out.returncode == 0 \
        else "unknown"
  except (OSError, subprocess.SubprocessError):
    return "unknown"


def _toy(ev, samples):
  if not hasattr(ev.source, "distribution"):
    raise ValueError(f"eval.metrics 'toy' needs toy data, not {ev.config.data.name!r}.")
  reference = ev.source.reference(len(samples), ev.seed)
  return toy.toy_metrics(ev.source.distribution, samples, reference)


GROUPS = {"toy": _toy}
PROTOCOLS = {"toy": lambda ev: {
    "reference": f"exact sampler of {ev.config.data.name} (seed {ev.seed}), same count",
    "mode_rule": "nearest mode; high quality within 3 std; recovered with >= 1 HQ sample",
}}


class Evaluator:
  def __init__(self, config, method, source):
    unknown = [m for m in config.eval.metrics if m not in GROUPS]
    if unknown:
      raise ValueError(f"Unknown eval.metrics {unknown}. Available: {', '.join(GROUPS)}.")
    self.config, self.method, self.source = config, method, source
    self.num_samples = int(config.eval.num_samples)
    self.seed = int(config.seed) + 10_000  # eval noise, disjoint from training's stream
    self.code = git_commit()

  def __call__(self, state, step: int, use_ema: bool = True, progress: bool = False):
    g_vars = sampling.generator_variables(state, use_ema)
    z = sampling.latents(self.method, self.num_samples, self.seed)
    samples = sampling.generate(self.method, g_vars, z, progress=progress)
    scores, protocol = {}, {
        "step": int(step), "num_generated": self.num_samples,
        "weights": "ema" if use_ema and state.ema is not None else "raw",
        "seed": self.seed, "data": self.config.data.name, "code": self.code}
    for name in self.config.eval.metrics:
      scores.update(GROUPS[name](self, samples))
      protocol[name] = PROTOCOLS[name](self)
    return scores, protocol
