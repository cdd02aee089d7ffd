"""The CycleGAN ablation table and translation figures in smoke mode."""
import json
import os

from experiments.figures import cyclegan_ablation


def test_cyclegan_ablation_smoke(tmp_path, smoke_fonts_classifiers):
  out = cyclegan_ablation.main(["--out", str(tmp_path), "--smoke",
                                "--classifier", smoke_fonts_classifiers["style"],
                                "--content_classifier", smoke_fonts_classifiers["content"]])
  rows = {r["row"]: r for r in out["rows"] if r["table"] == "ablation"}
  for label in ("CycleGAN",):
    s = rows[label]["scores"]
    assert s["step"] == 20
    for d in ("ab", "ba"):
      assert 0 <= s[f"{d}_target_accuracy"] <= 1 and 0 <= s[f"{d}_content_accuracy"] <= 1
      assert 0 < s[f"{d}_cycle_l1"] < 1 and s[f"{d}_fid"] > 0
  assert rows["GAN alone"]["missing"] == "not trained in --smoke"
  table = open(tmp_path / "cyclegan_ablation.md").read()
  assert "| CycleGAN | 0." in table and "0.51, 0.11, 0.08" in table and "not run" in table
  assert "real glyphs" in table
  figures = json.load(open(tmp_path / "cyclegan_ablation.json"))["figures"]
  assert figures["translations"]["run"] == "fonts_full"
  assert figures["ablation"]["columns"] == ["Kai", "CycleGAN", "real Ming"]
  for name in ("cyclegan_translations.png", "cyclegan_ablation.png"):
    assert os.path.getsize(tmp_path / name) > 2_000
