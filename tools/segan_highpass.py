"""A fixed high-pass filter of the noisy input scored like SEGAN's table: how much of the
segmental SNR on the `noisy_speech` test set comes from the noise below ~100 Hz (brown
noise puts most of its power there, and the Asterisk prompts have almost none).

  python tools/segan_highpass.py [--cutoffs 0,100,200]

Prints, per cutoff (0: the noisy input itself), segSNR, PESQ (nb) and STOI of every test
utterance at every test SNR (the 228 whole signals of the table), by test SNR and by noise
kind. The filter: a 4th-order Butterworth high-pass run forwards and backwards (scipy sosfiltfilt: zero phase, the magnitude response squared, i.e. of 8th order).
"""
from __future__ import annotations

import argparse
import os
import sys

import numpy as np
from scipy import signal

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from experiments.figures import _common  # noqa: E402
from gan_jax import data  # noqa: E402
from gan_jax.metrics import speech  # noqa: E402


def main(argv=None):
  p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  p.add_argument("--cutoffs", default="0,100,200", help="high-pass cutoffs in Hz (0: none)")
  args = p.parse_args(argv)
  config = _common.experiment_config("segan.py", {})
  src = data.get_source(config, "test")
  fs = int(config.data.sample_rate)
  rows = {}
  for cut in (float(c) for c in args.cutoffs.split(",")):
    sos = signal.butter(4, cut / (fs / 2), "high", output="sos") if cut else None
    for u in range(len(src.utterances)):
      for s, snr in enumerate(src.snrs):
        noisy, clean = src.mixture(u, s)
        y = noisy if sos is None else signal.sosfiltfilt(sos, noisy).astype(np.float32)
        v = (speech.segmental_snr(clean, y, fs), speech.pesq_mos_lqo(clean, y, fs),
             speech.stoi(clean, y, fs))
        kind = src.noise_types[src.noise_kind(u, s)]
        for key in ("all", f"{snr:g} dB", kind):
          rows.setdefault((cut, key), []).append(v)
  print("| high-pass | signals | SSNR | PESQ | STOI |\n| --- | --- | --- | --- | --- |")
  for (cut, key), v in rows.items():
    v = np.array(v)
    print(f"| {cut:g} Hz | {key} ({len(v)}) | {v[:, 0].mean():.2f} | {np.nanmean(v[:, 1]):.2f} "
          f"| {np.nanmean(v[:, 2]):.3f} |")


if __name__ == "__main__":
  main()
