"""experiments/figures/wgan_gp_toy.py in smoke mode: clipping piles the critic's weights
at +-c, the gradient penalty does not."""
import json
import os

from experiments.figures import wgan_gp_toy


def test_clipped_weights_pile_at_c_and_penalised_ones_do_not(tmp_path):
  wgan_gp_toy.main(["--out", str(tmp_path), "--smoke"])
  for name in ("wgan_gp_toy.png", "wgan_gp_toy_weights.png"):
    assert os.path.getsize(tmp_path / name) > 10_000, name
  out = json.load(open(tmp_path / "wgan_gp_toy.json"))
  c = wgan_gp_toy.CLIP_C
  width, depth = 32, 3  # the smoke critic: 2 -> 32 -> 32 -> 32 -> 1, kernels only
  kernels = 2 * width + (depth - 1) * width ** 2 + width
  assert sorted(out["results"]) == sorted(wgan_gp_toy.DATASETS)
  for name, by_reg in out["results"].items():
    clip, gp = by_reg["clip"], by_reg["gp"]
    assert clip["count"] == gp["count"] == kernels, name
    assert clip["finite"] and gp["finite"], name
    # Projection after every update: no weight ever leaves [-c, c] ...
    assert clip["max_abs"] <= c * (1 + 1e-6), name
    # ... and most sit on its ends; with the penalty almost none do.
    assert clip["frac_at_c"] > 0.5, (name, clip["frac_at_c"])
    assert gp["frac_at_c"] < 0.02, (name, gp["frac_at_c"])
    assert gp["std"] > 5 * clip["std"], name
    # The penalised critic separates data from data + N(0, 1) noise: W estimate > 0.
    assert gp["wasserstein_final"] > 0.05, (name, gp["wasserstein_final"])
