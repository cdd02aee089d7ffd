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
  s = rows["CycleGAN"]["scores"]
  assert (f"| CycleGAN | {s['ab_target_accuracy']:.3f} | {s['ab_content_accuracy']:.3f} | "
          f"{s['ab_cycle_l1']:.4f} | {s['ab_fid']:.1f} | {s['ba_target_accuracy']:.3f} |"
          in table)
  assert "0.51, 0.11, 0.08" in table and "| GAN alone | not run" in table
  assert "| UNIT | not run (not trained in --smoke) |" in table
  assert (f"| real glyphs (classifiers' accuracy) | {s['ab_real_accuracy']:.3f} | "
          f"{s['ab_input_content_accuracy']:.3f} |" in table)
  figures = json.load(open(tmp_path / "cyclegan_ablation.json"))["figures"]
  assert figures["translations"]["run"] == "fonts_full"
  assert figures["ablation"]["columns"] == ["Kai", "CycleGAN", "real Ming"]
  for name in ("cyclegan_translations.png", "cyclegan_ablation.png"):
    assert os.path.getsize(tmp_path / name) > 2_000


def test_rows_of_other_experiments_name_their_file():
  assert cyclegan_ablation.spec("variant=discogan", True) == "cyclegan.py:smoke,variant=discogan"
  assert cyclegan_ablation.spec("unit.py:", False) == "unit.py:"
  assert cyclegan_ablation.spec("cogan.py:steps=5", True) == "cogan.py:smoke,steps=5"
  assert cyclegan_ablation.spec("identity=0", False) == "cyclegan.py:identity=0"
