"""Feeding the device: groups of batches prefetched on a host thread.

A step consumes `group` consecutive batches (one per D update, `train.n_critic`), stacked
on a leading axis. Sources are random access (``batch(index)``), so the pipeline's whole
state is `position`, the index of the next batch the trainer will take; it is saved in
every checkpoint and a resumed run continues with the very next batch.
"""
from __future__ import annotations

import queue
import threading

import numpy as np

from gan_jax import parallel


def stack(batches: list[dict]) -> dict:
  return {k: np.stack([b[k] for b in batches]) for k in batches[0]}


class Prefetcher:
  """Iterator of device batches [group, B, ...] (split over devices when n > 1)."""

  def __init__(self, source, position: int, group: int, num_devices: int = 1,
               depth: int = 4, member_axis: bool = False):
    """`member_axis`: the source's batches carry a leading axis of population members
    [P, B, ...]; the groups are then [P, group, B, ...] (the layout vmap takes)."""
    self.source, self.group, self.num_devices = source, group, num_devices
    self.member_axis = member_axis
    self.position = position
    self._queue: queue.Queue = queue.Queue(maxsize=depth)
    self._stop = threading.Event()
    self._thread = threading.Thread(target=self._work, args=(position,), daemon=True)
    self._thread.start()

  def _work(self, position: int):
    try:
      while not self._stop.is_set():
        host = stack([self.source.batch(position + i) for i in range(self.group)])
        if self.member_axis:
          host = {k: np.moveaxis(v, 1, 0) for k, v in host.items()}
        item = parallel.put_batch(host, self.num_devices, axis=2 if self.member_axis else 1)
        position += self.group
        while not self._stop.is_set():
          try:
            self._queue.put(item, timeout=0.1)
            break
          except queue.Full:
            continue
    except BaseException as e:  # surfaced to the trainer on the next `next()`
      self._queue.put(e)

  def __iter__(self):
    return self

  def __next__(self):
    item = self._queue.get()
    if isinstance(item, BaseException):
      raise item
    self.position += self.group
    return item

  def close(self):
    self._stop.set()
    self._thread.join(timeout=5)


def host_batches(source, position: int, group: int):
  """The same stream as Prefetcher, synchronously, on the host (for tests and tools)."""
  while True:
    yield stack([source.batch(position + i) for i in range(group)])
    position += group
