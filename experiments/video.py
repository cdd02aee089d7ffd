"""Video frame prediction on moving Fashion-MNIST (Mathieu et al., 2016, "Deep multi-scale
video prediction beyond mean square error"): the MSE predictor blurs, a GAN predictor
stays sharp; at a fork the MSE predictor draws both branches as ghosts, the GAN picks one
(gan_jax/methods/video.py, gan_jax/data/moving.py, gan_jax/metrics/video.py).

  python launch.py --config experiments/video.py:loss=mse --workdir runs/video_mse
  python launch.py --config experiments/video.py:loss=gan --workdir runs/video_gan
  python launch.py --config experiments/video.py:loss=gan --workdir runs/video_gan --mode eval

Args:
- ``loss=mse|gan``: G trained on MSE over every future frame (gan_weight 0: the blur
  baseline), or the GAN (non-saturating loss + MSE on the first future frame only; see
  below); the same G either way;
- ``motion=fork|bounce``: the item turns left or right at the first future frame (the
  lecture notes' game character at a fork), or bounces off the walls (Moving MNIST);
- ``later=`` the content weight on the future frames after the first (default: 1 for
  mse, 0 for gan; see below), ``diversity=`` the mode-seeking weight lambda_ms (Mao et
  al., 2019; default 0: off), ``steps=`` (0: the default), ``batch=``, ``width=``,
  ``smoke``.

Both runs: 32 x 32 frames, 4 past -> 4 future, batch 32, Adam 2e-4 (0.5, 0.999), 3,000
steps (about 7 minutes alone on 2 CPU cores, 7.5 steps/s; 24 minutes each with both
runs and another job sharing the cores). Scores (``eval.metrics=('video',)``, 1,000
test-split sequences, one z each): per-frame PSNR / SSIM, sharpness and the fork test.

  | | Mathieu et al. (2016) | here |
  | --- | --- | --- |
  | data | UCF101 / Sports1m patches 32 x 32, 4 frames -> 1 (test: 8 -> 1, recursively more) | moving Fashion-MNIST 32 x 32, 4 -> 4 at once; a fork or bounces |
  | G | multi-scale (4 scales) conv nets, 2-D, frames on channels, no z | one-scale conv U-Net, frames on channels, z at the bottleneck |
  | D | multi-scale conv nets on (past, future), frames on channels | one-scale conv net on (past, future), frames on channels |
  | loss | lambda_adv 0.05, lambda_l2 (or l1) 1, lambda_gdl 1, every frame | GAN: 1 x non-saturating + 10 x MSE of the first future frame; MSE: 10 x MSE of every frame, no adversarial term |
  | optimizer, training | SGD lr 0.04 (G) 0.02 (D), batch 8, ~500k steps | Adam 2e-4 both, batch 32, 3,000 steps |
  | scores | PSNR, SSIM, sharpness difference on moving areas | PSNR, SSIM, gradient energy ratio, the fork test |

The content term on the first future frame only (`loss.later_content_weight=0`): the two
branches of the fork agree on that frame and disagree after it; MSE on the later frames
is minimised by the average of both branches (the ghosts), so any weight on them pulls
the GAN back to the ghosts; the first frame's term ties the item's appearance and the
start of the turn, and D judges the rest. `loss=gan,later=1` puts it on every frame
(Mathieu et al.'s choice; their data have no fork).

The GAN picks a branch but ignores z (nearly always right; docs/figures.md#video_fork):
``diversity=0.1`` adds the mode-seeking term (Mao et al., 2019) and z then picks the branch
(44.5% left, 42.1% right of 1,000 test sequences). It is off by default: it adds two
passes of G to every step, and the default GAN is the plain objective the issue asks for.
"""
from gan_jax import config as config_lib

LOSSES = {"mse": (0.0, 1.0), "gan": (1.0, 0.0)}  # loss -> (gan_weight, later_content_weight)


def get_config(arg=None):
  arg = config_lib.parse_arg(arg, loss="gan", motion="fork", steps=0, batch=32, width=32,
                             later=-1.0, diversity=0.0, smoke=False)
  if arg.loss not in LOSSES:
    raise ValueError(f"loss={arg.loss!r}: use one of {', '.join(LOSSES)}.")
  c = config_lib.base()
  c.method = "video"
  c.data.name = "moving_fashion"
  c.data.motion = arg.motion
  c.data.image_size = 32
  c.data.past, c.data.future = 4, 4
  c.data.batch_size = arg.batch

  c.model.name = "video"
  c.model.width = arg.width
  c.model.depth = 3
  c.model.z_dim = 16
  c.model.g_norm = c.model.d_norm = "layer"

  c.loss.name = "nonsaturating"
  if arg.later < 0 and arg.later != -1:
    raise ValueError(f"later={arg.later}: the content weight on the frames after the first "
                     "must be >= 0 (-1, the default: the loss's own, 1 for mse, 0 for gan).")
  gan_weight, later = LOSSES[arg.loss]
  c.loss.gan_weight = gan_weight
  c.loss.content_weight = 10.0
  c.loss.later_content_weight = later if arg.later < 0 else arg.later
  c.loss.diversity_weight = arg.diversity  # mode seeking (Mao et al., 2019); 0: off

  for net in ("g", "d"):
    c.optim[net] = config_lib.optimizer("adam", lr=2e-4, b1=0.5, b2=0.999)
  c.train.steps = arg.steps or 3000
  c.log.every, c.sample.every, c.ckpt.every = 100, 1000, 1000
  c.eval.every = c.train.steps
  c.eval.metrics = ("video",)
  c.eval.num_samples = 1000
  c.sample.num = 8
  if arg.smoke:
    c.train.steps = 6
    c.log.every = c.sample.every = c.eval.every = c.ckpt.every = 3
    c.data.batch_size = min(arg.batch, 8)
    c.data.limit = 64
    c.model.width, c.model.depth = 8, 2
    c.eval.num_samples = 16
  c.lock()
  return c


def get_sweep(arg=None):
  """The MSE baseline and the GAN as one sweep (``--sweep``): the weights are step
  arrays, so both can train in one vmapped step with the same G (on GPU/TPU; the planner
  runs convolutional members one after the other on CPU)."""
  del arg
  return [{"loss.gan_weight": g, "loss.later_content_weight": w} for g, w in LOSSES.values()]
