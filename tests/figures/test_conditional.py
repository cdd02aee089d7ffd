"""experiments/figures/conditional.py in smoke mode: three conditional runs, their class x z
grids side by side and the table; then --runs draws finished runs without training."""
import json
import os

from experiments.figures import conditional


def test_conditional_figure_trains_draws_and_tabulates(tmp_path, smoke_classifier):
  conditional.main(["--out", str(tmp_path), "--smoke", "--classifier", smoke_classifier])
  out = json.load(open(tmp_path / "conditional.json"))
  assert set(out["results"]) == {"cgan", "projection", "acgan"}
  for method, r in out["results"].items():
    s = r["scores"]
    assert r["step"] == 20 and r["scores_from"] == "metrics.jsonl step 20"
    assert 0 <= s["class_accuracy"] <= 1 and 0 < s["fid"] < 1e4 and 0 < s["intra_fid"] < 1e4
    assert 0 <= s["tstr_acc"] <= 1 and 0.2 < s["trtr_acc"] <= 1
    assert 1 <= s["classes_covered_per_class"] <= 10
    # scored per requested class, all ten, and the overall accuracy is their mean
    # (1,000 balanced samples): a sample/label misalignment would break either
    per_class = [s[f"class_accuracy/{c}"] for c in range(10)]
    assert abs(sum(per_class) / 10 - s["class_accuracy"]) < 1e-6
  assert out["results"]["projection"]["loss"] == "hinge"
  assert os.path.getsize(tmp_path / "conditional.png") > 20_000
  md = open(tmp_path / "conditional.md").read()
  rows = [line for line in md.splitlines() if line.startswith("| ") and "---" not in line]
  assert len(rows) == 4 and "intra-FID" in rows[0] and rows[3].startswith("| AC-GAN | 20 |")

  redraw = tmp_path / "redraw"
  runs = ",".join(f"{m}={tmp_path / 'runs' / m}" for m in conditional.METHODS)
  conditional.main(["--out", str(redraw), "--runs", runs, "--classifier", smoke_classifier])
  again = json.load(open(redraw / "conditional.json"))
  assert again["results"]["acgan"]["scores"] == out["results"]["acgan"]["scores"]
  assert not os.path.exists(redraw / "runs")
