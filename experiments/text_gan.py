"""Text GANs through non-differentiable sampling (gan_jax/methods/text_gan.py): an LSTM
language model trained by MLE, by a GAN with Gumbel-softmax relaxed samples, or by
SeqGAN's REINFORCE with D as the reward, on SeqGAN's synthetic oracle or on fortunes.

  python launch.py --config experiments/text_gan.py:method=mle --workdir runs/text_mle
  python launch.py --config experiments/text_gan.py:method=gumbel --workdir runs/text_gumbel
  python launch.py --config experiments/text_gan.py:method=seqgan --workdir runs/text_seqgan
  python launch.py --config experiments/text_gan.py:method=seqgan --workdir runs/text_seqgan --mode sample
  python launch.py --config experiments/text_gan.py:method=seqgan --workdir runs/text_seqgan --mode eval

Args: ``method=mle|gumbel|seqgan``, ``data=oracle|fortunes``, ``steps=`` (0: the
default), ``pretrain=`` (MLE steps before the adversarial phase; -1: the default, 3/4 of the steps),
``rollouts=`` (SeqGAN's Monte Carlo completions per prefix), ``adv_lr=`` (G's Adam rate in
the adversarial phase; 0.01: SeqGAN's rate throughout), ``smoke``.

One run = SeqGAN's protocol through the one step: `train.pretrain_steps` steps of MLE
(D trains on G's samples all along: its pretraining), then the adversarial phase; the
``mle`` run trains the same number of steps on the NLL alone, so every GAN starts from
the MLE model of the same run length and the table compares like with like.

SeqGAN (Yu et al., 2017, Sec. 4 and its code) against ours, on the oracle:

  | | SeqGAN | here |
  | --- | --- | --- |
  | oracle | LSTM, vocabulary 5,000, 32-d embedding / hidden, N(0, 1) weights, 10,000 sequences of 20 | the same with vocabulary 1,000 (gan_jax/data/oracle.py) |
  | G | LSTM, embedding 32, hidden 32 | the same |
  | D | CNN, windows 1-10, 15, 20, 100-200 filters each, highway, dropout 0.75 | CNN, windows 2-5, 32 filters each, highway, no dropout |
  | G pretraining | 80 epochs MLE (12,500 steps of 64), Adam 0.01 | 1,500 steps of 64 (9.6 epochs), Adam 0.01 |
  | D pretraining | 50 x 3 epochs on fresh G samples after G's pretraining | D trains once per step on G's samples during G's pretraining |
  | adversarial | 200 epochs: 1 G step (Adam 0.01), then 5 x 3 D epochs | 500 steps of 1 D update + 1 G update (G: Adam 1e-3), batch 64 |
  | rollouts | 16 per prefix, by a delayed copy of G (rate 0.8) | 4 per prefix, by G itself |
  | loss pair, baseline | D: cross-entropy; G: REINFORCE, reward D(real) probability, no baseline | the same |
  | Gumbel GAN | (not in SeqGAN) | tau 1 -> 0.1 geometric over the adversarial steps, straight-through one-hots into D, non-saturating loss |
  | scores | NLL-oracle on 10,000 samples; BLEU on real text | oracle NLL on 2,000 samples, NLL_test, BLEU / self-BLEU (Texygen convention), novelty |

G's learning rate: SeqGAN's Adam 0.01 for the MLE pretraining, then ``adv_lr`` (default
1e-3) from the first adversarial update on (`optim.g.schedule=drop_after`; the MLE run
drops too, so it stays the GANs' control). At SeqGAN's 0.01 throughout (``adv_lr=0.01``)
both GANs end worse than the MLE model they start from (docs/text_gan.md).

Fortunes (`data=fortunes`): characters (99 ids), sequences of 64, G hidden 128, D's
embedding over the 99 characters; BLEU on words of the decoded text.
"""
from gan_jax import config as config_lib

METHODS = ("mle", "gumbel", "seqgan")
DATA = {"oracle": 1000, "fortunes": 99}  # data -> vocabulary size


def get_config(arg=None):
  arg = config_lib.parse_arg(arg, method="mle", data="oracle", steps=0, pretrain=-1,
                             rollouts=4, batch=64, adv_lr=1e-3, smoke=False)
  if arg.method not in METHODS:
    raise ValueError(f"method={arg.method!r}: use one of {', '.join(METHODS)}.")
  if not arg.adv_lr > 0:
    raise ValueError(f"adv_lr={arg.adv_lr}: G's learning rate in the adversarial phase must "
                     "be > 0 (SeqGAN's: 0.01; the default 1e-3).")
  if arg.data not in DATA:
    raise ValueError(f"data={arg.data!r}: use one of {', '.join(DATA)}.")
  c = config_lib.base()
  c.method = "text_gan"
  c.data.name = arg.data
  c.data.batch_size = arg.batch

  c.model.name = "text"
  c.model.vocab_size = DATA[arg.data]
  c.model.embed = 32
  c.model.width = 32 if arg.data == "oracle" else 128   # G's LSTM hidden size
  c.model.mask_pad = arg.data == "oracle"               # the oracle never emits id 0
  c.model.d_embed = 64
  c.model.d_filters = 32
  c.model.d_windows = (2, 3, 4, 5)

  c.loss.name = "nonsaturating"
  c.loss.estimator = arg.method
  c.loss.temperature_start = 1.0
  c.loss.temperature_end = 0.1
  # Straight-through: with soft one-hots D tells G's samples from real one-hots by their
  # softness alone (the soft run's d_loss: 0.001 by step 300, before any adversarial step;
  # docs/text_gan.md), so gumbel's D sees hard one-hots and G gets the soft gradient.
  c.loss.straight_through = arg.method == "gumbel"
  c.loss.rollouts = arg.rollouts
  c.loss.mle_weight = 0.0

  c.train.steps = arg.steps or 2000
  # default: the first 3/4 of the steps (1,500 of 2,000) are MLE pretraining
  c.train.pretrain_steps = 3 * c.train.steps // 4 if arg.pretrain < 0 else arg.pretrain
  if arg.smoke:
    c.train.steps = arg.steps or 6
    c.train.pretrain_steps = 3 if arg.pretrain < 0 else arg.pretrain
  # G: SeqGAN's Adam 0.01 while pretraining, then `adv_lr` (from update pretrain_steps on).
  c.optim.g = config_lib.optimizer("adam", lr=1e-2, b1=0.9, b2=0.999, schedule="drop_after",
                                   decay_start=c.train.pretrain_steps / c.train.steps,
                                   drop_factor=arg.adv_lr / 1e-2)
  c.optim.d = config_lib.optimizer("adam", lr=1e-3, b1=0.9, b2=0.999)
  c.log.every, c.ckpt.every = 50, 500
  c.sample.every = c.eval.every = c.train.steps
  c.sample.num = 8
  c.eval.metrics = ("text",)
  c.eval.num_samples = 2000
  if arg.smoke:
    c.data.batch_size = min(arg.batch, 8)
    c.data.limit = 200
    c.loss.rollouts = min(arg.rollouts, 2)
    c.model.width = 16
    c.model.d_filters = 8
    c.log.every = c.ckpt.every = 3
    c.sample.every = c.eval.every = c.train.steps
    c.eval.num_samples = 50
  c.lock()
  return c


def get_sweep(arg=None):
  """Three estimators from the same MLE pretraining: they differ in code paths, not in
  step arrays, so they run as separate members (``--sweep``)."""
  del arg
  return [{"loss.estimator": m, "loss.straight_through": m == "gumbel"} for m in METHODS]
