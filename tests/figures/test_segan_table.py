"""The SEGAN table and spectrogram figure in smoke mode (one tiny run in both G rows)."""
import json
import os

import numpy as np
import pytest

from experiments.figures import segan_table
from gan_jax import train
from tests.conftest import experiment_config


def test_segan_table_smoke(tmp_path):
  runs = tmp_path / "runs"
  train.train(experiment_config("segan.py:smoke"), str(runs / "segan"), progress=False)
  os.symlink(runs / "segan", runs / "segan_l1")  # the table reads both rows' runs
  out = segan_table.main(["--out", str(tmp_path / "out"), "--smoke", "--runs", str(runs)])
  scores = out["scores"]
  assert list(scores) == ["Noisy", "Wiener", "L1-only", "SEGAN"]
  noisy, wiener = scores["Noisy"], scores["Wiener"]
  # the noisy row scores the inputs as the systems are scored
  assert "input_pesq" not in scores["SEGAN"] and noisy["num_signals"] == 32
  assert noisy["ssnr"] == pytest.approx(
      np.mean([noisy[f"ssnr_snr{snr}"] for snr in ("2.5", "7.5", "12.5", "17.5")]))
  # the Wiener filter removes noise: segmental SNR and PESQ up at every test SNR, most
  # where there is most noise (measured: +4.3, +5.9, +2.7, +1.5 dB)
  for snr in ("2.5", "7.5", "12.5", "17.5"):
    gain = 3 if snr in ("2.5", "7.5") else 1
    assert wiener[f"ssnr_snr{snr}"] > noisy[f"ssnr_snr{snr}"] + gain
    assert wiener[f"pesq_snr{snr}"] > noisy[f"pesq_snr{snr}"]
  assert noisy["ssnr_snr2.5"] < noisy["ssnr_snr17.5"]
  table = open(tmp_path / "out" / "segan_table.md").read()
  assert "| Wiener | " in table and "2.22, 3.23, 2.68, 2.67, 5.07" in table
  assert "Test SNR 17.5 dB:" in table
  assert json.load(open(tmp_path / "out" / "segan_table.json"))["steps"]["segan"] == 10
  assert os.path.getsize(tmp_path / "out" / "segan_spectrograms.png") > 20_000
