"""Speech scores: segSNR, LLR and WSS on signals whose values are known, the composite
measures against published examples, PESQ / STOI ends, and a record's scoring."""
import math

import numpy as np
import pytest
from scipy import signal

from gan_jax.metrics import speech

FS = 8000


def ar1(a: float, n: int = 8000, seed: int = 0) -> np.ndarray:
  """An AR(1) process x[n] = a x[n-1] + e[n]."""
  e = np.random.default_rng(seed).normal(size=n)
  return signal.lfilter([1], [1, -a], e) * 0.05


def test_segmental_snr_of_known_distortions():
  x = ar1(0.9)
  assert speech.segmental_snr(x, x, FS) == pytest.approx(35.0)        # clipped at 35
  assert speech.segmental_snr(x, 0.9 * x, FS) == pytest.approx(20.0, abs=1e-6)
  assert speech.segmental_snr(x, 1.5 * x, FS) == pytest.approx(20 * np.log10(2), abs=1e-6)
  assert speech.segmental_snr(x, np.zeros_like(x), FS) == pytest.approx(0.0, abs=1e-6)
  assert speech.segmental_snr(x, -4 * x, FS) == pytest.approx(-10.0)  # -14 dB, clipped
  # composite.m frames: winlength 240, skip 60, floor(n / 60 - 4) frames
  s, _ = speech._frames(x, x, FS)
  assert s.shape == (8000 // 60 - 4, 240)


def test_llr_is_zero_for_the_same_spectrum_and_log_1_over_1_minus_a2_for_white():
  x = ar1(0.9)
  assert speech.llr(x, x, FS) == pytest.approx(0.0, abs=1e-9)
  assert speech.llr(x, 3.0 * x, FS) == pytest.approx(0.0, abs=1e-9)  # LPC ignores gain
  # White "enhanced" speech: a_y ~ [1, 0, ...], so the ratio is R_s(0) / E_s = 1 / (1 - a^2)
  white = np.random.default_rng(1).normal(size=8000)
  value = speech.llr(x, white, FS)
  assert value == pytest.approx(math.log(1 / (1 - 0.81)), abs=0.2)
  # Levinson-Durbin solves the normal equations R a = -r
  frame = x[:240] * np.hanning(240)
  r, poly = speech.lpc(frame[None], 10)
  toeplitz = r[0][np.abs(np.arange(10)[:, None] - np.arange(10)[None])]
  np.testing.assert_allclose(toeplitz @ poly[0, 1:], -r[0, 1:], atol=1e-10)


def test_wss_is_zero_for_the_same_slopes_and_grows_with_spectral_change():
  x = ar1(0.9)
  assert speech.wss(x, x, FS) == pytest.approx(0.0, abs=1e-9)
  assert speech.wss(x, 10.0 * x, FS) == pytest.approx(0.0, abs=1e-6)  # slopes keep
  near, far = speech.wss(x, ar1(0.8, seed=0), FS), speech.wss(x, ar1(-0.5, seed=0), FS)
  assert 0 < near < far
  filters = speech.critical_band_filters(FS, 512)
  assert filters.shape == (25, 256)
  # band i peaks at floor(cent_freq / 4000 * 256), at exp(log(70 / bandwidth))
  for i in (0, 12, 24):
    k = math.floor(speech.CENT_FREQ[i] / 4000 * 256)
    assert np.argmax(filters[i]) == k
    assert filters[i, k] == pytest.approx(70 / speech.BANDWIDTH[i])


def test_composite_matches_the_published_examples():
  # Loizou's composite.m readme (sp09.wav vs enhanced_logmmse.wav, 8 kHz): "LLR=0.681368
  # SNRseg=3.991727 WSS=49.671978 PESQ=2.255732" -> Csig 3.3050, Cbak 2.6160, Covl 2.7133.
  csig, cbak, covl = speech.composite(2.255732, 0.681368, 49.671978, 3.991727)
  assert (round(csig, 4), round(cbak, 4), round(covl, 4)) == (3.3050, 2.6160, 2.7133)
  # pysepm's example notebook (examples/examplesForCalculatingMeasures.ipynb, 16 kHz, so
  # the wide-band MOS-LQO): PESQ 1.1624178886413574, WSS 44.69861369131994, SNRseg
  # -0.21686174881958412 -> Cbak 1.8630831647556954.
  _, cbak, _ = speech.composite(1.1624178886413574, 0.0, 44.69861369131994,
                                -0.21686174881958412)
  assert cbak == pytest.approx(1.8630831647556954, abs=1e-12)
  assert speech.composite(4.5, 0.0, 0.0, 35.0) == (5.0, 5.0, 5.0)  # clipped to [1, 5]
  assert speech.composite(-1.0, 3.0, 200.0, -10.0) == (1.0, 1.0, 1.0)


def test_pesq_and_stoi_ends_and_the_raw_pesq_mapping():
  x = ar1(0.95, n=3 * FS) * np.repeat(np.random.default_rng(2).uniform(0, 1, 30) > 0.3, 800)
  assert speech.pesq_mos_lqo(x, x, FS) > 4.4
  assert speech.stoi(x, x, FS) == pytest.approx(1.0, abs=1e-6)
  noisy = x + 0.05 * np.random.default_rng(3).normal(size=len(x))
  assert speech.pesq_mos_lqo(x, noisy, FS) < 3.0 and speech.stoi(x, noisy, FS) < 0.95
  for raw in (1.0, 2.255732, 4.0):
    lqo = 0.999 + 4 / (1 + math.exp(-1.4945 * raw + 4.6607))
    assert speech.pesq_raw(lqo) == pytest.approx(raw, abs=1e-9)


def test_scores_of_a_record_group_by_utterance_and_snr():
  rng = np.random.default_rng(4)
  t = 8000
  clean = np.stack([ar1(0.95, n=t, seed=i) for i in range(4)]).astype(np.float32)
  noisy = (clean + 0.02 * rng.normal(size=clean.shape)).astype(np.float32)
  record = {"clean": clean, "noisy": noisy, "x": (0.5 * (clean + noisy)).astype(np.float32),
            "lengths": np.array([t, 5000, t, t]), "utterance": np.array([0, 0, 1, 2]),
            "offset": np.array([0, t, 0, 0]), "snr": np.array([2.5, 2.5, 2.5, 7.5])}
  scores, protocol = speech.scores(record, FS)
  assert scores["num_signals"] == 3 and scores["num_segments"] == 4
  # x halves the noise: +6 dB segmental SNR wherever the frames are not clipped
  assert scores["ssnr"] > scores["input_ssnr"] + 4
  assert scores["pesq"] > scores["input_pesq"] and scores["stoi"] >= scores["input_stoi"]
  assert set(k for k in scores if k.startswith("pesq_snr")) == {"pesq_snr2.5", "pesq_snr7.5"}
  assert all(1 <= scores[k] <= 5 for k in ("csig", "cbak", "covl"))
  assert "composite" in protocol
  with pytest.raises(ValueError, match="'x' missing"):
    speech.scores({"noisy": noisy, "clean": clean}, FS)
