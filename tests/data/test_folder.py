"""Folders of images: every PIL mode loads with the right values, damaged files are
skipped and counted, huge ones load at reduced scale or are refused with the reason,
and too few images is an error with the fix."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from gan_jax import config as config_lib, data
from gan_jax.data import folder, images as images_lib

RNG = np.random.default_rng(0)


def load_one(tmp_path, image: Image.Image, name="x.png", size=8, channels=3, **save):
  image.save(tmp_path / name, **save)
  x, skipped = folder.load(str(tmp_path), size=size, channels=channels, progress=False)
  side = size or min(image.size)
  assert skipped == 0 and x.shape == (1, side, side, channels)
  return x[0]


def folder_config(path, batch_size=4, **data_keys):
  c = config_lib.base()
  c.data.update(dict(name="folder", path=str(path), batch_size=batch_size, image_size=8,
                     **data_keys))
  return c


def test_16_bit_gray_is_scaled_to_8_bits_not_clipped(tmp_path):
  values = np.array([[0, 257, 32768, 65535]], np.uint16).repeat(4, 0)
  image = Image.fromarray(values)
  assert image.mode == "I;16"
  x = load_one(tmp_path, image, size=0, channels=1)[..., 0]
  np.testing.assert_array_equal(x[0], [0, 1, 128, 255])  # 32768 -> 128, not 255
  flat = load_one(tmp_path, Image.fromarray(np.full((6, 6), 32768, np.uint16)), channels=3)
  np.testing.assert_array_equal(flat, 128)


def test_32_bit_integer_mode_is_read_as_16_bit(tmp_path):
  image = Image.fromarray(np.full((6, 6), 16384, np.int32))
  assert image.mode == "I"
  assert folder.to_uint8(image)[0, 0] == 64  # 16384 * 255 / 65535 = 63.75


def test_rgba_is_composited_over_white(tmp_path):
  rgba = np.zeros((8, 8, 4), np.uint8)
  rgba[..., :3] = (200, 40, 0)
  rgba[:4, ..., 3] = 255   # opaque rows keep their colour
  rgba[4:6, ..., 3] = 128  # half transparent: halfway to white
  rgba[6:, ..., 3] = 0     # transparent: white, whatever colour is stored
  x = load_one(tmp_path, Image.fromarray(rgba))
  np.testing.assert_array_equal(x[0, 0], [200, 40, 0])
  a = 128 / 255  # 200 a + 255 (1 - a) = 227.4; 40 a + 127 = 147.1; 0 a + 127 = 127.0
  np.testing.assert_array_equal(x[4, 0], np.round(np.array([200, 40, 0]) * a + 255 * (1 - a)))
  np.testing.assert_array_equal(x[4, 0], [227, 147, 127])
  np.testing.assert_array_equal(x[7, 0], [255, 255, 255])


def test_gray_with_alpha_stays_gray_and_is_composited(tmp_path):
  la = Image.fromarray(np.stack([np.full((8, 8), 100, np.uint8),
                                 np.full((8, 8), 51, np.uint8)], -1), mode="LA")
  x = load_one(tmp_path, la, channels=1)
  np.testing.assert_array_equal(x, 224)  # 100 * 0.2 + 255 * 0.8 = 224


def test_palette_images_use_their_palette_and_transparency(tmp_path):
  image = Image.new("P", (8, 8))
  image.putpalette([10, 20, 30, 200, 100, 50] + [0] * (768 - 6))
  image.putdata([0, 1] * 32)  # columns alternate palette entries 0 and 1
  x = load_one(tmp_path, image, size=0)
  np.testing.assert_array_equal(x[0, :2], [[10, 20, 30], [200, 100, 50]])
  image.info["transparency"] = 0  # entry 0 transparent -> white
  x = load_one(tmp_path, image, name="x.png", size=0, transparency=0)
  np.testing.assert_array_equal(x[0, :2], [[255, 255, 255], [200, 100, 50]])


def test_one_bit_and_gray_images(tmp_path):
  bits = np.zeros((8, 8), bool)
  bits[:, 4:] = True
  x = load_one(tmp_path, Image.fromarray(bits), size=0, channels=1)[..., 0]
  np.testing.assert_array_equal(x[0], [0] * 4 + [255] * 4)
  gray = RNG.integers(0, 255, (8, 8), np.uint8)
  x = load_one(tmp_path, Image.fromarray(gray), size=0, channels=3)
  np.testing.assert_array_equal(x, np.repeat(gray[..., None], 3, -1))


def test_cmyk_jpeg_converts_to_rgb(tmp_path):
  cmyk = Image.new("CMYK", (16, 16), (0, 255, 255, 0))  # pure red in CMYK
  x = load_one(tmp_path, cmyk, name="x.jpg", size=0, quality=100)
  assert x[..., 0].min() > 230 and x[..., 1:].max() < 25


def write_damaged(directory):
  """Six files no decoder can read fully; returns their names."""
  good = directory / "good.png"
  Image.fromarray(RNG.integers(0, 255, (40, 40, 3), np.uint8)).save(good)
  Image.fromarray(RNG.integers(0, 255, (40, 40, 3), np.uint8)).save(directory / "good.jpg")
  png, jpg = good.read_bytes(), (directory / "good.jpg").read_bytes()
  idat = png.index(b"IDAT")
  bad = {
      "random.png": RNG.integers(0, 255, 500, np.uint8).tobytes(),
      "text.jpg": b"this is not a jpeg",
      "empty.png": b"",
      "half.png": png[:len(png) // 2],
      "half.jpg": jpg[:len(jpg) // 2],
      "crc.png": png[:idat + 8] + bytes(b ^ 0xFF for b in png[idat + 8:idat + 40]) +
                 png[idat + 40:],
  }
  for name, raw in bad.items():
    (directory / name).write_bytes(raw)
  return sorted(bad)


def test_damaged_files_are_skipped_and_counted(tmp_path, capsys):
  names = write_damaged(tmp_path)
  x, skipped = folder.load(str(tmp_path), size=8, channels=3, progress=False)
  assert x.shape == (2, 8, 8, 3) and skipped == len(names) == 6
  assert f"Skipped 6 unreadable of 8 image files in {tmp_path}" in capsys.readouterr().out


def test_a_folder_of_only_damaged_files_is_an_error_naming_it(tmp_path):
  write_damaged(tmp_path)
  for good in ("good.png", "good.jpg"):
    (tmp_path / good).unlink()
  with pytest.raises(ValueError, match=rf"data.path='{tmp_path}': none of its 6 image files "
                     r"could be read \(first: .*crc.png: "):
    folder.load(str(tmp_path), progress=False)


def test_huge_jpeg_decodes_at_reduced_scale_past_the_bomb_limit(tmp_path, monkeypatch):
  # A smooth 800x600 photo: decoded at 1/8 scale (100x75) for a 64-pixel target.
  yy, xx = np.mgrid[0:600, 0:800]
  photo = np.stack([xx * 255 // 800, yy * 255 // 600, (xx + yy) * 255 // 1400], -1)
  Image.fromarray(photo.astype(np.uint8)).save(tmp_path / "photo.jpg", quality=95)
  with folder._open(str(tmp_path / "photo.jpg"), 64) as img:
    assert img.size == (100, 75)
  reduced, _ = folder.load(str(tmp_path), size=64, progress=False)
  with Image.open(tmp_path / "photo.jpg") as img:  # the whole image, then resized
    full = images_lib.fit(np.asarray(img.convert("RGB")), 64, 3)
  assert np.abs(reduced[0].astype(int) - full).mean() < 2.0
  # Past PIL's limit (made small here): the JPEG still loads, at reduced scale.
  monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 20_000)  # 480k pixels > 2 x 20k
  with pytest.raises(Image.DecompressionBombError):
    Image.open(tmp_path / "photo.jpg")
  bomb, skipped = folder.load(str(tmp_path), size=64, progress=False)
  assert skipped == 0
  np.testing.assert_array_equal(bomb, reduced)


def test_huge_images_that_cannot_be_reduced_are_refused_with_the_reason(tmp_path, monkeypatch):
  pixels = RNG.integers(0, 255, (300, 300, 3), np.uint8)
  Image.fromarray(pixels).save(tmp_path / "big.png")
  Image.fromarray(pixels).save(tmp_path / "big.jpg")
  monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 500)  # even 1/8 scale (38x38) is over
  with pytest.raises(ValueError, match=r"none of its 2 image files could be read \(first: "
                     r".*big.jpg: DecompressionBombError: 38x38 pixels after reduced-scale "
                     r"decoding, over PIL's decompression-bomb limit of 1000 pixels; "
                     r"downscale the file, or raise PIL.Image.MAX_IMAGE_PIXELS"):
    folder.load(str(tmp_path), size=8, progress=False)
  (tmp_path / "big.jpg").unlink()
  with pytest.raises(ValueError, match=r"big.png: DecompressionBombError: Image size \(90000 "
                     r"pixels\) exceeds limit of 1000 pixels.*; downscale the file"):
    folder.load(str(tmp_path), size=8, progress=False)


def test_fewer_images_than_the_batch_is_an_error_with_the_fix(tmp_path):
  Image.fromarray(RNG.integers(0, 255, (8, 8, 3), np.uint8)).save(tmp_path / "only.png")
  with pytest.raises(ValueError, match=rf"data.path='{tmp_path}' has 1 examples, fewer than "
                     r"data.batch_size=4 \(one batch\); set --config.data.batch_size to at "
                     r"most 1, or add examples"):
    data.get_source(folder_config(tmp_path, batch_size=4))
  source = data.get_source(folder_config(tmp_path, batch_size=1))  # one image, batch 1: fine
  assert source.batch(3)["x"].shape == (1, 8, 8, 3)
  assert source.reference(64, 0).shape == (1, 8, 8, 3)  # all it has, not an error


def test_a_small_folder_of_mixed_files_is_a_source(tmp_path, capsys):
  """8 images of four formats and modes, 2 plain ones and 6 damaged files: a source of
  10 RGB images whose reference set (sample.num above its size) is all of them."""
  write_damaged(tmp_path)
  for i in range(2):
    Image.fromarray(RNG.integers(0, 65535, (30, 30), np.uint16)).save(tmp_path / f"g16_{i}.png")
    Image.fromarray(RNG.integers(0, 255, (30, 40, 4), np.uint8)).save(tmp_path / f"rgba{i}.png")
    Image.fromarray(RNG.integers(0, 255, (32, 32), np.uint8)).convert("P").save(
        tmp_path / f"p{i}.gif")
    Image.fromarray(RNG.integers(0, 255, (28, 28), np.uint8) > 128).save(tmp_path / f"b{i}.bmp")
  source = data.get_source(folder_config(tmp_path, batch_size=4))
  assert source.size == 10 and source.shape == (8, 8, 3)
  assert "Skipped 6 unreadable of 16 image files" in capsys.readouterr().out
  x = source.batch(0)["x"]
  assert x.shape == (4, 8, 8, 3) and x.min() >= -1.0 and x.max() <= 1.0
  assert source.reference(64, 0).shape == (10, 8, 8, 3)
