"""`moving_fashion`: short videos of one Fashion-MNIST item moving on a black frame
(video prediction: given `data.past` frames, predict the next `data.future`).

Frames are `data.image_size` square (default 32; 64 works too), the item resized to
7/16 of the frame (14 px at 32, Fashion-MNIST's own 28 px at 64). Positions are the
item's top-left corner (row, col), rounded to whole pixels; `room` = frame - item is
the largest. T = past + future frames, t = 0 .. T-1.

- `data.motion=fork` (the lecture notes' game character at a fork): the item moves up
  a corridor in the middle of the frame, from the bottom (row = room) to the centre
  (row = room / 2) at frame t_f = past (the first future frame), in equal steps; then
  it turns LEFT (col -> 0) or RIGHT (col -> room) in equal steps until the last frame,
  each with probability 1/2. The past frames, and the first future frame, are the same
  for both branches: only the future after the fork tells them apart (needs future >= 2).
  Batches carry "branch" (0 left, 1 right); `examples` also "alternative", the future
  of the branch not taken, to score whether a prediction chose one branch.
- `data.motion=bounce` (Moving-MNIST style, Srivastava et al. 2015): a random start in
  [0, room]^2, a random direction, a speed uniform in [2, 4] px per frame at 32 px
  (scaled with the frame), reflected at the frame's edges; "branch" is -1.

Train/test by item: the train split moves Fashion-MNIST training items, the test split
its test items. Sequences are drawn on the fly, nothing is cached: batch `index` takes
the items of the seeded epoch permutation (`images.Epochs`) and its branches / starts
from ``default_rng([seed, index, 5])``; `examples` from ``default_rng([seed, 2**31-1, 5])``.
Values are in [-1, 1] (background -1).
"""
from __future__ import annotations

import numpy as np

from gan_jax.data import fashion, images as images_lib

MOTIONS = ("fork", "bounce")
DEFAULT_SIZE = 32
ITEM_FRACTION = 7 / 16
SPEED = (2.0, 4.0)  # px per frame at a 32 px frame


def item_size(size: int) -> int:
  return int(round(ITEM_FRACTION * size))


def fork_path(past: int, future: int, room: int, branch: int) -> np.ndarray:
  """float [past + future, 2]: the (row, col) of the item along the fork path."""
  total, fork = past + future, past
  t = np.arange(total, dtype=np.float64)
  centre = room / 2
  up = np.minimum(t, fork) / fork                          # 0 -> 1 until the fork
  side = np.maximum(t - fork, 0) / (total - 1 - fork)      # 0 -> 1 after it
  rows = room - (room - centre) * up
  cols = centre + (1 if branch else -1) * centre * side
  return np.stack([rows, cols], axis=1)


def bounce_path(total: int, room: int, size: int, rng: np.random.Generator) -> np.ndarray:
  """float [total, 2]: a straight path reflected at the walls of [0, room]^2."""
  position = rng.uniform(0, room, 2)
  angle = rng.uniform(0, 2 * np.pi)
  velocity = rng.uniform(*SPEED) * size / 32 * np.array([np.sin(angle), np.cos(angle)])
  out = np.zeros((total, 2))
  for t in range(total):
    out[t] = position
    position = position + velocity
    for k in range(2):  # reflect off the walls (a speed < room never crosses twice)
      if position[k] < 0:
        position[k], velocity[k] = -position[k], -velocity[k]
      elif position[k] > room:
        position[k], velocity[k] = 2 * room - position[k], -velocity[k]
  return out


def render(item: np.ndarray, positions: np.ndarray, size: int) -> np.ndarray:
  """float32 [T, size, size, 1] in [-1, 1]: uint8 item [s, s, 1] at integer positions."""
  s = item.shape[0]
  frames = np.full((len(positions), size, size, 1), -1.0, np.float32)
  pixels = images_lib.to_float(item)
  for t, (r, c) in enumerate(positions):
    frames[t, r:r + s, c:c + s] = np.maximum(frames[t, r:r + s, c:c + s], pixels)
  return frames


