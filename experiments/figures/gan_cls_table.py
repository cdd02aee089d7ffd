"""GAN-CLS ablation on captioned shapes (experiments/gan_cls.py): does the generator draw
what the caption says, on held-out phrasings (split test) and seen ones (test_seen)?

Rows: the matching-aware D with one joint head (GAN-CLS, Reed et al., 2016), the same
without the mismatched-text term (a plain conditional GAN, the paper's "GAN"), separate
realism + match heads, GAN-INT-CLS (the joint head + interpolated captions) and GAN-INT
without the mismatched term (the paper's GAN-INT: the mismatched term's ablation
again, with interpolation); then
the attribute classifier on the real images of each split (the ceiling) and chance
(1/K; the commonest value's share among the scored captions). Scores: the `text2image`
eval group (gan_jax/metrics/text2image.py; the protocol is in each run's eval.json):
per-attribute accuracy on samples of one-shape captions, all four shape attributes
right, FID on the attribute classifier's features against the split's real images.

  python -m experiments.figures.gan_cls_table --out DIR [--runs RUNS] [--data DATA] [--smoke]

``--runs RUNS`` reads runs trained as ``launch.py --config experiments/gan_cls.py:ARGS
--workdir RUNS/NAME`` (`RUNS` below) and scored by ``--mode eval``, instead of training
them here. It also draws DIR/gan_cls_samples_<data>.png: for each run, CAPTIONS (rows)
x 8 z. ``--data fashion_mnist_captions``: the same four runs on captioned Fashion-MNIST
(workdirs RUNS/f_joint, ...), scored by the Fashion-MNIST classifier's accuracy
w.r.t. the caption's class.
"""
from __future__ import annotations

import json
import os

import numpy as np

from experiments.figures import _common, _translation
from gan_jax import sampling, train, viz
from gan_jax.metrics import text2image

NAME = "gan_cls_table"
STEPS = 2500  # experiments/gan_cls.py's default
# (label, workdir name under RUNS (prefixed by the data's PREFIX), experiment args)
RUNS = (("GAN-CLS, joint head", "joint", f"steps={STEPS}"),
        ("no mismatched term (cond. GAN)", "nomismatch", f"steps={STEPS},mismatch=false"),
        ("GAN-CLS, separate heads", "separate", f"steps={STEPS},d_design=separate"),
        ("GAN-INT-CLS, joint head", "interp", f"steps={STEPS},interp=true"),
        ("GAN-INT, no mismatched term", "interp_nomismatch",
         f"steps={STEPS},interp=true,mismatch=false"))
PREFIX = {"captioned_shapes": "", "fashion_mnist_captions": "f_"}
COLUMNS = {"captioned_shapes": ("shape", "colour", "size", "position", "background", "all"),
           "fashion_mnist_captions": ("class",)}
CAPTIONS = {"captioned_shapes": (
    "a large red circle in the centre on a dark background",
    "there is a small yellow star on the left on a light background",
    "a big blue square at the top on a gray background",
    "you can see a green triangle of large size at the bottom on a dark background",
    "a huge purple hexagon on the right on a white background"),
    "fashion_mnist_captions": ("here we see a pair of sneakers", "a photo of a dress",
                               "a small picture showing a handbag", "this is a pair of trousers",
                               "here we see an ankle boot")}
COLUMNS_Z = 8


def parse_args(argv=None):
  def extra(p):
    p.add_argument("--runs", default="", help="a folder with trained runs joint/, ...")
    p.add_argument("--data", default="captioned_shapes", choices=tuple(PREFIX),
                   help="the data of the runs (fashion_mnist_captions: runs f_joint/, ...)")
  return _common.parse_args(NAME, __doc__, argv, extra)


