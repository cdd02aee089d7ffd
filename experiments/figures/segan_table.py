"""SEGAN's Table 1 (Pascual et al., 2017) on the held-out Asterisk utterances: Noisy /
Wiener / L1-only / SEGAN x PESQ, CSIG, CBAK, COVL, SSNR (+ STOI), overall and per test
SNR, beside the paper's numbers, and a spectrogram figure.

Rows: the noisy input; the Wiener filter (gan_jax/wiener.py: decision-directed a priori
SNR as Loizou's wiener_as.m: noise from the leading 120 ms, then tracked by its VAD); G
trained with the L1 loss alone (``experiments/segan.py:loss=l1``); SEGAN
(``experiments/segan.py``). Every system is scored by `gan_jax.metrics.speech` on the
same signals: all 57 test utterances x the 4 test SNRs (2.5, 7.5, 12.5, 17.5 dB), whole
utterances (G's output is the 50% overlap-add of its windows). The paper's numbers come from another corpus
(VoiceBank-DEMAND: 16 kHz, 824 test utterances of 2 speakers, 20 noise conditions, wide-
band PESQ) and full-size networks: only the orderings compare.

Writes ``segan_table.md``, ``segan_table.json`` and ``segan_spectrograms.png``
(noisy | Wiener | SEGAN | clean log spectrograms of test utterances at 2.5 and 7.5 dB).

  python -m experiments.figures.segan_table --out DIR [--runs RUNS] [--smoke]

``--runs RUNS`` reads runs trained as ``launch.py --config experiments/segan.py[:loss=l1]
--workdir RUNS/segan[_l1]`` instead of training them here.
"""
from __future__ import annotations

import os

import numpy as np

from experiments.figures import _common, _translation
from gan_jax import audio, wiener
from gan_jax.metrics import speech

NAME = "segan_table"
RUNS = (("L1-only", "segan_l1", "loss=l1"), ("SEGAN", "segan", ""))
COLUMNS = (("PESQ", "pesq"), ("CSIG", "csig"), ("CBAK", "cbak"), ("COVL", "covl"),
           ("SSNR", "ssnr"), ("STOI", "stoi"))
# Pascual et al. (2017), Table 1 (VoiceBank-DEMAND test set): PESQ, CSIG, CBAK, COVL, SSNR.
PAPER = {"Noisy": (1.97, 3.35, 2.44, 2.63, 1.68), "Wiener": (2.22, 3.23, 2.68, 2.67, 5.07),
         "SEGAN": (2.16, 3.48, 2.94, 2.80, 7.73)}
FIGURE_SNRS = (2.5, 7.5)


def parse_args(argv=None):
  def extra(p):
    p.add_argument("--runs", default="", help="a folder with trained runs segan/, segan_l1/")
  return _common.parse_args(NAME, __doc__, argv, extra)


def wiener_record(record: dict, fs: int) -> dict:
  """The record with `x` replaced by the Wiener filter of each whole noisy utterance,
  cut back into the record's segments."""
  x = np.zeros_like(record["x"])
  t = x.shape[1]
  order = {(int(u), float(s), int(o)): i for i, (u, s, o) in
           enumerate(zip(record["utterance"], record["snr"], record["offset"]))}
  for sig in audio.utterances(record, ("noisy",)):
    enhanced = wiener.wiener(sig["noisy"], fs)
    for k in range(0, len(enhanced), t):
      i = order[(sig["utterance"], sig["snr"], sig["offset"] + k)]
      x[i, :len(enhanced[k:k + t])] = enhanced[k:k + t]
  return {**record, "x": x}


def systems(args) -> tuple[dict, dict, dict]:
  """({system: scores}, {system: record}, {run name: step}) on every held-out segment."""
  records, steps = {}, {}
  for label, name, run_args in RUNS:
    spec = "segan.py:" + ",".join(filter(None, ["smoke" if args.smoke else "", run_args]))
    workdir = _translation.train_or_reuse(spec, {}, args.runs, name, args.out)
    records[label], steps[name] = _translation.outputs(workdir, 10 ** 9, 0)
  fs = int(_common.saved_config(workdir).data.sample_rate)
  records["SEGAN"]["sample_rate"] = fs
  records["Wiener"] = wiener_record(records["SEGAN"], fs)
  records = {"Noisy": {**records["SEGAN"], "x": records["SEGAN"]["noisy"]}, **records}
  segan = speech.scores(records["SEGAN"], fs)[0]  # with the noisy input's scores
  scores = {"Noisy": {k[len("input_"):]: v for k, v in segan.items() if k.startswith("input_")}}
  scores["Noisy"]["num_signals"] = segan["num_signals"]
  for k in ("Wiener", "L1-only"):
    scores[k] = speech.scores(records[k], fs, with_input=False)[0]
  scores["SEGAN"] = {k: v for k, v in segan.items() if not k.startswith("input_")}
  return scores, records, steps


