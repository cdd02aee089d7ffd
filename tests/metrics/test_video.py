"""The video scores on constructed sequences: the truth scores PSNR cap / SSIM 1 /
sharpness 1 / fork test 1; the average of both branches (two ghosts) sharpness 1/2 and
fork test 0; a blank frame 0."""
import numpy as np
import pytest

from gan_jax.data import moving
from gan_jax.metrics import paired, video


@pytest.fixture(scope="module")
def fork():
  """Fork sequences of two real-looking items: (future [N, F, H, W, 1], alternative,
  branch)."""
  rng = np.random.default_rng(0)
  items = (rng.uniform(0.3, 1.0, (4, 14, 14, 1)) * 255).astype(np.uint8)
  futures, others, branch = [], [], np.array([0, 1, 1, 0])
  for item, b in zip(items, branch):
    paths = [np.round(moving.fork_path(4, 4, 18, k)).astype(int) for k in (b, 1 - b)]
    futures.append(moving.render(item, paths[0], 32)[4:])
    others.append(moving.render(item, paths[1], 32)[4:])
  return np.stack(futures), np.stack(others), branch


def test_gradient_energy_of_a_square():
  frame = -np.ones((8, 8, 1))
  frame[2:4, 2:4] = 1.0  # a 2 x 2 white square: 8 unit steps on the [0, 1] scale
  assert video.gradient_energy(frame) == pytest.approx(8.0)
  assert video.gradient_energy(np.stack([frame, -np.ones_like(frame)])).tolist() == [8.0, 0.0]


def test_truth_ghosts_and_blank(fork):
  future, other, branch = fork
  truth = video.fork_test(future, future, other, branch)
  assert truth["fork_single_branch"] == 1.0 and truth["fork_taken"] == 1.0
  assert truth["fork_left"] == 0.5 and truth["fork_right"] == 0.5
  assert truth["fork_distance_ratio"] == 0.0 and truth["fork_sharpness"] == pytest.approx(1.0)
  # picking the other branch is as single-branch, on the other side
  swapped = video.fork_test(other, future, other, branch)
  assert swapped["fork_single_branch"] == 1.0 and swapped["fork_taken"] == 0.0
  ghosts = (future + other) / 2  # the MSE minimiser over the two branches
  g = video.fork_test(ghosts, future, other, branch)
  assert g["fork_single_branch"] == 0.0 and g["fork_distance_ratio"] == pytest.approx(1.0)
  assert g["fork_ghost"] == pytest.approx(1.0) and truth["fork_ghost"] == 0.0
  assert g["fork_sharpness"] == pytest.approx(0.5)  # two disjoint half-bright items
  blank = video.fork_test(-np.ones_like(future), future, other, branch)
  assert blank["fork_single_branch"] == 0.0
  # a blurred item on one branch is near it but not sharp: not single-branch
  blurred = (future + np.roll(future, 1, 2) + np.roll(future, -1, 2) + np.roll(future, 1, 3)
             + np.roll(future, -1, 3)) / 5
  b = video.fork_test(blurred, future, other, branch)
  assert b["fork_distance_ratio"] < 0.5 and b["fork_sharpness"] < 0.7
  assert b["fork_single_branch"] == 0.0


def test_scores_per_frame(fork):
  future, other, branch = fork
  record = {"x": future, "future": future, "alternative": other, "branch": branch}
  s, protocol = video.scores(record)
  assert s["psnr"] == paired.PSNR_CAP and s["ssim"] == pytest.approx(1.0)
  assert s["sharpness"] == pytest.approx(1.0) and s["fork_single_branch"] == 1.0
  assert protocol["num_sequences"] == 4 and protocol["frames"] == 4
  ghosts = {**record, "x": (future + other) / 2}
  s, _ = video.scores(ghosts)
  # the first future frame is shared by both branches: the ghosts are exact there only
  assert s["psnr_f1"] == paired.PSNR_CAP and s["psnr_f4"] < 30 and s["ssim_f4"] < 0.9
  assert s["fork_single_branch"] == 0.0 and s["sharpness_last"] == pytest.approx(0.5)
  bounce = {"x": future, "future": future}  # no alternative: no fork test
  assert "fork_single_branch" not in video.scores(bounce)[0]


def test_a_noisy_blend_of_both_branches_is_two_ghosts(fork):
  """Noise does not turn a 65/35 blend into one branch (speckle raises the frame's
  gradient energy into the sharp band, and the blend is nearer one branch by MSE)."""
  future, other, branch = fork
  noise = np.random.default_rng(1).normal(0, 0.16, future.shape)  # 0.08 on [0, 1]
  for w, want in ((0.65, 0.0), (0.9, 1.0)):
    blend = np.clip(w * future + (1 - w) * other + noise, -1, 1)
    f = video.fork_test(blend, future, other, branch)
    assert f["fork_single_branch"] == want
    assert f["fork_distance_ratio"] < 0.5  # the old MSE-ratio rule would have passed both


def test_an_item_off_by_two_pixels_counts_and_extra_content_does_not(fork):
  """A sharp item up to SHIFT pixels from its branch's position is on that branch; a
  second copy of it elsewhere, or a solid box where the item should be, is not one item
  on one branch (the residual and the coefficient's upper bound)."""
  future, other, branch = fork
  unit = (future[:, -1:] + 1) / 2  # [N, 1, H, W, C] on [0, 1]
  as_x = lambda u: np.concatenate([future[:, :-1], 2 * np.clip(u, 0, 1) - 1], axis=1)
  moved = video.shifted(unit[:, 0], 2, -2)[:, None]
  assert video.fork_test(as_x(moved), future, other, branch)["fork_single_branch"] == 1.0
  second = unit + video.shifted(unit[:, 0], -9, 0)[:, None]  # the item again, higher up
  f = video.fork_test(as_x(second), future, other, branch)
  assert f["fork_single_branch"] == 0.0 and f["fork_residual"] > 0.5
  box = np.zeros_like(unit)
  for i in range(len(unit)):
    r, c = np.nonzero(unit[i, 0, ..., 0] > 0)
    box[i, 0, r.min():r.max() + 1, c.min():c.max() + 1] = 1.0
  assert video.fork_test(as_x(box), future, other, branch)["fork_single_branch"] == 0.0
