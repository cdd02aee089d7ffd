"""4x super-resolution, the SRGAN paper's comparison (Ledig et al., 2017, Fig. 2 and
Table 2): bicubic | SRResNet (MSE) | SRGAN (feature loss + 1e-3 adversarial) | HR, on
Fashion-MNIST test images (7 -> 28 px).

Both runs are ``experiments/srgan.py`` (SRResNet: ``content=mse,adversarial=0``; SRGAN:
its defaults). Scores on the same 1,000 test images for the three methods: PSNR, SSIM
(`metrics.paired`), and FID and accuracy of the Fashion-MNIST classifier (features of the
outputs vs the HR images; the content loss uses another classifier, seed 1, so SRGAN does
not optimise the scoring network's features). The paper's trade-off: SRGAN loses PSNR /
SSIM against SRResNet but looks more real (its MOS; here FID).

Writes ``sr_figure.png`` (rows of test images, PSNR / SSIM under each output) and
``sr_figure.json``.

  python -m experiments.figures.sr_figure --out DIR [--runs RUNS] [--smoke]

``--runs RUNS`` reads RUNS/srresnet and RUNS/srgan instead of training them.
"""
from __future__ import annotations

import os

import matplotlib.pyplot as plt
import numpy as np

from experiments.figures import _common, _translation
from gan_jax import viz
from gan_jax.methods import srgan
from gan_jax.metrics import evaluator, paired

NAME = "sr_figure"
RUNS = {"SRResNet": ("srresnet", "content=mse,adversarial=0"), "SRGAN": ("srgan", "")}
NUM, SEED, SHOWN = 1000, 10_000, 6


def parse_args(argv=None):
  def extra(p):
    p.add_argument("--runs", default="", help="a folder with trained srresnet/ and srgan/")
    p.add_argument("--classifier", default="", help="eval.classifier ('': the default)")
    p.add_argument("--content_network", default="",
                   help="loss.content_network for SRGAN trained here ('': the default)")
  return _common.parse_args(NAME, __doc__, argv, extra)


def main(argv=None):
  args = parse_args(argv)
  clock = _common.Clock()
  records, scores, protocol = {}, {}, None
  for label, (name, run_args) in RUNS.items():
    spec = "srgan.py:" + ",".join(filter(None, ["smoke" if args.smoke else "", run_args]))
    overrides = {k: v for k, v in (("eval.classifier", args.classifier),
                                   ("loss.content_network", args.content_network)) if v}
    workdir = _translation.train_or_reuse(spec, overrides, args.runs, name, args.out)
    records[label], step = _translation.outputs(workdir, NUM, SEED)
    config = _common.saved_config(workdir)
  first = next(iter(records.values()))
  bicubic = {**first, "x": np.asarray(srgan.upsample_bicubic(first["a"], config.model.scale))}
  records = {"bicubic": bicubic, **records}
  net = evaluator.paired_network(config)
  for label, record in records.items():
    scores[label], protocol = paired.scores(record, net)
  shown = {label: r["x"][:SHOWN] for label, r in records.items()}
  shown["HR"] = first["b"][:SHOWN]
  fig, axes = plt.subplots(SHOWN, len(shown), figsize=(1.6 * len(shown), 1.7 * SHOWN))
  for j, (label, images) in enumerate(shown.items()):
    for i in range(SHOWN):
      ax = axes[i, j]
      ax.imshow((images[i, ..., 0] + 1) / 2, cmap="gray", vmin=0, vmax=1)
      ax.set_xticks([]), ax.set_yticks([])
      if label != "HR":
        p = paired.psnr(images[i:i + 1], first["b"][i:i + 1])[0]
        s = paired.ssim(images[i:i + 1], first["b"][i:i + 1])[0]
        ax.set_xlabel(f"{p:.1f} dB / {s:.2f}", fontsize=7)
      if i == 0:
        ax.set_title(label, fontsize=9)
  fig.suptitle("4x: bicubic | SRResNet | SRGAN | HR (PSNR / SSIM)", fontsize=9)
  fig.tight_layout()
  viz.save_figure(fig, os.path.join(args.out, f"{NAME}.png"))
  result = {"scores": scores, "protocol": protocol, "num_images": int(len(first["x"])),
            "step": step, "seconds": clock.seconds()}
  _common.write_json(args.out, NAME, result)
  for label, s in scores.items():
    print(f"{label:9s} PSNR {s['psnr']:.2f}  SSIM {s['ssim']:.3f}  FID "
          f"{s.get('fid', float('nan')):.2f}  acc {s.get('accuracy', float('nan')):.3f}")
  return result


if __name__ == "__main__":
  main()
