"""Convert pytorch-fid's Inception weights (.pth) to the .npz that gan_jax loads.

  python tools/convert_inception_weights.py pt_inception-2015-12-05-6726825d.pth OUT.npz

Reads the torch state dict without torch: both of torch.save's formats (the zip
archive of torch >= 1.6 and the older "legacy" stream) are a pickle whose tensors
point at raw little-endian storages. The unpickler only accepts the few globals a
state dict of tensors uses (no code from the file runs). The .npz keeps pytorch-fid's
names and torch layouts (gan_jax.metrics.inception maps them onto Flax), plus
`source_sha256`, the hash of the .pth. The .npz is written byte-for-byte
deterministically (fixed zip timestamps, sorted names), so the same .pth always gives
the same file and the same sha256. See docs/inception_weights.md.
"""
from __future__ import annotations

import argparse
import collections
import io
import os
import pickle
import re
import sys
import zipfile

import numpy as np

from gan_jax.metrics.inception import KNOWN_SOURCES, file_sha256

LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
_DTYPES = {"FloatStorage": np.float32, "DoubleStorage": np.float64, "HalfStorage": np.float16,
           "LongStorage": np.int64, "IntStorage": np.int32, "ShortStorage": np.int16,
           "CharStorage": np.int8, "ByteStorage": np.uint8, "BoolStorage": np.bool_}


class _StorageType:
  def __init__(self, name: str):
    if name not in _DTYPES:
      raise pickle.UnpicklingError(f"unsupported tensor storage torch.{name}; expected one "
                                   f"of {sorted(_DTYPES)}.")
    self.dtype = np.dtype(_DTYPES[name])


def _rebuild_tensor(storage, storage_offset, size, stride, *unused):
  """torch._utils._rebuild_tensor(_v2) in numpy: a strided view of a 1-D storage
  (copied by `read_torch_state_dict` once the storages are filled)."""
  itemsize = storage.dtype.itemsize
  return np.lib.stride_tricks.as_strided(storage[storage_offset:], shape=tuple(size),
                                         strides=tuple(s * itemsize for s in stride))


_GLOBALS = {("collections", "OrderedDict"): collections.OrderedDict,
            ("torch._utils", "_rebuild_tensor"): _rebuild_tensor,
            ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor}


class _Unpickler(pickle.Unpickler):
  """Unpickles a state dict; `load_storage(key, dtype, numel)` supplies storages."""

  def __init__(self, file, load_storage):
    super().__init__(file)
    self._load_storage = load_storage

  def find_class(self, module, name):
    if module == "torch" and name.endswith("Storage"):
      return _StorageType(name)
    if (module, name) in _GLOBALS:
      return _GLOBALS[(module, name)]
    raise pickle.UnpicklingError(f"{module}.{name} is not allowed in a weights file (only "
                                 "tensors in dicts are read).")

  def persistent_load(self, pid):
    if not (isinstance(pid, tuple) and pid and pid[0] == "storage"):
      raise pickle.UnpicklingError(f"unexpected persistent id {pid!r}.")
    storage_type, key, numel = pid[1], str(pid[2]), int(pid[4])
    storage = self._load_storage(key, storage_type.dtype, numel)
    view = pid[5] if len(pid) > 5 else None  # legacy views: (view key, offset, size)
    if view is not None:
      _, offset, size = view
      storage = storage[offset:offset + size]
    return storage


def _read_zip(path: str) -> dict:
  with zipfile.ZipFile(path) as zf:
    pickles = [n for n in zf.namelist() if n.endswith("/data.pkl") or n == "data.pkl"]
    if len(pickles) != 1:
      raise ValueError(f"{path}: a torch zip archive holds one data.pkl, found {pickles}.")
    prefix = pickles[0][:-len("data.pkl")]

    def load_storage(key, dtype, numel):
      raw = zf.read(f"{prefix}data/{key}")
      return np.frombuffer(raw, dtype.newbyteorder("<"), count=numel).astype(dtype)

    return _Unpickler(io.BytesIO(zf.read(pickles[0])), load_storage).load()