def table(scores: dict, suffix: str = "", paper: bool = True) -> list[str]:
  head = ["system"] + [c for c, _ in COLUMNS] + (["paper (PESQ, CSIG, CBAK, COVL, SSNR)"]
                                                 if paper else [])
  lines = ["| " + " | ".join(head) + " |", "| " + " | ".join("---" for _ in head) + " |"]
  for system, s in scores.items():
    cells = [f"{s[key + suffix]:.2f}" if key != "stoi" else f"{s[key + suffix]:.3f}"
             for _, key in COLUMNS]
    if paper:
      cells.append(", ".join(f"{v:.2f}" for v in PAPER[system]) if system in PAPER else "-")
    lines.append("| " + " | ".join([system] + cells) + " |")
  return lines


def markdown(scores: dict, steps: dict) -> str:
  any_scores = next(iter(scores.values()))
  snrs = sorted({float(k.split("_snr")[1]) for k in any_scores if k.startswith("pesq_snr")})
  out = [f"All test utterances at all test SNRs ({any_scores['num_signals']} signals; "
         f"runs at steps {steps}). PESQ: narrow-band MOS-LQO (P.862.1) at 8 kHz (the "
         "paper: wide-band at 16 kHz); CSIG / CBAK / COVL use the raw P.862 score, as "
         "Hu & Loizou's regressions do.", ""] + table(scores)
  for snr in snrs:
    out += ["", f"Test SNR {snr:g} dB:", ""] + table(scores, f"_snr{snr:g}", paper=False)
  return "\n".join(out) + "\n"


def figure(records: dict, out: str, fs: int) -> dict:
  """Log spectrograms of one test utterance per FIGURE_SNRS: noisy | Wiener | SEGAN |
  clean."""
  import matplotlib.pyplot as plt
  columns = (("noisy", "Noisy", "x"), ("Wiener", "Wiener", "x"), ("SEGAN", "SEGAN", "x"),
             ("clean", "SEGAN", "clean"))
  rows = []
  for snr in FIGURE_SNRS:
    by_system = {label: next(s for s in audio.utterances(rec, ("x", "clean", "noisy"))
                             if s["snr"] == snr and len(s["clean"]) > fs)
                 for label, rec in records.items() if label in ("Noisy", "Wiener", "SEGAN")}
    rows.append((snr, by_system))
  fig, axes = plt.subplots(len(rows), len(columns), figsize=(3.2 * len(columns), 2.6 * len(rows)),
                           squeeze=False)
  for r, (snr, by_system) in enumerate(rows):
    for c, (title, system, key) in enumerate(columns):
      sig = by_system[system if title != "noisy" else "Noisy"]
      db = audio.log_spectrogram(sig[key], n_fft=256, hop=32)
      axes[r, c].imshow(db, origin="lower", aspect="auto", cmap="magma", vmin=-80, vmax=-10,
                        extent=(0, len(sig[key]) / fs, 0, fs / 2000))
      axes[r, c].set_title(f"{title} ({snr:g} dB test mixture)" if c == 0 else title,
                           fontsize=8)
      axes[r, c].set_xlabel("s", fontsize=7)
      axes[r, c].set_ylabel("kHz", fontsize=7)
      axes[r, c].tick_params(labelsize=6)
  fig.tight_layout()
  path = os.path.join(out, "segan_spectrograms.png")
  fig.savefig(path, dpi=110)
  plt.close(fig)
  return {"path": path, "utterances": {f"{snr:g}": int(bs["SEGAN"]["utterance"])
                                       for snr, bs in rows}}


def main(argv=None):
  args = parse_args(argv)
  clock = _common.Clock()
  scores, records, steps = systems(args)
  text = markdown(scores, steps)
  with open(os.path.join(args.out, f"{NAME}.md"), "w") as f:
    f.write(text)
  print(text, flush=True)
  fs = int(records["SEGAN"]["sample_rate"])
  numbers = {"scores": scores, "steps": steps, "paper": PAPER,
             "figure": figure(records, args.out, fs), "seconds": clock.seconds(),
             "protocol": "gan_jax.metrics.speech on every held-out segment joined into "
                         "whole utterances; Wiener: gan_jax.wiener (wiener_as.m's constants)"}
  path = _common.write_json(args.out, NAME, numbers)
  print(f"Wrote {path} ({numbers['seconds']} s).", flush=True)
  return numbers


if __name__ == "__main__":
  main()
