"""pix2pix's objective and discriminator tables (Isola et al., 2017) on edges2fashion,
and the font-transfer scores on held-out characters.

- Table 1 analog (the objectives): L1 / GAN / cGAN / L1+GAN / L1+cGAN, U-Net, 70x70 D;
- Table 2 analog (D's receptive field, L1+cGAN): 1x1 (PixelGAN) / 16x16 / 70x70 / the
  whole image; on 32-px images a 70x70 patch already covers the image (zero padding does
  the rest), so 'full' is a Dense over the whole image (the paper's 286x286 ImageGAN);
- the generator ablation (U-Net vs the encoder-decoder without skips, L1+cGAN);
- fonts (Kai -> Ming, 64 px): L1+cGAN and L1 on the test characters G never saw.

Each row is a run of ``experiments/pix2pix.py`` (its defaults, the row's args), scored
by its final evaluation (`eval.metrics=('paired',)`: 1,000 test pairs, or all 376 test
characters): per-pixel L1 / L2 / PSNR / SSIM, FID on the domain classifier's features
(outputs vs targets), and the classifier score (the FCN-score analog; Fashion-MNIST
classes, or the Ming character classifier `experiments/classifier.py:data=fonts`), with
the same classifier on the real targets ("ground truth") and, for fonts, on the Kai
inputs. The paper's Cityscapes labels -> photo FCN-scores (per-pixel acc., per-class acc.,
class IoU) are printed beside it for reference: a different task and classifier, so only
the orderings compare.

Writes ``pix2pix_tables.md`` (the tables), ``pix2pix_tables.json`` and
``pix2pix_losses.png`` (rows of test examples: input | one column per objective |
target, the paper's Fig. 4 layout).

  python -m experiments.figures.pix2pix_tables --out DIR [--runs RUNS] [--smoke]

``--runs RUNS`` reads runs trained as ``launch.py --config experiments/pix2pix.py:<args>
--workdir RUNS/<name>`` (names below; a missing one is reported as not run) instead of
training them here.
"""
from __future__ import annotations

import os

import numpy as np

from experiments.figures import _common, _translation
from gan_jax import viz

NAME = "pix2pix_tables"
SPEC = "pix2pix.py"
# (table, row label, run name, experiment args)
ROWS = [
    ("objective", "L1", "e2f_l1", "loss=l1"),
    ("objective", "GAN", "e2f_gan", "loss=gan"),
    ("objective", "cGAN", "e2f_cgan", "loss=cgan"),
    ("objective", "L1+GAN", "e2f_l1gan", "loss=l1+gan"),
    ("objective", "L1+cGAN", "e2f_l1cgan", ""),
    ("patch", "1x1 (PixelGAN)", "e2f_patch1", "patch=1"),
    ("patch", "16x16", "e2f_patch16", "patch=16"),
    ("patch", "70x70", "e2f_l1cgan", ""),
    ("patch", "32x32 = image (ImageGAN)", "e2f_patchfull", "patch=full"),
    ("generator", "encoder-decoder", "e2f_encdec", "g=encdec"),
    ("generator", "U-Net", "e2f_l1cgan", ""),
    ("fonts", "L1, 1,500 steps", "fonts_l1", "data=fonts,loss=l1,steps=1500"),
    ("fonts", "L1+cGAN, 1,500 steps", "fonts_l1cgan", "data=fonts,steps=1500"),
    ("fonts", "L1+cGAN, 3,000 steps (default)", "fonts_l1cgan_3000", "data=fonts"),
    ("fonts", "L1+cGAN, lambda 10, 3,000 steps", "fonts_l1cgan_w10", "data=fonts,l1_weight=10"),
]
SMOKE_RUNS = ("e2f_l1", "e2f_l1cgan")  # what --smoke trains (the rest: not run)
# Isola et al. (2017, arXiv:1611.07004v3), Cityscapes labels -> photo FCN-scores
# (per-pixel acc., per-class acc., class IoU): Table 1 (objectives, U-Net) and Table 3
# (D receptive field, L1+cGAN).
PAPER = {
    ("objective", "L1"): (0.42, 0.15, 0.11), ("objective", "GAN"): (0.22, 0.05, 0.01),
    ("objective", "cGAN"): (0.57, 0.22, 0.16), ("objective", "L1+GAN"): (0.64, 0.20, 0.15),
    ("objective", "L1+cGAN"): (0.66, 0.23, 0.17), ("objective", "ground truth"): (0.80, 0.26, 0.21),
    ("patch", "1x1 (PixelGAN)"): (0.39, 0.15, 0.10), ("patch", "16x16"): (0.65, 0.21, 0.17),
    ("patch", "70x70"): (0.66, 0.23, 0.17), ("patch", "32x32 = image (ImageGAN)"): (0.42, 0.16, 0.11),
}
COLUMNS = ("l1", "l2", "psnr", "ssim", "fid", "accuracy")
FIGURE_ROWS, FIGURE_SEED = 8, 7