def _read_legacy(path: str) -> dict:
  with open(path, "rb") as f:
    if pickle.load(f) != LEGACY_MAGIC:
      raise ValueError(f"{path} is neither a torch zip archive nor a legacy torch file.")
    pickle.load(f)  # protocol version
    pickle.load(f)  # sys info
    # The storages' bytes follow the pickle: hand out empty storages (tensors are views
    # of them) and fill them in place afterwards.
    storages: dict = {}
    result = _Unpickler(f, lambda key, dtype, numel: storages.setdefault(
        key, np.empty(numel, dtype))).load()
    for key in pickle.load(f):  # in this order: int64 numel, then the raw data
      storage = storages[key]
      numel = int(np.frombuffer(f.read(8), "<i8")[0])
      if numel != storage.size:
        raise ValueError(f"{path}: storage {key} holds {numel} values, the pickle says "
                         f"{storage.size}; the file is corrupt.")
      raw = f.read(numel * storage.itemsize)
      storage[:] = np.frombuffer(raw, storage.dtype.newbyteorder("<"), count=numel)
  return result


def read_torch_state_dict(path: str) -> dict[str, np.ndarray]:
  """{key: numpy array} of a torch.save'd state dict (zip or legacy format), no torch."""
  state = _read_zip(path) if zipfile.is_zipfile(path) else _read_legacy(path)
  if not isinstance(state, dict):
    raise ValueError(f"{path} holds a {type(state).__name__}, not a state dict.")
  return {str(k): np.array(v) for k, v in state.items()}


def write_npz(path: str, arrays: dict[str, np.ndarray]):
  """np.savez with fixed timestamps and sorted names: same arrays, same bytes."""
  with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:
    for name in sorted(arrays):
      info = zipfile.ZipInfo(name + ".npy", date_time=(1980, 1, 1, 0, 0, 0))
      with zf.open(info, "w", force_zip64=True) as f:
        np.lib.format.write_array(f, np.asarray(arrays[name]), allow_pickle=False)


def convert(src: str, dst: str) -> dict:
  """Writes `dst` (.npz) from the state dict in `src` (.pth); returns the hashes."""
  source_sha = file_sha256(src)
  match = re.search(r"-([0-9a-f]{8,64})\.pth?$", os.path.basename(src))
  if match and not source_sha.startswith(match.group(1)):
    # torch.hub names files <name>-<first hex digits of sha256>.pth.
    print(f"warning: {src} has sha256 {source_sha}, which does not start with the "
          f"{match.group(1)} in its name: the file may be corrupt or a different one.",
          file=sys.stderr)
  state = read_torch_state_dict(src)
  arrays = {k: v for k, v in state.items() if not k.endswith("num_batches_tracked")}
  arrays["source_sha256"] = np.array(source_sha)
  write_npz(dst, arrays)
  return {"source_sha256": source_sha, "npz_sha256": file_sha256(dst),
          "num_arrays": len(arrays) - 1}


def main(argv=None):
  parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
  parser.add_argument("src", help="pytorch-fid's pt_inception-2015-12-05-6726825d.pth")
  parser.add_argument("dst", help="output .npz (set eval.inception_weights to it)")
  args = parser.parse_args(argv)
  if not args.dst.endswith(".npz"):
    parser.error(f"the output must end in .npz, got {args.dst!r}.")
  info = convert(args.src, args.dst)
  known = KNOWN_SOURCES.get(info["source_sha256"])
  print(f"wrote {args.dst}: {info['num_arrays']} arrays\n"
        f"  source .pth sha256: {info['source_sha256']}\n"
        f"  .npz sha256:        {info['npz_sha256']}\n"
        f"  source: {known or 'UNKNOWN - not the published FID weights; scores made with it'}"
        f"{'' if known else ' do not compare with the literature'}")


if __name__ == "__main__":
  main()
