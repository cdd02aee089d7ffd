"""SEGAN (Pascual et al., 2017): speech enhancement of real recorded speech (the Asterisk
prompts, 8 kHz) mixed with white / pink / brown / babble noise (gan_jax/methods/segan.py,
gan_jax/data/speech_source.py).

  python launch.py --config experiments/segan.py --workdir runs/segan
  python launch.py --config experiments/segan.py:loss=l1 --workdir runs/segan_l1

Args:
- ``loss=gan+l1|l1``: the paper's objective (least-squares GAN + 100 L1), or G trained on
  the L1 loss alone (the L1-only baseline: gan_weight 0);
- ``width=`` G's and D's base width (the paper's 16; see below), ``steps=`` (0: the
  default), ``batch=``, ``residual`` (G outputs its input plus a correction, x + tanh(h):
  not in the paper, off by default; see "Measured" below), ``path_a=`` / ``path_b=`` (a
  folder of clean WAVs and an optional folder of noise WAVs instead of the built-in
  corpora), ``smoke``.

As in the paper: 11 encoder layers of 1-D convolutions, kernel 31, stride 2, PReLU, skip
connections, z at the 8-sample bottleneck, windows of 16,384 samples (2.05 s at 8 kHz; 1 s
at the paper's 16 kHz), pre-emphasis 0.95, least-squares losses, lambda = 100, 50%
overlap-add at inference. Differences, for 2 CPU cores:

  | | paper | here |
  | --- | --- | --- |
  | G / D encoder channels | 16, 32, 32, 64, 64, 128, 128, 256, 256, 512, 1024 | width 2: 2, 4, 4, 8, 8, 16, 16, 32, 32, 64, 128 |
  | z at the bottleneck | 8 x 1024 | 8 x 128 |
  | parameters G / D (as built here) | 73.1 M / 24.4 M | 1.14 M / 0.38 M |
  | optimizer | RMSprop, lr 2e-4 | Adam, lr 1e-3, betas (0.5, 0.999) |
  | batch, training | 400, 86 epochs of 11,572 utterances | 16, 1,200 steps (14 epochs of the 1,330 training windows) |
  | D normalisation | virtual batch norm | BatchNorm (batch statistics) |
  | data | VoiceBank-DEMAND, 16 kHz, 28 speakers | Asterisk prompts, 8 kHz, one speaker |

Adam rather than RMSprop, and 1e-3 rather than 2e-4: at 1/8 of the width and 1,200
steps of batch 16, G at 2e-4 stays at its initial near-zero output for the first tens of
steps (L1 of the pre-emphasised windows 0.0240 after 40 steps, the zero output's 0.0241),
while 1e-3 takes it to 0.018 in 50 steps; Adam's per-weight scaling makes the rate one
number for both networks. Both are config values (`optim.g.name=rmsprop`,
`optim.g.lr=2e-4`: the paper's).
Measured (docs/figures.md, segan_table): the default (1,200 steps; 13.9 min with other
jobs on the machine; the step runs at 2.0 steps/s on 2 idle cores, docs/benchmarks.md)
raises PESQ over the noisy input at every test SNR but not STOI (0.908 -> 0.893) nor SSNR
from 7.5 dB up. At 300 steps (load average 7-11 on the 2 cores): L1-only 2.34 / 3.84 /
0.885 (PESQ / SSNR / STOI; noisy 2.17 / 4.14 / 0.908); without pre-emphasis 2.36 / 5.45 /
0.828; ``residual`` 2.26 / 4.35 / 0.896; SEGAN ``residual`` 2.28 / 4.11 / 0.871; SEGAN ``residual`` without pre-emphasis 2.17 /
7.67 / 0.908, at 900 steps 2.18 / 6.66 / 0.891 (STOI below the input at every SNR). A fixed 100 Hz high-pass of the noisy input alone reaches SSNR 8.69 (brown
noise lives below 100 Hz; tools/segan_highpass.py), so SSNR gains here are cheap; PESQ and
STOI are the tests.
Scores (`eval.metrics=('speech',)`, every held-out segment at the four test SNRs):
PESQ, STOI, segmental SNR, CSIG / CBAK / COVL, and the same of the noisy input
(gan_jax/metrics/speech.py).
"""
from gan_jax import config as config_lib

LOSSES = {"gan+l1": 1.0, "l1": 0.0}  # loss -> gan_weight (lambda = 100 in both)


def get_config(arg=None):
  arg = config_lib.parse_arg(arg, loss="gan+l1", width=2, steps=0, batch=16, residual=False,
                             path_a="", path_b="", smoke=False)
  if arg.loss not in LOSSES:
    raise ValueError(f"loss={arg.loss!r}: use one of {', '.join(LOSSES)}.")
  c = config_lib.base()
  c.method = "segan"
  c.data.name = "noisy_speech"
  c.data.path_a, c.data.path_b = arg.path_a, arg.path_b
  c.data.batch_size = arg.batch
  c.data.sample_rate = 8000
  c.data.window = 16384

  c.model.name = "segan"
  c.model.width = arg.width
  c.model.depth = 11
  c.model.kernel_size = 31
  c.model.skips = True
  c.model.residual = arg.residual
  c.model.d_norm = "batch"
  c.model.pre_emphasis = 0.95

  c.loss.name = "least_squares"
  c.loss.gan_weight = LOSSES[arg.loss]
  c.loss.content_weight = 100.0   # lambda, the L1 weight (Eq. 5)

  for net in ("g", "d"):
    c.optim[net] = config_lib.optimizer("adam", lr=1e-3, b1=0.5, b2=0.999)
  c.train.steps = arg.steps or 1200
  c.log.every, c.sample.every, c.ckpt.every = 50, 400, 400
  c.eval.every = c.train.steps
  c.eval.metrics = ("speech",)
  c.eval.num_samples = 100_000    # every held-out segment (432 of the Asterisk test split)
  c.sample.num = 4                # segments in the training spectrograms
  if arg.smoke:
    c.train.steps = 10
    c.log.every = c.sample.every = c.ckpt.every = 5
    c.eval.every = 10  # scored once, at the end: scoring the 32 signals is most of a smoke run
    c.data.batch_size = min(arg.batch, 4)
    c.data.window = 2048  # 0.26 s: 2 segments per test utterance on average
    c.data.limit = 8
    c.model.width, c.model.depth, c.model.kernel_size = 2, 3, 15
    c.eval.num_samples = 10_000  # all 688 segments: whole utterances, as the default
  c.lock()
  return c


def get_sweep(arg=None):
  """SEGAN and its L1-only baseline as one sweep (``--sweep``): the adversarial weight
  is a step array, so both train in one vmapped step."""
  del arg
  return [{"loss.gan_weight": w} for w in LOSSES.values()]
