"""Scores of video frame prediction: predicted future frames x against the true ones, on
held-out sequences (values in [-1, 1], compared on the [0, 1] scale (v + 1) / 2).

- ``psnr``, ``ssim``: per frame, as `metrics.paired` computes them (PSNR peak 1, capped
  at `paired.PSNR_CAP`; SSIM of Wang et al., 2004 through scikit-image with an 11 x 11
  Gaussian window, sigma 1.5), averaged over sequences and frames; ``psnr_f<t>``,
  ``ssim_f<t>`` per future frame t = 1 .. F (Mathieu et al., 2016, Table 1 and Fig. 5
  report them per frame too).
- ``sharpness``: gradient energy relative to the truth's: per sequence, the sum over its
  predicted frames of E(x_t) divided by the same sum over its true frames, averaged over
  sequences; E(f) = sum over pixels of (f[i+1, j] - f[i, j])^2 + (f[i, j+1] - f[i, j])^2
  (finite differences; the quantity Mathieu et al.'s "sharpness difference" compares).
  1: as sharp as the truth. Two half-bright ghosts of the item score 1/2, a blur less.
  ``sharpness_last``: the same of the last frame alone.

The fork test (data.motion=fork: the item turns left or right at the first future
frame, each with probability 1/2; `alternative` is the future of the branch not taken).
Per prediction, its last frame p (where the two branches are furthest apart; clipped to
[0, 1]) against the last frame of each branch's truth, L (left) and R (right), all on the
[0, 1] scale (background 0). Each branch's item is placed where it explains most of p
within SHIFT pixels of its true position (L', R'); the two do not overlap there (left at
column <= item + SHIFT, right from frame - item - SHIFT), so the least-squares fit
p ~ a L' + b R' splits into

  a = <p, L'> / <L', L'>,  b = <p, R'> / <R', R'>   (how much of each branch's item p holds)
  r = ||p - a L' - b R'||^2 / ||L||^2               (what the two items leave unexplained)
  s = E(p) / E(L)    (E(L) = E(R): the same item, shifted, inside the frame)

  single-branch  <=>  PRESENT <= max(a, b) <= PRESENT_HIGH   (the item, near full strength)
                      and min(a, b) <= GHOST x max(a, b)     (no ghost on the other branch)
                      and r <= RESIDUAL                      (nothing else: no second item)
                      and SHARP_LOW <= s <= SHARP_HIGH       (as sharp as the truth)

and it picks the branch with the larger coefficient. A blend w L + (1 - w) R has
min / max = (1 - w) / w: with GHOST 0.2 anything from a 17% ghost up fails (zero-mean
noise leaves a and b about unchanged); a second copy of the item elsewhere leaves r ~ 1;
a solid box over the item's place has a > PRESENT_HIGH or a large r. Scores:
``fork_single_branch`` (the share of single-branch predictions), ``fork_left`` /
``fork_right`` (the shares of all predictions that are single-branch on that side: they
sum to fork_single_branch; a GAN that uses z picks both), ``fork_taken`` (the share that
are single-branch on the branch the sequence actually took: ~half of fork_single_branch
for a predictor that cannot know it), ``fork_ghost`` (mean min(a, b) / max(a, b): 0 on
one branch, 1 for two equal ghosts), ``fork_residual`` (mean r), ``fork_distance_ratio``
(mean min / max of the MSEs to L and R) and ``fork_sharpness`` (mean s). The truth
itself scores 1 (a = 1, b = 0, r = 0, s = 1); the average of both branches (two ghosts,
a = b = 1/2) scores 0; a blank frame scores 0; so does a blurred item on one branch
(s < SHARP_LOW).
"""
from __future__ import annotations

import numpy as np

from gan_jax.metrics import paired