def parse_args(argv=None):
  def extra(p):
    p.add_argument("--runs", default="", help="a folder of trained runs named as in ROWS")
    p.add_argument("--classifier", default="",
                   help="eval.classifier for the runs trained here ('': the default)")
  return _common.parse_args(NAME, __doc__, argv, extra)


def spec(args: str, smoke: bool) -> str:
  return SPEC + ":" + ",".join(filter(None, ["smoke" if smoke else "", args]))


def collect(args) -> dict:
  """{run name: {"scores": {...}, "workdir": str} or {"missing": reason}}."""
  runs = {}
  for _, _, name, run_args in ROWS:
    if name in runs:
      continue
    if args.smoke and name not in SMOKE_RUNS:
      runs[name] = {"missing": "not trained in --smoke"}
      continue
    if args.runs and not os.path.exists(os.path.join(args.runs, name, "config.json")):
      runs[name] = {"missing": f"no run {os.path.join(args.runs, name)}"}
      continue
    overrides = {"eval.classifier": args.classifier} if args.classifier else {}
    workdir = _translation.train_or_reuse(spec(run_args, args.smoke), overrides, args.runs,
                                          name, args.out)
    scores = _translation.final_scores(workdir)
    runs[name] = {"workdir": workdir, "scores": scores} if scores else {
        "missing": f"{workdir} logged no evaluation"}
  return runs


def markdown(runs: dict) -> str:
  out = []
  for table in ("objective", "patch", "generator", "fonts"):
    extra = ("input acc. (Kai)",) if table == "fonts" else ()
    paper = table in ("objective", "patch")
    head = ["row", "L1", "L2", "PSNR", "SSIM", "FID", "classifier acc."] + list(extra) + (
        ["paper (px acc., class acc., IoU)"] if paper else [])
    out += [f"### {table}", "", "| " + " | ".join(head) + " |",
            "| " + " | ".join("---" for _ in head) + " |"]
    truth = None
    for t, label, name, _ in ROWS:
      if t != table:
        continue
      run = runs[name]
      if "missing" in run:
        cells = [f"not run ({run['missing']})"] + [""] * (len(head) - 2 - paper)
      else:
        s = run["scores"]
        cells = [f"{s['l1']:.4f}", f"{s['l2']:.4f}", f"{s['psnr']:.2f}", f"{s['ssim']:.3f}",
                 f"{s['fid']:.2f}" if "fid" in s else "-",
                 f"{s['accuracy']:.3f}" if "accuracy" in s else "-"]
        cells += [f"{s['input_accuracy']:.3f}" for _ in extra]
        truth = s.get("real_accuracy", truth)
      if paper:
        cells.append(", ".join(f"{v:.2f}" for v in PAPER[(table, label)]))
      out.append("| " + " | ".join([label] + cells) + " |")
    if truth is not None:
      row = ["ground truth (targets)", "-", "-", "-", "-", "-", f"{truth:.3f}"]
      row += ["-" for _ in extra]
      if paper:
        row.append(", ".join(f"{v:.2f}" for v in PAPER[("objective", "ground truth")]))
      out.append("| " + " | ".join(row) + " |")
    out.append("")
  return "\n".join(out)


def figure(runs: dict, out: str) -> dict:
  """Input | the objectives' outputs | target on FIGURE_ROWS test examples."""
  names = [(label, name) for t, label, name, _ in ROWS
           if t == "objective" and "missing" not in runs[name]]
  if not names:
    return {}
  columns, steps = [], {}
  for label, name in names:
    record, steps[label] = _translation.outputs(runs[name]["workdir"], FIGURE_ROWS, FIGURE_SEED)
    columns.append(record["x"])
  cells = np.stack([record["a"]] + columns + [record["b"]], axis=1)
  pixels = viz.image_grid(cells.reshape(-1, *cells.shape[2:]), rows=len(cells))
  viz.save_image(pixels, os.path.join(out, "pix2pix_losses.png"), scale=3)
  return {"columns": ["input"] + [label for label, _ in names] + ["target"], "steps": steps}


def main(argv=None):
  args = parse_args(argv)
  clock = _common.Clock()
  runs = collect(args)
  _translation.write_table(args.out, NAME, markdown(runs))
  result = {"rows": _translation.rows_json(ROWS, runs),
            "figure": figure(runs, args.out), "paper": {f"{t}/{r}": v for (t, r), v in PAPER.items()},
            "seconds": clock.seconds()}
  _common.write_json(args.out, NAME, result)
  return result


if __name__ == "__main__":
  main()