class MovingSource:
  """Random-access batches {"past": float32 [B, P, H, W, 1], "future": float32
  [B, F, H, W, 1], "branch": int32 [B], "y": int32 [B] (the item's class),
  "positions": int32 [B, P + F, 2] (top-left row, col per frame)}.
  Attributes: `shape` (one future), `past_shape`, `size` (items), `batch_size`,
  `name`, `num_classes` (10), `motion`, `past`, `future`, `room`.
  """

  num_classes = fashion.NUM_CLASSES

  def __init__(self, items: np.ndarray, labels: np.ndarray, frame: int, past: int, future: int,
               motion: str, batch_size: int, seed: int, name: str):
    if motion not in MOTIONS:
      raise ValueError(f"data.motion={motion!r} is not one of {', '.join(MOTIONS)}.")
    if past < 1 or future < 1 or (motion == "fork" and future < 2):
      raise ValueError(f"data.past={past} and data.future={future}: need past >= 1 and "
                       "future >= 1 (>= 2 for the fork, whose branches part after the first "
                       "future frame).")
    self.items, self.labels = items, np.asarray(labels, np.int32)
    self.frame, self.past, self.future, self.motion = frame, past, future, motion
    self.batch_size, self.seed, self.name = batch_size, seed, name
    self.room = frame - items.shape[1]
    self.size = len(items)
    self.shape, self.past_shape = (future, frame, frame, 1), (past, frame, frame, 1)
    self.epochs = images_lib.Epochs(self.size, batch_size, seed, name=name)
    self.batches_per_epoch = self.epochs.batches_per_epoch

  def _paths(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    total = self.past + self.future
    if self.motion == "fork":
      branch = rng.integers(0, 2, n).astype(np.int32)
      paths = [fork_path(self.past, self.future, self.room, b) for b in branch]
    else:
      branch = np.full(n, -1, np.int32)
      paths = [bounce_path(total, self.room, self.frame, rng) for _ in range(n)]
    return np.round(np.stack(paths)).astype(np.int32), branch

  def _take(self, rows: np.ndarray, rng: np.random.Generator) -> dict:
    positions, branch = self._paths(len(rows), rng)
    video = np.stack([render(self.items[r], p, self.frame) for r, p in zip(rows, positions)])
    return {"past": video[:, :self.past], "future": video[:, self.past:], "branch": branch,
            "y": self.labels[rows], "positions": positions}

  def batch(self, index: int) -> dict:
    return self._take(self.epochs.rows(index), np.random.default_rng([self.seed, index, 5]))

  def examples(self, n: int | None = None, seed: int = 0) -> dict:
    """`n` sequences of items chosen by `seed` (sorted; all, in order, when None): the
    batch keys, plus "alternative" (the other branch's future) for the fork."""
    rows = images_lib.choose(self.size, n, seed, self.name)
    out = self._take(rows, np.random.default_rng([seed, 2**31 - 1, 5]))
    if self.motion == "fork":
      other = np.round(np.stack([fork_path(self.past, self.future, self.room, 1 - b)
                                 for b in out["branch"]])).astype(np.int32)
      out["alternative"] = np.stack([render(self.items[r], p, self.frame)[self.past:]
                                     for r, p in zip(rows, other)])
    return out

  def reference(self, n: int, seed: int) -> np.ndarray:
    """float32 [n, F, H, W, 1]: real future frames."""
    return self.examples(n, seed)["future"]


def source(config, split: str) -> MovingSource:
  d = config.data
  if split not in ("train", "test"):
    raise ValueError(f"moving_fashion has splits train and test, not {split!r}.")
  frame = d.image_size or DEFAULT_SIZE
  if item_size(frame) < 4:
    raise ValueError(f"data.image_size={frame} is too small for moving_fashion; use 32 or 64.")
  x, y = fashion.fashion_mnist(split, d.limit)
  return MovingSource(images_lib.fit_all(x, item_size(frame), 0), y, frame, d.past, d.future,
                      d.motion, d.batch_size, config.seed, f"moving_fashion:{split}")