PRESENT, PRESENT_HIGH, GHOST = 0.7, 1.3, 0.2
RESIDUAL = 0.5  # what the two items leave unexplained, relative to the item's energy
SHIFT = 2        # pixels an item may sit off its branch's position
SHARP_LOW, SHARP_HIGH = 0.7, 2.0


def _unit(frames) -> np.ndarray:
  return (np.asarray(frames, np.float64) + 1.0) / 2.0


def gradient_energy(frames) -> np.ndarray:
  """[..., H, W, C] in [-1, 1] -> [...]: the sum of squared finite differences along H and
  W on the [0, 1] scale, the frame padded by one pixel of background (-1), so an item's
  edge on the frame's border counts and E does not change when the item moves."""
  f = _unit(frames)
  pad = [(0, 0)] * (f.ndim - 3) + [(1, 1), (1, 1), (0, 0)]
  f = np.pad(f, pad)
  dy = np.diff(f, axis=-3) ** 2
  dx = np.diff(f, axis=-2) ** 2
  return dy.sum(axis=(-3, -2, -1)) + dx.sum(axis=(-3, -2, -1))


def per_frame(fn, x, y) -> np.ndarray:
  """fn (a per-image score of `metrics.paired`) of every frame: [N, F]."""
  n, f = x.shape[:2]
  return fn(x.reshape(n * f, *x.shape[2:]), y.reshape(n * f, *y.shape[2:])).reshape(n, f)


def shifted(frames, dy: int, dx: int) -> np.ndarray:
  """[N, H, W, C] moved by (dy, dx) pixels, background (0 on the [0, 1] scale) shifted in."""
  n, h, w, c = frames.shape
  out = np.zeros_like(frames)
  out[:, max(dy, 0):h + min(dy, 0), max(dx, 0):w + min(dx, 0)] = \
      frames[:, max(-dy, 0):h - max(dy, 0), max(-dx, 0):w - max(dx, 0)]
  return out


def best_placed(p, item):
  """(coefficient a [N], template [N, H, W, C]): `item` moved by the shift of at most
  SHIFT pixels that explains most of p (largest <p, t>^2 / <t, t> with <p, t> > 0), and
  the least-squares coefficient a = <p, t> / <t, t> of that placement."""
  dot = lambda u, v: np.sum(u * v, axis=(1, 2, 3))
  best_gain, best_a, best_t = np.full(len(p), -1.0), np.zeros(len(p)), np.zeros_like(item)
  for dy in range(-SHIFT, SHIFT + 1):
    for dx in range(-SHIFT, SHIFT + 1):
      t = shifted(item, dy, dx)
      pt, tt = dot(p, t), np.maximum(dot(t, t), 1e-12)
      gain = np.where(pt > 0, pt ** 2 / tt, 0.0)
      better = gain > best_gain
      best_gain = np.where(better, gain, best_gain)
      best_a = np.where(better, pt / tt, best_a)
      best_t[better] = t[better]
  return best_a, best_t


