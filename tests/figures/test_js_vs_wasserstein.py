"""experiments/figures/js_vs_wasserstein.py in smoke mode: the measured JS is flat at
log 2 for every theta != 0 and 0 at theta = 0; the measured W grows as |theta|."""
import json
import math
import os

import numpy as np

from experiments.figures import js_vs_wasserstein as fig


def test_js_is_flat_and_wasserstein_grows_with_theta(tmp_path):
  fig.main(["--out", str(tmp_path), "--smoke"])
  assert os.path.getsize(tmp_path / "js_vs_wasserstein.png") > 10_000
  out = json.load(open(tmp_path / "js_vs_wasserstein.json"))
  theta = np.array(out["theta"])
  js, w = np.array(out["js_estimate"]), np.array(out["w_estimate"])
  assert theta.shape == js.shape == w.shape == (len(fig.SMOKE["thetas"]),)
  assert np.all(np.isfinite(js)) and np.all(np.isfinite(w))
  np.testing.assert_allclose(out["js_exact"], np.where(theta == 0, 0.0, math.log(2)))
  np.testing.assert_allclose(out["w_exact"], np.abs(theta))
  # Disjoint supports: the trained D separates them, the JS estimate is log 2 ...
  np.testing.assert_allclose(js[theta != 0], math.log(2), atol=0.01)
  # ... and identical distributions give 0 (D = 1/2 everywhere).
  assert abs(js[theta == 0][0]) < 0.01
  # The critic's estimate follows |theta|: growing with |theta| on both sides, symmetric.
  np.testing.assert_allclose(w, np.abs(theta), atol=0.15)
  at = lambda t: w[np.flatnonzero(np.isclose(theta, t))[0]]
  for side in (-1.0, 1.0):
    assert at(0.0) < at(0.5 * side) < at(side), side
  assert abs(at(1.0) - at(-1.0)) < 0.1
  assert np.isclose(out["w_max_abs_error"], np.max(np.abs(w - np.abs(theta))))
  assert out["js_max_abs_error"] < 0.01
