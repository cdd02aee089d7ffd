"""experiments/figures/progress.py and interpolation.py in smoke mode, on one run."""
import json
import os

import numpy as np

from experiments.figures import interpolation, progress
from gan_jax import train


def test_progress_then_interpolation_of_its_run(tmp_path, smoke_classifier):
  progress.main(["--out", str(tmp_path), "--smoke", "--classifier", smoke_classifier])
  out = json.load(open(tmp_path / "progress.json"))
  assert out["steps"] == [10, 20, 30]  # every sample grid of the 30-step run
  assert os.path.getsize(tmp_path / "progress.png") > 10_000
  assert out["scores_skipped"] is None
  scores = out["scores"]["30"]  # scored at the last step, with the classifier
  assert 0 < scores["fid"] < 1e4 and 1 <= scores["is"] <= 10
  assert 0 <= scores["classes_covered"] <= 10 and 0 <= scores["recall"] <= 1
  assert out["losses"]["30"]["d_loss"] > 0

  run = str(tmp_path / "runs" / "progress")
  interpolation.main(["--out", str(tmp_path), "--run", run, "--classifier", smoke_classifier])
  out = json.load(open(tmp_path / "interpolation.json"))
  assert out["protocol"]["step"] == 30 and not os.path.exists(tmp_path / "runs" / "interpolation")
  pairs, steps = interpolation.PAIRS, interpolation.STEPS
  for kind in ("linear", "slerp"):
    mean, ratio = np.array(out[kind]["mean_step"]), np.array(out[kind]["max_over_mean"])
    assert mean.shape == (pairs,) and np.all(mean > 0)
    assert np.all(ratio >= 1) and np.all(ratio <= steps - 1)  # max >= mean, <= the sum
  classes = np.array(out["classes"]["classes"])
  assert classes.shape == (2 * pairs, steps) and classes.min() >= 0 and classes.max() < 10
  # Linear and spherical paths of a pair share their end points (the same two latents).
  x, _ = train.interpolation_images(progress._common.saved_config(run), run, pairs, steps)
  paths = x.reshape(pairs, 2, steps, *x.shape[1:])
  np.testing.assert_allclose(paths[:, 0, [0, -1]], paths[:, 1, [0, -1]], atol=1e-5)
  assert np.abs(paths[:, 0, 1:-1] - paths[:, 1, 1:-1]).max() > 1e-4  # and differ between


def test_pick_keeps_ends_and_scored_steps_then_fills_early_gaps():
  steps = list(range(250, 3001, 250))
  assert progress.pick(steps, {1000: {}, 2000: {}, 3000: {}}) == [250, 500, 1000, 1500, 2000, 3000]
  assert progress.pick(steps[:2], {}) == [250, 500]
  many = progress.pick(steps, {s: {} for s in steps})
  assert len(many) == progress.PANELS and many[0] == 250 and many[-1] == 3000
