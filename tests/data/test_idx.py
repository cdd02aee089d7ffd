"""IDX files: the round trip, and every kind of damage named with the file."""
from __future__ import annotations

import gzip

import numpy as np
import pytest

from gan_jax import config as config_lib, data
from gan_jax.data import idx

IMAGES, LABELS = idx.FILES["train"]


def idx_bytes(array: np.ndarray, code: int = 0x08) -> bytes:
  header = bytes([0, 0, code, array.ndim]) + b"".join(d.to_bytes(4, "big") for d in array.shape)
  return header + array.astype(np.dtype(idx._DTYPES[code])).tobytes()


def write(path, raw: bytes, gz: bool = True):
  if gz:
    with gzip.open(str(path) + ".gz", "wb") as f:
      f.write(raw)
  else:
    path.write_bytes(raw)


def write_pair(directory, n_images=6, n_labels=6, gz=True, cut=0, extra=b""):
  rng = np.random.default_rng(0)
  images = rng.integers(0, 255, (n_images, 5, 4), np.uint8)
  labels = rng.integers(0, 10, (n_labels,), np.uint8)
  raw = idx_bytes(images)
  write(directory / IMAGES, raw[:len(raw) - cut] + extra, gz)
  write(directory / LABELS, idx_bytes(labels), gz)
  return images, labels


@pytest.mark.parametrize("gz", [True, False])
def test_round_trip(tmp_path, gz):
  images, labels = write_pair(tmp_path, gz=gz)
  x, y = idx.load_idx_pair(str(tmp_path), "train")
  assert x.shape == (6, 5, 4, 1) and y.dtype == np.int32
  np.testing.assert_array_equal(x[..., 0], images)
  np.testing.assert_array_equal(y, labels)
  assert idx.load_idx_pair(str(tmp_path), "test") is None  # not there: None, not an error


def test_other_dtypes_are_big_endian(tmp_path):
  values = np.array([[1.5, -2.0], [3.25, 1000.0]])
  for code in (0x0B, 0x0C, 0x0D, 0x0E):
    (tmp_path / "a").write_bytes(idx_bytes(values if code > 0x0C else values.astype(int), code))
    np.testing.assert_array_equal(idx.read_idx(str(tmp_path / "a")),
                                  values if code > 0x0C else values.astype(int))


@pytest.mark.parametrize("gz", [True, False])
def test_truncated_says_truncated_with_the_sizes(tmp_path, gz):
  write_pair(tmp_path, cut=7, gz=gz)
  with pytest.raises(ValueError, match=r"train-images-idx3-ubyte(\.gz)? is truncated: its "
                     r"header says shape \(6, 5, 4\) \(120 bytes of uint8\), the file holds 113"):
    idx.load_idx_pair(str(tmp_path), "train")


@pytest.mark.parametrize("gz", [True, False])
def test_trailing_bytes_are_not_called_truncated(tmp_path, gz):
  write_pair(tmp_path, extra=b"\x00" * 9, gz=gz)
  with pytest.raises(ValueError, match=r"has 9 trailing bytes after the 120 bytes") as error:
    idx.load_idx_pair(str(tmp_path), "train")
  assert "truncated" not in str(error.value)


def test_half_a_value_left_over_is_trailing_too(tmp_path):
  raw = idx_bytes(np.arange(4), code=0x0B) + b"\x01"  # int16 values, one odd byte
  (tmp_path / "a").write_bytes(raw)
  with pytest.raises(ValueError, match="1 trailing bytes after the 8 bytes"):
    idx.read_idx(str(tmp_path / "a"))


def test_header_cut_short_and_bad_magic(tmp_path):
  (tmp_path / "short").write_bytes(bytes([0, 0, 8, 3, 0, 0]))
  with pytest.raises(ValueError, match=r"short is truncated inside its header \(6 bytes; a "
                     r"rank-3 header needs 16\)"):
    idx.read_idx(str(tmp_path / "short"))
  (tmp_path / "png").write_bytes(b"\x89PNG\r\n\x1a\n")
  with pytest.raises(ValueError, match=r"png is not an IDX file \(bad magic number"):
    idx.read_idx(str(tmp_path / "png"))
  (tmp_path / "empty").write_bytes(b"")
  with pytest.raises(ValueError, match="not an IDX file"):
    idx.read_idx(str(tmp_path / "empty"))


def test_gzip_cut_short_or_corrupt(tmp_path):
  write_pair(tmp_path)
  path = tmp_path / (IMAGES + ".gz")
  raw = path.read_bytes()
  path.write_bytes(raw[:len(raw) // 2])
  with pytest.raises(ValueError, match=r"idx3-ubyte\.gz is a truncated gzip file"):
    idx.load_idx_pair(str(tmp_path), "train")
  path.write_bytes(b"\x1f\x8b" + b"\xff" * 40)
  with pytest.raises(ValueError, match=r"idx3-ubyte\.gz is not a readable gzip file"):
    idx.load_idx_pair(str(tmp_path), "train")


def test_image_and_label_counts_must_match(tmp_path):
  write_pair(tmp_path, n_images=6, n_labels=5)
  with pytest.raises(ValueError, match=r"idx3-ubyte\.gz holds 6 images but .*idx1-ubyte\.gz "
                     r"holds 5 labels"):
    idx.load_idx_pair(str(tmp_path), "train")


def test_labels_where_images_belong(tmp_path):
  labels = idx_bytes(np.zeros(6, np.uint8))
  write(tmp_path / IMAGES, labels)
  write(tmp_path / LABELS, labels)
  with pytest.raises(ValueError, match=r"shapes \(6,\) / \(6,\) \(uint8 / uint8\); "
                     r"expected uint8 images"):
    idx.load_idx_pair(str(tmp_path), "train")


def test_damaged_fashion_mnist_reaches_the_user_by_name(tmp_path, monkeypatch):
  write_pair(tmp_path, extra=b"junk")
  monkeypatch.setenv("GAN_JAX_FASHION_MNIST_DIR", str(tmp_path))
  c = config_lib.base()
  c.data.name, c.data.batch_size = "fashion_mnist", 2
  with pytest.raises(ValueError, match=r"idx3-ubyte\.gz has 4 trailing bytes"):
    data.get_source(c)
