"""Scores of enhanced speech against the clean reference: PESQ, STOI, segmental SNR and the
composite measures CSIG / CBAK / COVL (Hu & Loizou, 2008, "Evaluation of objective
quality measures for speech enhancement", IEEE TASLP 16(1), Sec. IV), as SEGAN's Table 1
reports them (Pascual et al., 2017).

- ``pesq``: ITU-T P.862 narrow-band through the `pesq` package (mode 'nb', 8 kHz),
  which returns the P.862.1 MOS-LQO; ``pesq_raw`` is the raw P.862 score, the inverse of
  P.862.1's mapping MOS-LQO = 0.999 + 4 / (1 + exp(-1.4945 raw + 4.6607)).
- ``stoi``: short-time objective intelligibility (Taal et al., 2011) from `pystoi` (NaN,
  left out of the means, for signals with under 30 non-silent 25.6 ms frames).
- ``ssnr``, ``llr``, ``wss``: segmental SNR, log-likelihood ratio and weighted spectral
  slope exactly as the reference `composite.m` (Loizou, "Speech enhancement: theory and
  practice", 2007; the MATLAB code of Hu & Loizou, UT Dallas): 30 ms frames every 7.5 ms
  (winlength = round(0.03 fs), skip = floor(winlength / 4), floor(L / skip - winlength /
  skip) frames), the window 0.5 (1 - cos(2 pi n / (winlength + 1))), n = 1 .. winlength,
  both signals + eps (2.2e-16).
  segSNR: per frame 10 log10(sum s^2 / (sum (s - y)^2 + eps) + eps) clipped to [-10, 35]
  dB, averaged over all frames. LLR: LPC order 10 below 10 kHz (16 above) by Levinson-
  Durbin on the autocorrelation; per frame log(a_y R_s a_y' / a_s R_s a_s'), the mean of
  the lowest 95% (not clipped, as in composite.m). WSS (Klatt, 1982): 25 Gaussian
  critical-band filters on the |FFT|^2 (n_fft = 2^ceil(log2(2 winlength))), band energies
  in dB (floor 1e-10), slope differences weighted by Kmax = 20 / (20 + dB_max - E) times
  Klocmax = 1 / (1 + E_peak - E) averaged over both signals, normalised by the weights'
  sum; the mean of the lowest 95% of frames.
- Composite (Hu & Loizou, 2008, Eqs. 12-14; clipped to [1, 5]):
    CSIG = 3.093 - 1.029 LLR + 0.603 PESQ - 0.009 WSS
    CBAK = 1.634 + 0.478 PESQ - 0.007 WSS + 0.063 segSNR
    COVL = 1.594 + 0.805 PESQ - 0.512 LLR - 0.007 WSS
  with PESQ the raw P.862 score at 8 kHz (as composite.m there; the pysepm port does the
  same), the wide-band MOS-LQO at 16 kHz.

`scores(record, fs)` scores the enhanced output `x` and the noisy input of a sample record
of equal-length segments, joined into whole utterances (`audio.utterances`), and averages
over utterances: overall and per test SNR (keys ``<score>_snr<dB>``); the input's scores
are prefixed ``input_``.
"""
from __future__ import annotations

import math

import numpy as np

from gan_jax import cache, audio

EPS = float(np.finfo(np.float64).eps)
ALPHA = 0.95                      # the share of frames kept by LLR and WSS (the lowest)
SNR_RANGE = (-10.0, 35.0)
CENT_FREQ = (50.0, 120.0, 190.0, 260.0, 330.0, 400.0, 470.0, 540.0, 617.372, 703.378,
             798.717, 904.128, 1020.38, 1148.30, 1288.72, 1442.54, 1610.70, 1794.16,
             1993.93, 2211.08, 2446.71, 2701.97, 2978.04, 3276.17, 3597.63)
BANDWIDTH = (70.0, 70.0, 70.0, 70.0, 70.0, 70.0, 70.0, 77.3724, 86.0056, 95.3398, 105.411,
             116.256, 127.914, 140.423, 153.823, 168.154, 183.457, 199.776, 217.153,
             235.631, 255.255, 276.072, 298.126, 321.465, 346.136)