def references(protocol: dict, data: str) -> dict:
  """{label: {"<split>_<column>_acc": value}}: the classifier on real images, chance."""
  info = protocol["classifier_info"]
  out = {"real images (classifier accuracy)": {}, "chance (1/K)": {},
         "chance (commonest value)": {}}
  for split in text2image.SPLITS:
    for a in COLUMNS[data]:
      if a == "all":
        continue
      real = (info[f"{split}_accuracy"][a] if data == "captioned_shapes"
              else info["test_accuracy"])  # Fashion-MNIST's test images, either split
      out["real images (classifier accuracy)"][f"{split}_{a}_acc"] = real
      out["chance (1/K)"][f"{split}_{a}_acc"] = protocol[split]["chance_uniform"][a]
      out["chance (commonest value)"][f"{split}_{a}_acc"] = protocol[split]["chance_majority"][a]
  return out


def markdown(rows: dict, steps: dict, data: str = "captioned_shapes") -> str:
  size = 32 if data == "captioned_shapes" else 28
  return "\n".join([f"{data}, {size} px; runs at steps {steps}."] + split_tables(rows, data)) + "\n"


def split_tables(rows: dict, data: str) -> list[str]:
  """Markdown lines: per split (held-out, then seen phrasings) a table of each row's
  per-attribute accuracies and FID (also stackgan_table's)."""
  lines = []
  for split, title in (("test", "held-out phrasings"), ("test_seen", "seen phrasings")):
    head = ["system"] + [f"{a} acc" for a in COLUMNS[data]] + ["FID"]
    lines += ["", f"Split `{split}`: {title}.", "", "| " + " | ".join(head) + " |",
              "| " + " | ".join("---" for _ in head) + " |"]
    for label, s in rows.items():
      keys = [f"{split}_{a}_acc" for a in COLUMNS[data]] + [f"{split}_fid"]
      cells = [f"{s[k]:.3f}" if k in s else "-" for k in keys]
      lines.append("| " + " | ".join([label] + cells) + " |")
  return lines


def sample_grid(workdir: str, captions, seed: int = 0):
  """images [len(captions) * COLUMNS_Z, H, W, C]: G on each caption (a row) x 8 z."""
  config = _common.saved_config(workdir)
  run = train.Run(config)
  state, _, _ = run.restore(workdir)
  conditions = run.method.conditions(len(captions) * COLUMNS_Z, seed, run.held_out(),
                                     captions=list(captions))
  record = sampling.record(run.method, run.generator_variables(state), conditions)
  return run.method.grid(record)[0]


def main(argv=None):
  args = parse_args(argv)
  clock = _common.Clock()
  rows, steps, protocol, grids = {}, {}, None, []
  data, captions = args.data, CAPTIONS[args.data]
  for label, name, run_args in RUNS:
    run_args = ",".join(filter(None, [run_args, "smoke" if args.smoke else "",
                                      "" if data == "captioned_shapes" else f"data={data}"]))
    workdir = _translation.train_or_reuse(f"gan_cls.py:{run_args}", {}, args.runs,
                                          PREFIX[data] + name, args.out)
    if not os.path.exists(os.path.join(workdir, "eval.json")):
      train.evaluate(_common.saved_config(workdir), workdir, progress=False)
    rows[label] = _translation.final_scores(workdir)
    steps[PREFIX[data] + name] = rows[label].pop("step")
    with open(os.path.join(workdir, "eval.json")) as f:
      protocol = json.load(f)["protocol"]["text2image"]
    grids.append(sample_grid(workdir, captions))
  rows.update(references(protocol, data))
  table = markdown(rows, steps, data)
  name = f"{NAME}_{data}"
  _translation.write_table(args.out, name, table)
  png = os.path.join(args.out, f"gan_cls_samples_{data}.png")
  viz.save_image(viz.image_grid(np.concatenate(grids), rows=len(RUNS) * len(captions)), png,
                 scale=2)
  numbers = {"data": data, "rows": rows, "steps": steps, "captions": list(captions),
             "figure": f"{png}: per run ({', '.join(n for _, n, _ in RUNS)}), a row per "
                       f"caption, {COLUMNS_Z} z per row",
             "seconds": clock.seconds(), "protocol": protocol}
  path = _common.write_json(args.out, name, numbers)
  print(f"Wrote {path} ({numbers['seconds']} s).", flush=True)
  return numbers


if __name__ == "__main__":
  main()
