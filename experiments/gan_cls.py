"""GAN-CLS / GAN-INT text-to-image (Reed et al., 2016) on captioned shapes or captioned
Fashion-MNIST (gan_jax/methods/gan_cls.py, networks/text_conditional.py).

  python launch.py --config experiments/gan_cls.py --workdir DIR
  python launch.py --config experiments/gan_cls.py --workdir DIR --mode sample --num_samples 3000
  python launch.py --config experiments/gan_cls.py --workdir DIR --mode sample --captions FILE
  python launch.py --config experiments/gan_cls.py --workdir DIR --mode eval

Args: ``data=fashion_mnist_captions|captioned_shapes`` (default: captioned Fashion-MNIST,
the one these networks train on; see the known limit below), ``d_design=joint|separate``
(D's head: one on (image, text), or a realism head + a match head summed),
``mismatch=true|false`` (D's mismatched-text term, GAN-CLS; false: the plain
conditional GAN), ``interp=true|false`` (GAN-INT), ``encoder=bow|gru`` (the text
encoder of G and D), ``r1=`` (gamma of an R1 penalty on real pairs, 0: none; needs
--config.model.d_norm=layer or none), ``steps=``, ``smoke``.

The paper's settings: Adam 2e-4, beta1 0.5, batch 64, non-saturating loss, GAN-INT's
beta = 0.5, the matching-aware D with its two fake terms weighted 0.5. Deviations,
for 2 CPU cores: 32 px captioned shapes (28 px Fashion-MNIST) instead of 64 px birds
and flowers, width 32, a word-level encoder trained with each network instead of the
pretrained char-CNN-RNN (it reads only the words of training captions: a held-out
phrasing's other words have no trained embedding), STEPS steps (captioned
Fashion-MNIST: 1,000 steps in 297-305 s and 1,500 more in 366-434 s, two runs at once
beside other jobs at load 8-10; GAN-INT without the mismatched term, alone, 2,500 steps
+ its end-of-run scores in about 10.5 min at load 8-12).

What the mismatched term does here (docs/figures.md, gan_cls_table; one seed, 2,500
steps): with GAN-INT it raises class accuracy (GAN-INT-CLS 0.677 held-out / 0.673 seen
against GAN-INT's 0.617 / 0.587, FID about equal), as in Reed et al.; without GAN-INT
it lowers it (0.348 / 0.419 against the plain conditional GAN's 0.518 / 0.509) and FID
is far worse: D's match game (its mean logit on mismatched real pairs about -4, below
the fakes' -2) takes over.

Known limit: on captioned_shapes (32 px RGB) G's transposed convolutions collapsed to
one picture for every z and caption within 300-800 steps, whatever D did (BatchNorm,
layer norm, R1, minibatch stddev); with nearest x2 + 3x3 convolutions in G
(`model.g_upsample=nearest`, the default for captioned_shapes) the plain conditional
GAN (`mismatch=false`) draws all three backgrounds and coloured blobs by step 300, but
GAN-CLS (the mismatched term) still collapsed by step 500, D winning (d_fake -5.9,
d_wrong -5.0). docs/figures.md, gan_cls_table, has the measurements; captioned
Fashion-MNIST trains with every variant, so it stays the default. Captioned-shapes
checkpoints made before nearest became their default (2026-12-08) hold transposed
convolutions: load them with `--config.model.g_upsample=transpose`.

Scores (`--mode eval`, eval group `text2image`, gan_jax/metrics/text2image.py): an
attribute classifier's per-attribute and all-correct accuracy against the captions'
attributes and FID on its features (captioned_shapes), or the Fashion-MNIST
classifier's accuracy against the caption's class and FID on its features, on the
held-out phrasings (split test) and the seen ones (test_seen) separately.
"""
from gan_jax import config as config_lib
from gan_jax.methods import gan_cls

STEPS = 2500
DATA = ("captioned_shapes", "fashion_mnist_captions")


def get_config(arg=None):
  arg = config_lib.parse_arg(arg, data="fashion_mnist_captions", d_design="joint",
                             mismatch=True, interp=False, encoder="bow", steps=STEPS, r1=0.0,
                             smoke=False)
  if arg.data not in DATA:
    raise ValueError(f"data={arg.data!r}: use one of {', '.join(DATA)}.")
  c = config_lib.base()
  c.method = "gan_cls"
  c.data.name = arg.data
  c.data.image_size = 32 if arg.data == "captioned_shapes" else 28
  c.data.batch_size = 64
  c.model.name, c.model.width, c.model.z_dim = "text_conditional", 32, 100
  c.model.vocab_size = len(gan_cls.vocabulary(arg.data))
  c.model.text_encoder = arg.encoder
  c.model.text_embed = 64
  c.model.text_cond = 64
  c.model.d_design = arg.d_design
  # Captioned shapes' flat backgrounds: nearest x2 + conv (transposed convolutions
  # collapsed there: docs/figures.md, gan_cls_table).
  c.model.g_upsample = "nearest" if arg.data == "captioned_shapes" else "transpose"
  c.loss.name = "nonsaturating"
  c.loss.mismatch = arg.mismatch
  c.loss.interp = arg.interp
  c.train.steps = arg.steps
  if arg.r1:  # R1 on real (image, caption) pairs (Mescheder et al., 2018); gamma = r1
    c.regularizers.r1 = config_lib.regularizer(weight=float(arg.r1))
  for net in ("g", "d"):
    c.optim[net] = config_lib.optimizer("adam", lr=2e-4, b1=0.5, b2=0.999)
  c.log.every, c.sample.every, c.ckpt.every = 100, 500, 500
  c.eval.every = 0  # scores at the end (--mode eval scores any checkpoint again)
  c.eval.metrics = ("text2image",)
  c.eval.num_samples = 3000  # every test caption of captioned_shapes once
  c.sample.num = 64
  if arg.smoke:
    config_lib.smoke(c)
    c.eval.num_samples = 64
    c.data.limit = 256
  c.lock()
  return c