K_MAX, K_LOCMAX = 20.0, 1.0       # Klatt (1982), p. 1280
MAIN = ("pesq", "stoi", "ssnr", "csig", "cbak", "covl")
ALL = MAIN + ("pesq_raw", "llr", "wss")


def _frames(clean, processed, fs: int):
  """Windowed frames [F, winlength] of both signals (+ eps), as composite.m cuts them."""
  clean = np.asarray(clean, np.float64) + EPS
  processed = np.asarray(processed, np.float64) + EPS
  if clean.shape != processed.shape:
    raise ValueError(f"clean {clean.shape} and processed {processed.shape} signals must "
                     "have the same length.")
  win = int(round(30 * fs / 1000))
  skip = win // 4
  n = int(math.floor(len(clean) / skip - win / skip))
  if n < 1:
    raise ValueError(f"A signal of {len(clean)} samples is shorter than one 30 ms frame.")
  index = np.arange(n)[:, None] * skip + np.arange(win)[None, :]
  window = 0.5 * (1 - np.cos(2 * np.pi * np.arange(1, win + 1) / (win + 1)))
  return clean[index] * window, processed[index] * window


def _mean_lowest(values: np.ndarray) -> float:
  """The mean of the lowest round(ALPHA n) values (MATLAB's round: half away from 0)."""
  keep = int(math.floor(len(values) * ALPHA + 0.5))
  return float(np.mean(np.sort(values)[:max(keep, 1)]))


def segmental_snr(clean, processed, fs: int) -> float:
  """The mean frame SNR in dB, each clipped to [-10, 35] (composite.m's `snr`)."""
  s, y = _frames(clean, processed, fs)
  snr = 10 * np.log10(np.sum(s ** 2, 1) / (np.sum((s - y) ** 2, 1) + EPS) + EPS)
  return float(np.mean(np.clip(snr, *SNR_RANGE)))


def lpc(frames: np.ndarray, order: int) -> tuple[np.ndarray, np.ndarray]:
  """(autocorrelation [F, order + 1], LPC polynomial [F, order + 1] = [1, -a]) of each
  frame by Levinson-Durbin, in the reference's (composite.m `lpcoeff`) arithmetic."""
  f, n = frames.shape
  r = np.stack([np.sum(frames[:, :n - k] * frames[:, k:], 1) for k in range(order + 1)], 1)
  a = np.ones((f, order))
  e = r[:, 0].copy()
  for i in range(order):
    past = a[:, :i].copy()
    sum_term = np.sum(past * r[:, i:0:-1], 1)
    k = (r[:, i + 1] - sum_term) / e
    a[:, i] = k
    a[:, :i] = past - k[:, None] * past[:, ::-1]
    e = (1 - k * k) * e
  return r, np.concatenate([np.ones((f, 1)), -a], 1)


def llr(clean, processed, fs: int) -> float:
  """Log-likelihood ratio (mean of the lowest 95% of frames; composite.m's `llr`)."""
  s, y = _frames(clean, processed, fs)
  order = 10 if fs < 10000 else 16
  r_s, a_s = lpc(s, order)
  _, a_y = lpc(y, order)
  index = np.abs(np.arange(order + 1)[:, None] - np.arange(order + 1)[None, :])
  toeplitz = r_s[:, index]  # [F, P + 1, P + 1]
  num = np.einsum("fi,fij,fj->f", a_y, toeplitz, a_y)
  den = np.einsum("fi,fij,fj->f", a_s, toeplitz, a_s)
  return _mean_lowest(np.log(np.maximum(num / den, 1e-300)))


def critical_band_filters(fs: int, n_fft: int) -> np.ndarray:
  """[25, n_fft / 2] Gaussian critical-band weights, zero below -30 dB (composite.m)."""
  half = n_fft // 2
  max_freq = fs / 2
  j = np.arange(half)
  out = np.zeros((len(CENT_FREQ), half))
  for i, (cf, bw_hz) in enumerate(zip(CENT_FREQ, BANDWIDTH)):
    f0 = math.floor(cf / max_freq * half)
    bw = bw_hz / max_freq * half
    out[i] = np.exp(-11 * ((j - f0) / bw) ** 2 + math.log(BANDWIDTH[0]) - math.log(bw_hz))
  return out * (out > math.exp(-30.0 / (2.0 * 2.303)))


