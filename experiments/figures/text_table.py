"""MLE vs Gumbel-GAN vs SeqGAN on SeqGAN's synthetic oracle (experiments/text_gan.py):
oracle NLL, G's NLL on held-out sequences, BLEU-2..4 against them, self-BLEU-2..4,
n-gram novelty and training time, beside SeqGAN's own oracle-NLL table.

Rows: the three runs of the defaults (``text_gan.py:method=mle|gumbel|seqgan``, same
seed, the same 1,500 MLE steps at Adam 0.01 before 500 more steps at 1e-3: MLE, or the
GAN's adversarial ones); the two GANs at SeqGAN's 0.01 throughout (``adv_lr=0.01``); a
Gumbel GAN with soft (not straight-through) one-hots into D; and two references
scored the same way: fresh samples of the oracle itself (the floor of oracle NLL, the
diversity of real data) and uniformly random tokens. Scores: the `text` eval group
(gan_jax/metrics/text.py; its protocol is in each run's eval.json).

SeqGAN's Table 1 (Yu et al., 2017) scores NLL-oracle with a 5,000-token oracle; ours has
1,000 tokens, so only the orderings compare, not the values.

  python -m experiments.figures.text_table --out DIR [--runs RUNS] [--smoke]

``--runs RUNS`` reads runs trained as ``launch.py --config experiments/text_gan.py:ARGS
[--config.KEY=VALUE] --workdir RUNS/NAME`` (`RUNS` below) instead of training them here.
Train time: the sum over logged intervals of steps / (steps per second), i.e. the steps
alone (no scoring, checkpoints).
"""
from __future__ import annotations

import numpy as np

from experiments.figures import _common, _translation
from gan_jax import data, writers
from gan_jax.metrics import text

NAME = "text_table"
# (label, workdir name under RUNS, experiment args, config overrides)
RUNS = (("MLE", "text_mle", "method=mle", {}),
        ("Gumbel-GAN", "text_gumbel", "method=gumbel", {}),
        ("SeqGAN", "text_seqgan", "method=seqgan", {}),
        ("Gumbel-GAN, G lr 0.01 throughout", "text_gumbel_lr0.01", "method=gumbel,adv_lr=0.01",
         {}),
        ("SeqGAN, G lr 0.01 throughout", "text_seqgan_lr0.01", "method=seqgan,adv_lr=0.01", {}),
        ("Gumbel-GAN, soft one-hots", "text_gumbel_soft", "method=gumbel",
         {"loss.straight_through": False}))
COLUMNS = (("oracle NLL", "oracle_nll", 3), ("NLL_test", "nll_test", 3),
           ("BLEU-2", "bleu2", 3), ("BLEU-3", "bleu3", 3), ("BLEU-4", "bleu4", 3),
           ("self-BLEU-2", "self_bleu2", 3), ("self-BLEU-3", "self_bleu3", 3),
           ("self-BLEU-4", "self_bleu4", 3), ("novel 2-grams", "novelty2", 3),
           ("novel 3-grams", "novelty3", 3), ("train s", "train_seconds", 0))
# Yu et al. (2017), Table 1: NLL-oracle of 5,000-token oracle samples.
PAPER = {"Random": 10.310, "MLE": 9.038, "Schedule sampling": 8.985, "PG-BLEU": 8.946,
         "SeqGAN": 8.736}


def parse_args(argv=None):
  def extra(p):
    p.add_argument("--runs", default="", help="a folder with trained runs text_mle/, ...")
  return _common.parse_args(NAME, __doc__, argv, extra)


def train_seconds(workdir: str) -> float:
  rows = [r for r in writers.read_metrics(workdir) if "steps_per_sec" in r]
  total, last = 0.0, 0
  for r in rows:
    total += (r["step"] - last) / r["steps_per_sec"]
    last = r["step"]
  return round(total, 1)


def references(config, n: int = 2000, seed: int = 0) -> dict:
  """{label: scores} of fresh oracle samples and of uniform random tokens, by the same
  functions and counts as the `text` group."""
  train = data.get_source(config, "train")
  test = data.get_source(config, "test")
  refs = text.as_sequences(test.examples(min(text.REFERENCES, test.size), seed=0)["tokens"])
  train_seqs = text.as_sequences(train.tokens)
  rng = np.random.default_rng(seed)
  out = {}
  for label, tokens in (("Oracle samples (real)", train.oracle_sample(n, seed)),
                        ("Uniform random tokens", rng.integers(1, train.vocab_size,
                                                               (n, train.shape[0]))
                         .astype(np.int32))):
    seqs = text.as_sequences(tokens)
    s = {"oracle_nll": float(np.mean(train.oracle_nll(tokens)))}
    s.update({f"bleu{k}": v for k, v in text.bleu(seqs[:text.BLEU_HYPOTHESES], refs).items()})
    s.update({f"self_bleu{k}": v
              for k, v in text.self_bleu(seqs[:text.SELF_BLEU_SAMPLES]).items()})
    s.update({f"novelty{k}": v for k, v in text.novelty(seqs, train_seqs).items()})
    out[label] = s
  return out


def markdown(rows: dict, steps: dict) -> str:
  head = ["system"] + [c for c, _, _ in COLUMNS]
  lines = [f"Oracle (1,000 tokens, sequences of 20); runs at steps {steps}.", "",
           "| " + " | ".join(head) + " |", "| " + " | ".join("---" for _ in head) + " |"]
  for label, s in rows.items():
    cells = [f"{s[key]:.{d}f}" if key in s else "-" for _, key, d in COLUMNS]
    lines.append("| " + " | ".join([label] + cells) + " |")
  lines += ["", "SeqGAN's Table 1 (NLL-oracle, a 5,000-token oracle): "
            + ", ".join(f"{k} {v:.3f}" for k, v in PAPER.items()) + "."]
  return "\n".join(lines) + "\n"


def main(argv=None):
  args = parse_args(argv)
  clock = _common.Clock()
  rows, steps, workdir = {}, {}, None
  for label, name, run_args, overrides in RUNS:
    spec = "text_gan.py:" + ",".join(filter(None, [run_args, "smoke" if args.smoke else ""]))
    workdir = _translation.train_or_reuse(spec, overrides, args.runs, name, args.out)
    rows[label] = {**_translation.final_scores(workdir), "train_seconds": train_seconds(workdir)}
    steps[name] = rows[label].pop("step")
  config = _common.saved_config(workdir)
  rows.update(references(config, n=int(config.eval.num_samples)))
  table = markdown(rows, steps)
  _translation.write_table(args.out, NAME, table)
  numbers = {"rows": rows, "steps": steps, "paper_nll_oracle": PAPER,
             "seconds": clock.seconds(),
             "protocol": "gan_jax.metrics.text (the `text` eval group); references: "
                         f"{config.eval.num_samples} fresh oracle samples (seed 0) / uniform "
                         "random ids 1..999, scored by the same functions"}
  path = _common.write_json(args.out, NAME, numbers)
  print(f"Wrote {path} ({numbers['seconds']} s).", flush=True)
  return numbers


if __name__ == "__main__":
  main()
