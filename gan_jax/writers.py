"""Where a run's numbers and pictures go: metrics.jsonl, TensorBoard events (tensorboardX,
no TensorFlow) and a tqdm progress bar."""
from __future__ import annotations

import json
import math
import os

import numpy as np
import tqdm


def read_metrics(workdir: str) -> list[dict]:
  path = os.path.join(workdir, "metrics.jsonl")
  if not os.path.exists(path):
    return []
  with open(path) as f:
    return [json.loads(line) for line in f if line.strip()]


def _float(v):
  v = float(v)
  return v if math.isfinite(v) else repr(v)  # JSON has no NaN; keep it readable


class MetricWriter:
  """Appends {"step": int, name: float, ...} rows to metrics.jsonl and TensorBoard."""

  def __init__(self, workdir: str, resume_step: int = 0, tensorboard: bool = True):
    self.path = os.path.join(workdir, "metrics.jsonl")
    # Rows logged after the checkpoint we resume from would be logged again: drop them.
    rows = [r for r in read_metrics(workdir) if r["step"] <= resume_step]
    with open(self.path, "w") as f:
      f.writelines(json.dumps(r) + "\n" for r in rows)
    self.tb = None
    if tensorboard:
      from tensorboardX import SummaryWriter
      self.tb = SummaryWriter(workdir, flush_secs=30, purge_step=resume_step + 1)

  def scalars(self, step: int, values: dict) -> None:
    if not values:  # e.g. an evaluation whose every metric group is missing
      return
    row = {"step": int(step), **{k: _float(v) for k, v in values.items()}}
    with open(self.path, "a") as f:
      f.write(json.dumps(row) + "\n")
    if self.tb:
      for k, v in values.items():
        self.tb.add_scalar(k, float(v), step)

  def image(self, step: int, tag: str, image: np.ndarray) -> None:
    """`image`: HWC uint8 or float in [0, 1]."""
    if self.tb:
      self.tb.add_image(tag, np.asarray(image), step, dataformats="HWC")

  def close(self):
    if self.tb:
      self.tb.close()


class NullWriter:
  """The writer of processes other than process 0 in a multi-process run: writes nothing."""

  def scalars(self, step: int, values: dict) -> None:
    pass

  def image(self, step: int, tag: str, image) -> None:
    pass

  def close(self):
    pass


class Progress:
  """A progress bar with steps/s, ETA and the latest losses."""

  def __init__(self, start: int, total: int, enabled: bool = True):
    self.bar = tqdm.tqdm(total=total, initial=start, disable=not enabled, unit="step",
                         dynamic_ncols=True, mininterval=1.0)

  def update(self, n: int = 1, **losses):
    if losses:
      self.bar.set_postfix({k: f"{float(v):.4g}" for k, v in losses.items()}, refresh=False)
    self.bar.update(n)

  def reset(self, step: int):
    """Back to `step` (after a rollback)."""
    self.bar.n = step
    self.bar.refresh()

  def close(self):
    self.bar.close()