def _loc_peaks(slope: np.ndarray, energy: np.ndarray) -> np.ndarray:
  """[F, 24] the energy 'nearest peak' of each band by composite.m's search: up the
  slope while it is positive, down it while it is not (its indexing kept)."""
  f, m = slope.shape
  rows = np.arange(f)
  out = np.zeros_like(slope)
  for i in range(m):
    up = slope[:, i] > 0
    n = np.full(f, i)
    going = up.copy()
    while going.any():
      n = np.where(going, n + 1, n)
      going &= (n < m) & (slope[rows, np.minimum(n, m - 1)] > 0)
    right = energy[rows, n - 1]
    n = np.full(f, i)
    going = ~up
    while going.any():
      n = np.where(going, n - 1, n)
      going &= (n >= 0) & (slope[rows, np.maximum(n, 0)] <= 0)
    out[:, i] = np.where(up, right, energy[rows, n + 1])
  return out


def wss(clean, processed, fs: int) -> float:
  """Weighted spectral slope (Klatt, 1982; composite.m's `wss`)."""
  s, y = _frames(clean, processed, fs)
  n_fft = 2 ** int(math.ceil(math.log2(2 * s.shape[1])))
  filters = critical_band_filters(fs, n_fft)
  half = n_fft // 2

  def band_db(frames):
    spec = np.abs(np.fft.fft(frames, n_fft, axis=1)[:, :half]) ** 2
    return 10 * np.log10(np.maximum(spec @ filters.T, 1e-10))
  e_s, e_y = band_db(s), band_db(y)
  slope_s, slope_y = np.diff(e_s, axis=1), np.diff(e_y, axis=1)

  def weights(energy, slope):
    w_max = K_MAX / (K_MAX + energy.max(1, keepdims=True) - energy[:, :-1])
    w_loc = K_LOCMAX / (K_LOCMAX + _loc_peaks(slope, energy) - energy[:, :-1])
    return w_max * w_loc
  w = (weights(e_s, slope_s) + weights(e_y, slope_y)) / 2
  distortion = np.sum(w * (slope_s - slope_y) ** 2, 1) / np.sum(w, 1)
  return _mean_lowest(distortion)


def pesq_mos_lqo(clean, processed, fs: int) -> float:
  """P.862 narrow-band at 8 kHz (wide-band at 16 kHz) as MOS-LQO; NaN when the `pesq`
  package finds no utterance in the reference. Other rates are an error (P.862 has
  none), not a silent NaN."""
  import pesq as pesq_lib
  if fs not in (8000, 16000):
    raise ValueError(f"PESQ needs speech at 8 or 16 kHz, not {fs} Hz: set "
                     "data.sample_rate=8000 (or 16000).")
  mode = "nb" if fs == 8000 else "wb"
  try:
    return float(pesq_lib.pesq(fs, np.asarray(clean, np.float32),
                               np.asarray(processed, np.float32), mode))
  except pesq_lib.NoUtterancesError:
    return float("nan")


def pesq_raw(mos_lqo: float) -> float:
  """The raw P.862 score whose P.862.1 mapping is `mos_lqo`."""
  return (4.6607 - math.log(4.0 / (mos_lqo - 0.999) - 1.0)) / 1.4945


def composite(pesq_score: float, llr_value: float, wss_value: float, ssnr: float
              ) -> tuple[float, float, float]:
  """(CSIG, CBAK, COVL) from the four measures (Hu & Loizou, 2008), clipped to [1, 5]."""
  csig = 3.093 - 1.029 * llr_value + 0.603 * pesq_score - 0.009 * wss_value
  cbak = 1.634 + 0.478 * pesq_score - 0.007 * wss_value + 0.063 * ssnr
  covl = 1.594 + 0.805 * pesq_score - 0.512 * llr_value - 0.007 * wss_value
  return tuple(float(min(max(v, 1.0), 5.0)) for v in (csig, cbak, covl))


def stoi(clean, processed, fs: int) -> float:
  """STOI; NaN where pystoi finds fewer than 30 non-silent frames (it returns 1e-5)."""
  import warnings
  from pystoi import stoi as stoi_fn
  with warnings.catch_warnings():
    warnings.simplefilter("ignore", RuntimeWarning)
    value = float(stoi_fn(np.asarray(clean, np.float64), np.asarray(processed, np.float64), fs))
  return float("nan") if value == 1e-5 else value


