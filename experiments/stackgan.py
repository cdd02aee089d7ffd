"""StackGAN text-to-image (Zhang et al., 2017): stage I (32 px) and stage II (64 px, on
stage I frozen) on captioned Fashion-MNIST or captioned shapes
(gan_jax/methods/stackgan.py, networks/stackgan.py).

  python launch.py --config experiments/stackgan.py:stage=1 --workdir runs/stackgan/stage1
  python launch.py --config experiments/stackgan.py:stage=2,stage1=runs/stackgan/stage1 --workdir runs/stackgan/stage2
  python launch.py --config experiments/stackgan.py:stage=2,stage1=runs/stackgan/stage1 --workdir runs/stackgan/stage2 --mode sample --captions FILE
  python launch.py --config experiments/stackgan.py:stage=2,stage1=runs/stackgan/stage1 --workdir runs/stackgan/stage2 --mode eval
  python experiments/figures/stackgan_table.py --runs runs/stackgan --out docs/figures

(the table's --runs names the folder holding stage1/ and stage2/.)

Args: ``stage=1|2``, ``stage1=DIR`` (stage II: the stage I run's workdir; stored as
`stackgan.stage1_workdir`), ``data=fashion_mnist_captions|captioned_shapes``,
``steps=``, ``smoke``. Each stage is its own run and workdir, resumed exactly from its
checkpoints; stage II's checkpoints carry the frozen stage I (methods/stackgan.py).

Why two runs rather than one run switching stage by step (as progan grows): the stages
train at different data resolutions (data.image_size 32, then 64) and are scored at
them, a stage I run can serve several stage II runs, and freezing needs no optimizer
masking (stage I is not in stage II's params at all).

| setting | paper (Sec. 3-4, CUB / Oxford-102 / COCO) | here (2 CPU cores) |
| --- | --- | --- |
| resolution | 64 (I) -> 256 (II) | 32 (I) -> 64 (II) |
| text embedding | pretrained char-CNN-RNN (Reed et al., 2016), 1024 d | word encoder (bow) trained with each G and D, 64 d |
| Nc (conditioning augmentation) | 128 | 64 (model.text_cond) |
| KL weight lambda | 1 on the summed KL (the authors' code: 2.0 on the mean over Nc) | 1, mean over Nc (stackgan.kl_weight) |
| z | 100 | 100 |
| stage I G | FC, up-sampling conv blocks | FC + DCGAN transposed convs (networks/dcgan.py), width 32 |
| stage II G | down to 16x16, 4 residual blocks, up-sampling | down to 8x8, 2 residual blocks (stackgan.residual_blocks), nearest up + 3x3 conv, width 16 |
| D | down-sampling, text Md x Md replicated, 1x1 conv, FC | GAN-CLS's text-conditional DCGAN D, width 32 (I) / 16 (II) |
| mismatched-text negatives | yes | yes (gan_cls's, loss.mismatch) |
| optimizer | Adam 2e-4, beta1 0.5, halved every 100 epochs | Adam 2e-4, beta1 0.5, constant |
| batch | 64 | 64 |
| training | 600 epochs per stage | STEPS: 2,000 (I), 1,500 (II) steps (times below) |

Measured (docs/figures.md#stackgan_table), captioned Fashion-MNIST, beside other jobs
(load 8-11), times with the final eval: stage I 2,000 steps in 11 min (3-3.6 steps/s);
stage II 1,500 steps in 32 min (0.74-1.1 steps/s); idle times were not measured, so
whether stage II fits 20 minutes on an idle machine is open (it did not at load 10).
Result: stage II did not beat stage I upsampled there (FID 63.3 vs 52.5 on held-out
phrasings, class accuracy 0.601 vs 0.617); captioned Fashion-MNIST has no detail above
28 px, and captioned shapes (rendered at 64 px) did not train with these networks yet.

Scores: `--mode eval` (eval group `text2image`) at each stage's resolution; the paired
comparison of stage II with stage I upsampled (same captions, z and scorer) is
experiments/figures/stackgan_table.py.
"""
import ml_collections

from gan_jax import config as config_lib
from gan_jax.methods import gan_cls

STEPS = {1: 2000, 2: 1500}
DATA = ("captioned_shapes", "fashion_mnist_captions")
SIZES = {1: 32, 2: 64}
WIDTH = {1: 32, 2: 16}  # stage II at width 32: under 0.4 steps/s at load 8-10 (too slow)


def get_config(arg=None):
  arg = config_lib.parse_arg(arg, stage=1, stage1="", data="fashion_mnist_captions", steps=0,
                             smoke=False)
  if arg.data not in DATA:
    raise ValueError(f"data={arg.data!r}: use one of {', '.join(DATA)}.")
  if arg.stage not in SIZES:
    raise ValueError(f"stage={arg.stage}: use 1 (32 px) or 2 (64 px, with stage1=DIR).")
  c = config_lib.base()
  c.method = "stackgan"
  c.data.name = arg.data
  c.data.image_size = SIZES[arg.stage]
  c.data.channels = 0
  c.data.batch_size = 64
  c.model.name, c.model.width, c.model.z_dim = "stackgan", WIDTH[arg.stage], 100
  c.model.vocab_size = len(gan_cls.vocabulary(arg.data))
  c.model.text_encoder = "bow"
  c.model.text_embed = 64
  c.model.text_cond = 64
  c.model.d_design = "joint"
  c.loss.name = "nonsaturating"
  c.loss.mismatch = True
  c.stackgan = ml_collections.ConfigDict()
  c.stackgan.stage = arg.stage
  c.stackgan.stage1_workdir = arg.stage1
  c.stackgan.kl_weight = 1.0
  c.stackgan.residual_blocks = 2
  c.train.steps = arg.steps or STEPS[arg.stage]
  for net in ("g", "d"):
    c.optim[net] = config_lib.optimizer("adam", lr=2e-4, b1=0.5, b2=0.999)
  c.log.every, c.sample.every, c.ckpt.every = 100, 500, 500
  c.eval.every = 0
  c.eval.metrics = ("text2image",)
  c.eval.num_samples = 3000
  c.sample.num = 64
  if arg.smoke:
    config_lib.smoke(c)
    c.eval.num_samples = 64
    c.data.limit = 256
    if not arg.steps:
      c.train.steps = 20
  c.lock()
  return c
