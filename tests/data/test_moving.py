"""moving_fashion: a Fashion-MNIST item on the fork path or bouncing, train/test by item."""
import numpy as np
import pytest

from gan_jax import config as config_lib, data
from gan_jax.data import fashion, images, moving


def config(seed=0, **data_overrides):
  c = config_lib.base(seed)
  c.data.update({"name": "moving_fashion", "batch_size": 16, "limit": 200, **data_overrides})
  return c


def item_at(frames, items, positions):
  """Asserts that each frame holds exactly one of `items` at its position, -1 elsewhere."""
  s = items.shape[1]
  for frame, (r, c) in zip(frames, positions):
    crop = frame[r:r + s, c:c + s]
    rest = frame.copy()
    rest[r:r + s, c:c + s] = -1
    assert (rest == -1).all()
    assert any(np.array_equal(crop, images.to_float(it)) for it in items)


def test_fork_sequences_follow_the_documented_path():
  source = data.get_source(config())
  assert source.shape == (4, 32, 32, 1) and source.past_shape == (4, 32, 32, 1)
  assert source.room == 32 - 14 and source.num_classes == 10
  b = source.batch(2)
  assert set(b) == {"past", "future", "branch", "y", "positions"}
  assert b["past"].dtype == np.float32 and b["past"].min() == -1 and b["past"].max() <= 1
  up = [[18, 9], [16, 9], [14, 9], [11, 9], [9, 9]]  # bottom -> centre in 4 steps
  left, right = up + [[9, 6], [9, 3], [9, 0]], up + [[9, 12], [9, 15], [9, 18]]
  for video_past, video_future, branch, path, y in zip(
      b["past"], b["future"], b["branch"], b["positions"], b["y"]):
    assert path.tolist() == (right if branch else left)
    item = source.items[source.labels == y]
    item_at(np.concatenate([video_past, video_future])[..., 0], item[..., 0], path)
  np.testing.assert_array_equal(moving.fork_path(4, 4, 18, 0)[:5], moving.fork_path(4, 4, 18, 1)[:5])
  e = source.examples(12, seed=1)
  for future, other, branch in zip(e["future"], e["alternative"], e["branch"]):
    np.testing.assert_array_equal(future[0], other[0])  # the branches part after frame 0
    assert not np.array_equal(future[1:], other[1:])
    cols = np.nonzero(future[-1, ..., 0] > -1)[1]
    assert (cols.mean() > 16) == bool(branch)  # the item ends on the branch's side


def test_forks_go_both_ways_equally_often():
  source = data.get_source(config(batch_size=50))
  branches = np.concatenate([source.batch(i)["branch"] for i in range(40)])
  assert len(branches) == 2000 and abs(branches.mean() - 0.5) < 0.04
  e = source.examples()
  assert abs(e["branch"].mean() - 0.5) < 0.1


def test_bounce_stays_inside_and_reflects():
  rng = np.random.default_rng(0)
  for _ in range(20):
    path = moving.bounce_path(200, 18, 32, rng)
    assert path.min() >= 0 and path.max() <= 18
    step = np.abs(np.diff(path, axis=0))
    speed = np.median(np.hypot(*step.T))
    assert 2 <= speed <= 4
    # away from the walls every step has the same size; each axis bounces
    inside = (path[1:] > step.max()).all(1) & (path[1:] < 18 - step.max()).all(1) & \
        (path[:-1] > step.max()).all(1) & (path[:-1] < 18 - step.max()).all(1)
    np.testing.assert_allclose(np.hypot(*step[inside].T), speed, rtol=1e-9)
    assert (np.diff(np.sign(np.diff(path, axis=0)), axis=0) != 0).any()
  source = data.get_source(config(motion="bounce", image_size=64))
  b = source.batch(0)
  assert b["future"].shape == (16, 4, 64, 64, 1) and (b["branch"] == -1).all()
  assert source.items.shape[1:] == (28, 28, 1)  # Fashion-MNIST's own size at 64
  for video, path, y in zip(np.concatenate([b["past"], b["future"]], 1), b["positions"], b["y"]):
    item_at(video[..., 0], source.items[source.labels == y][..., 0], path)


def test_train_and_test_use_their_own_items_and_batches_are_random_access():
  c = config(limit=64)
  train, test = data.get_source(c), data.get_source(c, "test")
  x_test, _ = fashion.fashion_mnist("test", 64)
  np.testing.assert_array_equal(test.items, images.fit_all(x_test, 14, 0))
  x_train, _ = fashion.fashion_mnist("train", 64)
  np.testing.assert_array_equal(train.items, images.fit_all(x_train, 14, 0))
  again = data.get_source(c)
  sequence = [train.batch(i) for i in range(6)]
  for i in (5, 1):
    for k in sequence[i]:
      np.testing.assert_array_equal(again.batch(i)[k], sequence[i][k])
  other = data.get_source(config(seed=1, limit=64)).batch(1)
  assert not np.array_equal(other["future"], sequence[1]["future"])
  longer = data.get_source(config(past=2, future=6))
  assert longer.batch(0)["future"].shape == (16, 6, 32, 32, 1)
  with pytest.raises(ValueError, match=">= 2 for the fork"):
    data.get_source(config(future=1))
  with pytest.raises(ValueError, match="data.motion='zigzag'"):
    data.get_source(config(motion="zigzag"))