def signal_scores(clean, processed, fs: int) -> dict:
  """Every score of one processed signal against its clean reference."""
  lqo = pesq_mos_lqo(clean, processed, fs)
  raw = pesq_raw(lqo) if math.isfinite(lqo) and fs == 8000 else lqo
  out = {"pesq": lqo, "pesq_raw": raw, "stoi": stoi(clean, processed, fs),
         "ssnr": segmental_snr(clean, processed, fs), "llr": llr(clean, processed, fs),
         "wss": wss(clean, processed, fs)}
  out["csig"], out["cbak"], out["covl"] = composite(raw, out["llr"], out["wss"], out["ssnr"])
  return out


def summarise(per_signal: list[dict], snrs: list[float], prefix: str = "") -> dict:
  """Means over signals (NaN PESQs left out) of every score, overall and per SNR."""
  out = {}
  for key in ALL:
    values = np.array([s[key] for s in per_signal])
    out[prefix + key] = float(np.nanmean(values))
    for snr in sorted(set(snrs)):
      if math.isfinite(snr):
        chosen = values[np.asarray(snrs) == snr]
        if key in MAIN:
          out[f"{prefix}{key}_snr{snr:g}"] = float(np.nanmean(chosen))
  return out


def scores(record: dict, fs: int, with_input: bool = True) -> tuple[dict, dict]:
  """(scores, protocol) of a sample record {"noisy", "clean", "x", "lengths", and
  "utterance", "offset", "snr" where known} at sample rate `fs`; `with_input`: also the
  noisy input's scores (``input_<score>``)."""
  for key in ("noisy", "clean", "x"):
    if key not in record:
      raise ValueError(f"eval.metrics 'speech' needs speech records ({key!r} missing); use "
                       "it with data.name=noisy_speech and method segan.")
  signals = [s for s in audio.utterances(record, ("noisy", "x", "clean"))
             if len(s["clean"]) >= int(0.25 * fs)]  # P.862 needs 1/4 s
  if not signals:
    raise ValueError("No held-out signal of at least 0.25 s to score.")
  snrs = [s["snr"] for s in signals]
  enhanced = [signal_scores(s["clean"], s["x"], fs) for s in signals]
  out = summarise(enhanced, snrs)
  if with_input:
    out.update(summarise([signal_scores(s["clean"], s["noisy"], fs) for s in signals], snrs,
                         "input_"))
  out.update({"num_signals": len(signals), "num_segments": int(len(record["x"])),
         "pesq_failed": int(sum(not math.isfinite(s["pesq"]) for s in enhanced)),
         "stoi_failed": int(sum(not math.isfinite(s["stoi"]) for s in enhanced))})
  protocol = {
      "signals": "held-out segments joined into whole utterances (consecutive offsets of "
                 "one utterance and SNR), unpadded; signals under 0.25 s left out",
      "sample_rate": int(fs),
      "pesq": "pesq package (P.862), mode nb at 8 kHz: MOS-LQO (P.862.1); pesq_raw: raw "
              "P.862 by inverting the P.862.1 mapping; NaN (failed) left out of means",
      "stoi": "pystoi, extended=False; NaN (under 30 non-silent frames) left out of means",
      "ssnr_llr_wss": "composite.m (Hu & Loizou): 30 ms frames, 75% overlap, segSNR "
                      "clipped to [-10, 35] dB; LLR and WSS: mean of the lowest 95%",
      "composite": "Hu & Loizou (2008) Eqs. 12-14 from raw PESQ (8 kHz), LLR, WSS, segSNR; "
                   "clipped to [1, 5]",
      "input": "input_<score>: the same scores of the noisy input",
      "mixing": "noisy = clean + noise scaled to the SNR measured over the whole utterance "
                "(silences included; not the P.56 active level); noise kind of utterance u "
                "at SNR index s: noise_types[(u + s) % K]; noise from default_rng([MIX_SEED "
                "0, split, u, s]) (gan_jax.data.speech_source)",
      "libraries": cache.versions("pesq", "pystoi")}
  return out, protocol
