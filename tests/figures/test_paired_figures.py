"""The paired-translation tables and figures in smoke mode."""
import json
import os

import numpy as np

from experiments.figures import mosaic_figure, pix2pix_tables, sr_figure


def test_pix2pix_tables_smoke(tmp_path, smoke_classifier):
  out = pix2pix_tables.main(["--out", str(tmp_path), "--smoke", "--classifier",
                             smoke_classifier])
  rows = {(r["table"], r["row"]): r for r in out["rows"]}
  for key in (("objective", "L1"), ("objective", "L1+cGAN"), ("patch", "70x70")):
    s = rows[key]["scores"]
    assert s["step"] == 20 and 0 < s["l1"] < 1 and 0 <= s["accuracy"] <= 1 and s["fid"] > 0
  assert rows[("objective", "GAN")]["missing"] == "not trained in --smoke"
  table = open(tmp_path / "pix2pix_tables.md").read()
  assert "| L1+cGAN | " in table and "0.66, 0.23, 0.17" in table and "not run" in table
  assert out["figure"]["columns"] == ["input", "L1", "L1+cGAN", "target"]
  assert os.path.getsize(tmp_path / "pix2pix_losses.png") > 2_000


def test_sr_figure_smoke(tmp_path, smoke_classifier):
  out = sr_figure.main(["--out", str(tmp_path), "--smoke", "--classifier", smoke_classifier,
                        "--content_network", smoke_classifier])
  assert set(out["scores"]) == {"bicubic", "SRResNet", "SRGAN"}
  for s in out["scores"].values():
    assert 0 < s["psnr"] < 60 and -1 <= s["ssim"] <= 1 and s["fid"] > 0
  # Bicubic of 7 -> 28 Fashion-MNIST is far above noise: about 15 dB on [0, 1].
  assert out["scores"]["bicubic"]["psnr"] > 12
  assert out["num_images"] == sr_figure.NUM
  assert json.load(open(tmp_path / "sr_figure.json"))["step"] == 20
  assert os.path.getsize(tmp_path / "sr_figure.png") > 10_000


def test_mosaic_figure_smoke(tmp_path, smoke_classifier):
  out = mosaic_figure.main(["--out", str(tmp_path), "--smoke", "--classifier",
                            smoke_classifier])
  by_k = out["by_block_size"]
  assert set(by_k) == {2, 4, 8} and sum(v["count"] for v in by_k.values()) == out["num_images"]
  # Bigger blocks destroy more: the input's PSNR falls with k.
  psnr_in = [by_k[k]["input"]["psnr"] for k in (2, 4, 8)]
  assert psnr_in[0] > psnr_in[1] > psnr_in[2]
  assert np.isfinite(by_k[8]["output"]["psnr"])
  assert os.path.getsize(tmp_path / "mosaic_figure.png") > 2_000