def fork_test(x, future, alternative, branch) -> dict:
  """The fork test (module doc) of predictions x [N, F, H, W, C] against the futures of
  the branch taken (`future`) and not taken (`alternative`), `branch` [N] (0 left, 1 right)."""
  p = np.clip(_unit(x[:, -1]), 0.0, 1.0)
  taken, other = _unit(future[:, -1]), _unit(alternative[:, -1])
  branch = np.asarray(branch)
  dot = lambda u, v: np.sum(u * v, axis=(1, 2, 3))
  c_taken, t_taken = best_placed(p, taken)
  c_other, t_other = best_placed(p, other)
  strong, weak = np.maximum(c_taken, c_other), np.minimum(c_taken, c_other)
  ghost = np.where(strong > 0, np.maximum(weak, 0) / np.maximum(strong, 1e-12), 1.0)
  rest = p - c_taken[:, None, None, None] * t_taken - c_other[:, None, None, None] * t_other
  residual = dot(rest, rest) / np.maximum(dot(taken, taken), 1e-12)
  d_taken = np.mean((p - taken) ** 2, axis=(1, 2, 3))
  d_other = np.mean((p - other) ** 2, axis=(1, 2, 3))
  near, far = np.minimum(d_taken, d_other), np.maximum(d_taken, d_other)
  ratio = np.where(far > 0, near / np.maximum(far, 1e-30), 1.0)
  sharp = gradient_energy(x[:, -1]) / np.maximum(gradient_energy(future[:, -1]), 1e-12)
  single = ((strong >= PRESENT) & (strong <= PRESENT_HIGH) & (ghost <= GHOST)
            & (residual <= RESIDUAL) & (sharp >= SHARP_LOW) & (sharp <= SHARP_HIGH))
  picks_taken = c_taken > c_other
  picked = np.where(picks_taken, branch, 1 - branch)  # 0 left, 1 right
  return {"fork_single_branch": float(np.mean(single)),
          "fork_left": float(np.mean(single & (picked == 0))),
          "fork_right": float(np.mean(single & (picked == 1))),
          "fork_taken": float(np.mean(single & picks_taken)),
          "fork_ghost": float(np.mean(ghost)),
          "fork_residual": float(np.mean(residual)),
          "fork_distance_ratio": float(np.mean(ratio)),
          "fork_sharpness": float(np.mean(sharp))}


def scores(record: dict, split: str = "test") -> tuple[dict, dict]:
  """(scores, protocol) of a sample record {"x", "future", "alternative"?, "branch"?}
  ([N, F, H, W, C] in [-1, 1]) of held-out sequences of `split`."""
  x, y = np.asarray(record["x"], np.float32), np.asarray(record["future"], np.float32)
  if x.shape != y.shape or x.ndim != 5:
    raise ValueError(f"Predictions {x.shape} and futures {y.shape} must be frame sequences "
                     "[N, F, H, W, C] of the same shape.")
  psnr, ssim = per_frame(paired.psnr, x, y), per_frame(paired.ssim, x, y)
  energy_x, energy_y = gradient_energy(x), gradient_energy(y)  # [N, F]
  out = {"psnr": float(psnr.mean()), "ssim": float(ssim.mean()),
         "sharpness": float(np.mean(energy_x.sum(1) / np.maximum(energy_y.sum(1), 1e-12))),
         "sharpness_last": float(np.mean(energy_x[:, -1] / np.maximum(energy_y[:, -1], 1e-12)))}
  for t in range(x.shape[1]):
    out[f"psnr_f{t + 1}"] = float(psnr[:, t].mean())
    out[f"ssim_f{t + 1}"] = float(ssim[:, t].mean())
  protocol = {"num_sequences": int(len(x)), "frames": int(x.shape[1]),
              "split": split, "z": "one per sequence",
              "psnr_ssim": "per frame on the [0, 1] scale, metrics.paired's settings "
                           f"(SSIM {paired.SSIM}), mean over sequences and frames",
              "sharpness": "sum of squared finite differences of the prediction / of the "
                           "truth, per sequence (all frames; _last: the last frame)"}
  if "alternative" in record and len(record["alternative"]):
    out.update(fork_test(x, y, np.asarray(record["alternative"], np.float32),
                         record["branch"]))
    protocol["fork"] = {
        "frame": "the last predicted frame", "present": [PRESENT, PRESENT_HIGH],
        "ghost": GHOST, "residual": RESIDUAL, "shift": SHIFT,
        "sharpness_band": [SHARP_LOW, SHARP_HIGH],
        "rule": "single-branch: with a, b the least-squares coefficients of the left and "
                "right branch's item (each placed within `shift` pixels of its position) in "
                "the prediction, max(a, b) in `present`, min(a, b) <= ghost x max(a, b), the "
                "unexplained energy <= residual x the item's, and gradient energy / the "
                "truth's within the band (gan_jax/metrics/video.py)"}
  return out, protocol
