"""StackGAN: does stage II (64 px, on the frozen stage I) beat stage I's samples
upsampled to 64 px, in realism (FID) and text adherence?

The comparison is paired: for each caption of a split, one latent (z and both
conditioning augmentations' noise) gives stage I's 32-px image (`x_stage1`, the frozen
stage I inside the stage II run: the stage I run's weights) and stage II's 64-px image
of it; stage I's is upsampled bilinearly to 64 px. Both are scored by the same
`text2image` scorer (gan_jax/metrics/text2image.py) against the same real 64-px images
of the split: FID on the scorer's features, and adherence (captioned Fashion-MNIST:
the domain classifier's accuracy w.r.t. the caption's class; captioned shapes: the
attribute classifier's per-attribute and all-correct accuracy), on held-out phrasings
(split test) and seen ones (test_seen).

  python -m experiments.figures.stackgan_table --out DIR [--runs RUNS] [--data DATA] [--smoke]

``--runs RUNS`` reads RUNS/stage1 and RUNS/stage2, trained as

  launch.py --config experiments/stackgan.py:stage=1,data=DATA --workdir RUNS/stage1
  launch.py --config experiments/stackgan.py:stage=2,data=DATA,stage1=RUNS/stage1 --workdir RUNS/stage2

(without it both are trained here, into OUT/runs). It also draws
DIR/stackgan_samples_<data>.png: for each caption (seen and held-out phrasings) a row of
stage I (upsampled) and below it a row of stage II, at the same COLUMNS_Z latents.
"""
from __future__ import annotations

import os

import jax
import numpy as np

from experiments.figures import _common, _translation, gan_cls_table
from gan_jax import data as data_lib, sampling, train, viz
from gan_jax.metrics import text2image

NAME = "stackgan_table"
COLUMNS = gan_cls_table.COLUMNS
CAPTIONS = {"captioned_shapes": (
    "a large red circle in the centre on a dark background",
    "there is a small yellow star on the left on a light background",
    "a big blue square at the top on a gray background",
    "a huge purple hexagon on the right on a white background"),
    "fashion_mnist_captions": ("here we see a pair of sneakers", "a photo of a dress",
                               "a small picture showing a handbag", "this is a pair of trousers",
                               "here we see an ankle boot", "a picture of a pullover")}
COLUMNS_Z = 8
SYSTEMS = ("stage II (64 px)", "stage I, bilinear 32 -> 64 px")


def parse_args(argv=None):
  def extra(p):
    p.add_argument("--runs", default="", help="a folder with trained runs stage1/, stage2/")
    p.add_argument("--data", default="fashion_mnist_captions", choices=tuple(COLUMNS))
    p.add_argument("--num_samples", type=int, default=0,
                   help="captions scored per split (0: the stage II run's eval.num_samples)")
  return _common.parse_args(NAME, __doc__, argv, extra)


def upsample(x, size: int):
  """Bilinear upsampling of images [N, h, w, C] to [N, size, size, C]."""
  x = np.asarray(x)
  return np.asarray(jax.image.resize(x, (x.shape[0], size, size, x.shape[-1]), "bilinear"))


def paired_scores(workdir: str, num_samples: int = 0, seed: int = 0):
  """({system: scores}, protocol, step) of the stage II run in `workdir`."""
  config = _common.saved_config(workdir)
  run = train.Run(config)
  state, _, step = run.restore(workdir)
  g_vars = run.generator_variables(state)
  scorer = text2image.Scorer(config, progress=False)
  n = num_samples or int(config.eval.num_samples)
  size = run.source.shape[0]
  rows, protocol = {s: {} for s in SYSTEMS}, {
      "stage1_workdir": config.stackgan.stage1_workdir,
      "stage1_step": run.method.stage1_step, "stage2_step": step, "seed": seed,
      "feature_network": scorer.name, "weights_sha256": scorer.sha256,
      "pairing": "the same caption and latent for both systems; stage I's image is the "
                 "frozen stage I inside the stage II run", "upsampling": "bilinear"}
  for split in text2image.SPLITS:
    source = data_lib.get_source(config, split)
    count = min(n, source.size)
    record = sampling.record(run.method, g_vars, run.method.conditions(count, seed, source))
    real = source.arrays(count, seed=seed)[0]
    up = {**record, "x": upsample(record["x_stage1"], size)}
    for system, rec in zip(SYSTEMS, (record, up)):
      scores, protocol[f"{split}"] = text2image.split_scores(rec, real, scorer, split)
      rows[system].update(scores)
  return rows, protocol, step


def markdown(rows: dict, steps: dict, data: str) -> str:
  title = f"{data}; stage I at step {steps['stage1']}, stage II at step {steps['stage2']}."
  return "\n".join([title] + gan_cls_table.split_tables(rows, data)) + "\n"


def sample_rows(workdir: str, captions, seed: int = 0):
  """images [2 * len(captions) * COLUMNS_Z, 64, 64, C]: per caption, stage I upsampled
  (a row of COLUMNS_Z latents) and stage II at the same latents (the next row)."""
  config = _common.saved_config(workdir)
  run = train.Run(config)
  state, _, _ = run.restore(workdir)
  conditions = run.method.conditions(len(captions) * COLUMNS_Z, seed, run.held_out(),
                                     captions=list(captions))
  record = sampling.record(run.method, run.generator_variables(state), conditions)
  size = record["x"].shape[1]
  out = []
  for text in captions:
    rows = np.asarray(record["caption"]) == text
    out += [upsample(record["x_stage1"][rows], size), record["x"][rows]]
  return np.concatenate(out)


def main(argv=None):
  args = parse_args(argv)
  clock = _common.Clock()
  data, smoke = args.data, ",smoke" if args.smoke else ""
  stage1 = _translation.train_or_reuse(f"stackgan.py:stage=1,data={data}{smoke}", {},
                                       args.runs, "stage1", args.out)
  stage2 = _translation.train_or_reuse(
      f"stackgan.py:stage=2,data={data},stage1={stage1}{smoke}", {}, args.runs, "stage2",
      args.out)
  rows, protocol, step = paired_scores(stage2, args.num_samples)
  steps = {"stage1": protocol["stage1_step"], "stage2": step}
  table = markdown(rows, steps, data)
  name = f"{NAME}_{data}"
  _translation.write_table(args.out, name, table)
  captions = CAPTIONS[data]
  png = os.path.join(args.out, f"stackgan_samples_{data}.png")
  viz.save_image(viz.image_grid(sample_rows(stage2, captions), rows=2 * len(captions)), png)
  numbers = {"data": data, "rows": rows, "steps": steps, "captions": list(captions),
             "figure": f"{png}: per caption a row of stage I (bilinear to 64 px) and a row "
                       f"of stage II, {COLUMNS_Z} latents per row, the same in both rows",
             "seconds": clock.seconds(), "protocol": protocol}
  path = _common.write_json(args.out, name, numbers)
  print(f"Wrote {path} ({numbers['seconds']} s).", flush=True)
  return numbers


if __name__ == "__main__":
  main()
