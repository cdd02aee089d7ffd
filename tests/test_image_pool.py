"""The image pool: the CycleGAN authors' rule image by image (fill, then with probability
1/2 hand back a stored image and keep the new one), and its place in the train state."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gan_jax import image_pool


def reference_query(images, count, batch, key):
  """The authors' `ImagePool.query` in plain Python, drawing each image's coin and slot
  from the same keys as `image_pool.query`."""
  images, out = np.array(images), []
  size = len(images)
  for image, k in zip(np.asarray(batch), jax.random.split(key, len(batch))):
    k_coin, k_slot = jax.random.split(k)
    if count < size:
      images[count] = image
      count += 1
      out.append(image)
    elif float(jax.random.uniform(k_coin)) > 0.5:
      slot = int(jax.random.randint(k_slot, (), 0, size))
      out.append(images[slot].copy())
      images[slot] = image
    else:
      out.append(image)
  return np.stack(out), images, count


def numbered(start, n):
  """n 2x2x1 images whose pixels all equal their number (start, start + 1, ...)."""
  return jnp.broadcast_to(jnp.arange(start, start + n, dtype=jnp.float32)[:, None, None, None],
                          (n, 2, 2, 1))


def test_the_pool_fills_first_and_returns_the_new_images_meanwhile():
  pool = image_pool.init(5, (2, 2, 1))
  out, pool = image_pool.query(pool, numbered(1, 3), jax.random.PRNGKey(0))
  np.testing.assert_array_equal(out, numbered(1, 3))
  assert int(pool["count"]) == 3
  np.testing.assert_array_equal(pool["images"][:3], numbered(1, 3))
  np.testing.assert_array_equal(pool["images"][3:], 0.0)
  # A batch that overflows: the first two fill it, the third already plays the game.
  out, pool = image_pool.query(pool, numbered(4, 3), jax.random.PRNGKey(1))
  assert int(pool["count"]) == 5
  np.testing.assert_array_equal(out[:2], numbered(4, 2))
  np.testing.assert_array_equal(pool["images"][3:5], numbered(4, 2))


def test_query_equals_the_authors_rule_image_by_image():
  key = jax.random.PRNGKey(0)
  pool = image_pool.init(4, (2, 2, 1))
  ref_images, ref_count = np.zeros((4, 2, 2, 1), np.float32), 0
  for step in range(6):
    k = jax.random.fold_in(key, step)
    batch = numbered(1 + 3 * step, 3)
    out, pool = image_pool.query(pool, batch, k)
    ref_out, ref_images, ref_count = reference_query(ref_images, ref_count, batch, k)
    np.testing.assert_array_equal(out, ref_out)
    np.testing.assert_array_equal(pool["images"], ref_images)
    assert int(pool["count"]) == ref_count


def test_a_full_pool_returns_a_stored_image_half_the_time_and_stores_the_new_one():
  size, n = 50, 4000
  pool = image_pool.init(size, (2, 2, 1))
  _, pool = image_pool.query(pool, numbered(0, size), jax.random.PRNGKey(0))
  out, after = jax.jit(image_pool.query)(pool, numbered(1000, n), jax.random.PRNGKey(1))
  values = np.asarray(out[:, 0, 0, 0])
  new = values == np.arange(1000, 1000 + n)
  assert 0.47 < new.mean() < 0.53  # the coin: 1/2 each way (4000 draws: +-0.016 std)
  # Every old image handed back was in the pool at that moment: an initial one (< 50) or
  # an earlier image of this batch; each such swap leaves the new image in the pool.
  assert np.all(values[~new] < 1000 + np.arange(n)[~new])
  stored = set(np.asarray(after["images"][:, 0, 0, 0]).tolist())
  assert len(stored) == size and int(after["count"]) == size
  # Slots are uniform: after ~2000 swaps almost none of the first 50 images remain.
  assert sum(v < size for v in stored) <= 2
  # Images returned as "old" come from uniformly random slots: many distinct ones.
  assert len(set(values[~new].tolist())) > 500


def test_query_vmaps_over_a_population_of_pools():
  pools = jax.vmap(lambda _: image_pool.init(3, (2, 2, 1)))(jnp.arange(2))
  keys = jax.random.split(jax.random.PRNGKey(0), 2)
  batches = jnp.stack([numbered(1, 4), numbered(10, 4)])
  out, pools = jax.vmap(image_pool.query)(pools, batches, keys)
  for m in range(2):
    one, pool = image_pool.query(image_pool.init(3, (2, 2, 1)), batches[m], keys[m])
    np.testing.assert_array_equal(out[m], one)
    np.testing.assert_array_equal(pools["images"][m], pool["images"])


def test_size_zero_is_an_error_naming_the_meaning():
  with pytest.raises(ValueError, match="size 0 means no pool"):
    image_pool.init(0, (2, 2, 1))
