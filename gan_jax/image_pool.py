"""The image pool (history buffer) of CycleGAN's discriminators, as a pure function over
a pytree that lives in the train state.

Shrivastava et al. (2017, "Learning from simulated and unsupervised images through
adversarial training", Sec. 2.3) update D with a history of generated images rather than
only the latest ones, so D does not forget what G produced earlier and G cannot
oscillate between modes D has forgotten; Zhu et al. (2017, CycleGAN, Sec. 4) keep 50
images per D. The rule is the authors' code (`util/image_pool.py` of
pytorch-CycleGAN-and-pix2pix), image by image through the batch:

- while the pool holds fewer than `size` images, the new image is stored and returned;
- once it is full, with probability 1/2 a uniformly chosen stored image is returned and
  the new image takes its slot; otherwise the new image is returned and the pool is
  unchanged.

The pool is {"images": [size, H, W, C], "count": int32 (images stored, <= size)}: plain
arrays, so it is checkpointed, resumed bitwise and vmapped with the rest of the state.
Randomness comes from the key the caller passes (the step's key): no global RNG.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp


def init(size: int, shape) -> dict:
  """An empty pool for `size` images of `shape` (H, W, C)."""
  if size < 1:
    raise ValueError(f"An image pool needs size >= 1, got {size}; size 0 means no pool "
                     "(the caller passes the new images straight to D).")
  return {"images": jnp.zeros((size, *shape), jnp.float32), "count": jnp.zeros((), jnp.int32)}


def query(pool: dict, images: jax.Array, key: jax.Array) -> tuple[jax.Array, dict]:
  """(images for D [B, H, W, C], the updated pool), the batch taken in order.

  `images` [B, H, W, C]: the newly generated batch; `key`: this query's PRNG key.
  """
  size = pool["images"].shape[0]
  keys = jax.random.split(key, images.shape[0])

  def one(carry, inputs):
    stored, count = carry
    image, k = inputs
    k_coin, k_slot = jax.random.split(k)
    filling = count < size
    swap = (~filling) & (jax.random.uniform(k_coin) > 0.5)
    slot = jnp.where(filling, count, jax.random.randint(k_slot, (), 0, size))
    out = jnp.where(swap, stored[slot], image)
    write = filling | swap
    stored = stored.at[slot].set(jnp.where(write, image, stored[slot]))
    return (stored, count + filling.astype(jnp.int32)), out

  (stored, count), out = jax.lax.scan(one, (pool["images"], pool["count"]), (images, keys))
  return out, {"images": stored, "count": count}


def query_global(pool: dict, images: jax.Array, key: jax.Array, ctx) -> tuple[jax.Array, dict]:
  """`query` over the global batch when the step runs on several devices: every device
  gathers all devices' images, makes the same query with the same key (so the pools
  stay identical replicas, as one device's pool would be) and keeps its own slice."""
  if ctx.axis_name is None:
    return query(pool, images, key)
  local = images.shape[0]
  everything = jax.lax.all_gather(images, ctx.axis_name, tiled=True)
  out, pool = query(pool, everything, key)
  index = jax.lax.axis_index(ctx.axis_name)
  return jax.lax.dynamic_slice_in_dim(out, index * local, local), pool
