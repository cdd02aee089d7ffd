"""Mosaic removal with pix2pix: pixelated (k x k mean blocks, k in 2, 4, 8) -> clean, on
Fashion-MNIST test images (`data=mosaic`, 32 px), by block size k.

The run is ``experiments/pix2pix.py:data=mosaic`` (U-Net, 70x70 PatchGAN, L1+cGAN).
For each k, the PSNR / SSIM of the mosaic input and of G's output against the clean
image, over 1,000 test images (seed 0), and the Fashion-MNIST classifier's accuracy on
input and output.

Writes ``mosaic_figure.png`` (for each k: rows of mosaic | output | clean) and
``mosaic_figure.json``.

  python -m experiments.figures.mosaic_figure --out DIR [--run WORKDIR] [--smoke]
"""
from __future__ import annotations

import os

import numpy as np

from experiments.figures import _common, _translation
from gan_jax import data, sampling, train, viz
from gan_jax.data import images
from gan_jax.metrics import evaluator, paired

NAME = "mosaic_figure"
NUM, SHOWN = 1000, 4


def parse_args(argv=None):
  def extra(p):
    p.add_argument("--run", default="", help="a trained pix2pix mosaic run")
    p.add_argument("--classifier", default="", help="eval.classifier ('': the default)")
  return _common.parse_args(NAME, __doc__, argv, extra)


def main(argv=None):
  args = parse_args(argv)
  clock = _common.Clock()
  if args.run:
    workdir = args.run
  else:
    spec = "pix2pix.py:" + ("smoke," if args.smoke else "") + "data=mosaic"
    overrides = {"eval.classifier": args.classifier} if args.classifier else {}
    workdir = _translation.train_or_reuse(spec, overrides, "", "mosaic", args.out)
  config = _common.saved_config(workdir)
  run = train.Run(config)
  state, _, step = run.restore(workdir)
  test, _ = data.reference_source(config, run.source)
  n = min(NUM, test.size)
  rows_used = images.choose(test.size, n, 0, test.name)  # the rows examples(n, 0) takes
  record = sampling.record(run.method, run.generator_variables(state), test.examples(n, 0))
  k = np.asarray(test.block_sizes)[rows_used]
  net = evaluator.paired_network(config)
  by_k, panels = {}, []
  for size in sorted(set(k.tolist())):
    rows = np.flatnonzero(k == size)
    part = {key: v[rows] for key, v in record.items()}
    out_scores, _ = paired.scores(part, net)
    in_scores, _ = paired.scores({**part, "x": part["a"]}, net)
    by_k[int(size)] = {"count": int(len(rows)), "output": out_scores, "input": in_scores}
    panels.append(np.stack([part["a"][:SHOWN], part["x"][:SHOWN], part["b"][:SHOWN]], 1))
  cells = np.concatenate(panels)  # [rows, 3, H, W, C]
  pixels = viz.image_grid(cells.reshape(-1, *cells.shape[2:]), rows=len(cells))
  viz.save_image(pixels, os.path.join(args.out, f"{NAME}.png"), scale=3)
  result = {"by_block_size": by_k, "rows_per_k": SHOWN, "num_images": int(n), "step": step,
            "columns": ["mosaic", "output", "clean"], "seconds": clock.seconds()}
  _common.write_json(args.out, NAME, result)
  for size, s in by_k.items():
    print(f"k={size}: PSNR input {s['input']['psnr']:.2f} -> output {s['output']['psnr']:.2f}"
          f", SSIM {s['input']['ssim']:.3f} -> {s['output']['ssim']:.3f}", flush=True)
  return result


if __name__ == "__main__":
  main()
