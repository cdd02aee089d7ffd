"""experiments/figures/pdf1d.py in smoke mode: the exact sampler passes the KS test at
its sample count; the GAN's scores are reported on the same footing."""
import json
import os

import numpy as np

from experiments.figures import pdf1d


def test_exact_sampler_passes_ks_and_gan_is_scored(tmp_path):
  pdf1d.main(["--out", str(tmp_path), "--smoke"])
  assert os.path.getsize(tmp_path / "pdf1d.png") > 10_000
  assert os.path.exists(tmp_path / "runs" / "pdf1d" / "metrics.jsonl")
  out = json.load(open(tmp_path / "pdf1d.json"))
  n = out["samples"]
  assert n == pdf1d.SMOKE["samples"]
  exact, gan = out["exact_sampler"], out["gan"]
  for scores in (exact, gan):
    assert 0 <= scores["ks"] <= 1 and 0 <= scores["tv"] <= 1
    assert np.isfinite(scores["mean"])
  # Exact samples: KS below the 1% critical value 1.63 / sqrt(n), nothing outside
  # [-3, 3], and the sample mean within 4 standard errors of the exact mean
  # (the density's std is 1.53).
  assert exact["ks"] < 1.63 / np.sqrt(n)
  assert exact["outside_support"] == 0.0
  assert abs(exact["mean"] - out["exact_mean"]) < 4 * 2 / np.sqrt(n)
  # By hand: the steps give -(1/3 2.5 + 2/3 1.5 + 0.5) = -7/3, the bump 9/4 - 1/pi^2.
  assert abs(out["exact_mean"] - (-7 / 3 + 9 / 4 - 1 / np.pi ** 2) / 3.5) < 1e-4
  assert out["protocol"]["steps"] == pdf1d.SMOKE["steps"]
