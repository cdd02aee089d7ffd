"""SEGAN end to end: train -> --mode sample -> --mode eval through the experiment file,
the samples.npz contract, and inference by overlap-add through a G that is the identity."""
import json
import os

import numpy as np
import pytest
from scipy.io import wavfile

from gan_jax import data, methods, train
from tests.conftest import experiment_config


class IdentityG:
  """Stands in for G: returns its (pre-emphasised) input."""

  def apply(self, variables, x, z, train=False):
    del variables, z, train
    return x


def test_sample_is_the_overlap_add_of_enhanced_windows():
  config = experiment_config("segan.py:smoke")
  method = methods.get("segan").build(config, (config.data.window,))
  method.G = IdentityG()
  test = data.get_source(config, "test")
  cond = method.conditions(10_000, 0, test)
  assert len(cond["noisy"]) == test.num_segments  # all of them, in order
  assert cond["context"].shape == (test.num_segments, 2 * config.data.window)
  x = np.asarray(method.sample(None, cond)["x"])
  # pre-emphasis -> identity -> de-emphasis -> Hann overlap-add gives the input back
  np.testing.assert_allclose(x, cond["noisy"], atol=1e-4)
  # windows shared by neighbouring segments get the same z seed
  for i in range(len(cond["z_seed"]) - 1):
    if cond["utterance"][i] == cond["utterance"][i + 1] and cond["snr"][i] == cond["snr"][i + 1]:
      assert cond["z_seed"][i, 2] == cond["z_seed"][i + 1, 0]


def test_an_identity_g_through_inference_and_scoring_reproduces_the_noisy_scores():
  """The Noisy row's check: x = noisy through pre-emphasis, G, de-emphasis, the Hann
  overlap-add, the clip and the cut to each segment's length, then joined and scored, gets
  the noisy input's scores (no gain, offset or shift on the way)."""
  from gan_jax.metrics import speech
  config = experiment_config("segan.py:smoke")
  method = methods.get("segan").build(config, (config.data.window,))
  method.G = IdentityG()
  cond = method.conditions(10_000, 0, data.get_source(config, "test"))
  keep = cond["utterance"] < 2  # 8 signals: 2 utterances x 4 test SNRs
  record = {k: cond[k][keep] for k in ("noisy", "clean", "lengths", "utterance", "offset", "snr")}
  record["x"] = np.asarray(method.sample(None, {**record, "context": cond["context"][keep],
                                                "z_seed": cond["z_seed"][keep]})["x"])
  scores = speech.scores(record, config.data.sample_rate)[0]
  assert scores["num_signals"] == 8
  for key in speech.MAIN:
    for suffix in ("", "_snr2.5", "_snr17.5"):
      assert scores[key + suffix] == pytest.approx(scores["input_" + key + suffix], abs=1e-4), key
  assert scores["input_ssnr_snr17.5"] > scores["input_ssnr_snr2.5"] + 5  # not all clipped


def test_train_sample_eval(tmp_path):
  config = experiment_config("segan.py:smoke")
  workdir = str(tmp_path)
  train.train(config, workdir, progress=False)
  rows = [json.loads(line) for line in open(tmp_path / "metrics.jsonl")]
  losses = [r for r in rows if "g_content" in r]
  assert losses and all(np.isfinite(r["d_loss"]) and r["g_content"] > 0 for r in losses)
  assert os.path.getsize(tmp_path / "samples" / "step_10.png") > 1000  # spectrograms

  train.sample(config, workdir, 5)
  s = dict(np.load(tmp_path / "samples.npz"))
  assert set(s) == {"noisy", "clean", "x", "lengths", "sample_rate", "snr", "utterance",
                    "offset"}
  t = config.data.window
  for k in ("noisy", "clean", "x"):
    assert s[k].shape == (5, t) and s[k].dtype == np.float32
  assert int(s["sample_rate"]) == 8000 and s["sample_rate"].shape == ()
  assert np.all((0 < s["lengths"]) & (s["lengths"] <= t))
  for row, n in zip(s["x"], s["lengths"]):
    assert np.all(row[n:] == 0) and np.abs(row).max() <= 1
  assert set(s["snr"]) <= {2.5, 7.5, 12.5, 17.5}
  wavs = sorted(os.listdir(tmp_path / "samples"))
  assert [w for w in wavs if w.endswith(".wav")]
  rate, pcm = wavfile.read(tmp_path / "samples" / [w for w in wavs if w.endswith("_enhanced.wav")][0])
  assert rate == 8000 and pcm.dtype == np.int16 and len(pcm) > 0

  result = train.evaluate(config, workdir)
  scores = result["scores"]
  assert scores["num_segments"] == 688 and scores["num_signals"] == 32  # 8 utterances x 4 SNRs
  for key in ("pesq", "stoi", "ssnr", "csig", "cbak", "covl"):
    assert np.isfinite(scores[key]) and np.isfinite(scores["input_" + key])
    assert any(k.startswith(f"{key}_snr") for k in scores)
  assert -10 <= scores["ssnr"] <= 35 and 0 <= scores["stoi"] <= 1
  assert 1 <= scores["pesq"] <= 4.6 and result["protocol"]["speech"]["sample_rate"] == 8000
  # 8 signals per test SNR: the overall means are the means of the per-SNR ones (STOI and
  # segmental SNR are never left out), and the noisy input scores higher the less noise
  # was mixed in (PESQ, STOI, SSNR of the input rise from 2.5 to 17.5 dB).
  snrs = (2.5, 7.5, 12.5, 17.5)
  for key in ("stoi", "ssnr"):
    assert scores[key] == pytest.approx(np.mean([scores[f"{key}_snr{x:g}"] for x in snrs]))
  for key in ("input_pesq", "input_stoi", "input_ssnr"):
    assert scores[f"{key}_snr17.5"] > scores[f"{key}_snr2.5"], key
  with open(tmp_path / "eval.json") as f:
    assert json.load(f)["scores"]["pesq"] == pytest.approx(scores["pesq"])
