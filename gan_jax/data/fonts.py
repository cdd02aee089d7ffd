"""CJK glyphs in two styles: Kai (AR PL UKai, `fonts-arphic-ukai`) and Ming (AR PL UMing,
`fonts-arphic-uming`), the same character in both (zi2zi's font-to-font setting).

Characters: the 3,755 level-1 hanzi of GB2312 (bytes 0xB0A1..0xD7F9 decoded with the
'gb2312' codec), kept when both fonts really have them: the face's cmap (fontTools)
maps the code point to a glyph other than .notdef, and the rendered glyph has ink and
differs from the font's .notdef box. (Both Arphic fonts cover all 3,755.)

Rendering: face 0 of each .ttc (the "CN" face) at a font size of 0.84 x the image size
(54 px for 64 x 64: the largest level-1 glyph's ink is then 53 px in both fonts), the
glyph's ink bounding box centred in the image; white glyph (255, +1 in [-1, 1]) on a
black background (-1), grayscale, 1 channel. Both fonts use the same font size.

Split BY CHARACTER: 10% of the characters, chosen by ``default_rng(SPLIT_SEED)``
(fixed: the held-out characters do not change with the run's seed), are the test
characters and never appear in training. A character's label is its index in the
character list (``characters[y]``), the same in both splits, so a classifier trained
on all characters in one font can score translated test characters.
"""
from __future__ import annotations

import os

import numpy as np
import tqdm
from PIL import Image, ImageDraw, ImageFont

from gan_jax import cache

FONT_DIR = "/usr/share/fonts/truetype/arphic"
FONTS = {"kai": ("ukai.ttc", "fonts-arphic-ukai"), "ming": ("uming.ttc", "fonts-arphic-uming")}
SIZE = 64
FONT_SCALE = 0.84   # font size / image size
TEST_FRACTION = 0.1
SPLIT_SEED = 0
VERSION = 1
_UNASSIGNED = "\u0378"  # no font maps it: renders as the .notdef glyph


def gb2312_level1() -> list[str]:
  """The 3,755 level-1 hanzi of GB2312 in code order (rows 0xB0..0xD7, cells 0xA1..0xFE;
  row 0xD7 ends at 0xF9)."""
  codes = [bytes([row, cell]) for row in range(0xB0, 0xD8) for cell in range(0xA1, 0xFF)
           if (row, cell) <= (0xD7, 0xF9)]
  return [c.decode("gb2312") for c in codes]


def font_path(style: str) -> str:
  path = os.path.join(FONT_DIR, FONTS[style][0])
  if not os.path.exists(path):
    raise FileNotFoundError(
        f"The {style} font {path} is missing; the fonts data sets need both Arphic fonts: "
        f"apt-get install {' '.join(p for _, p in FONTS.values())}")
  return path


def render(font: ImageFont.FreeTypeFont, char: str, size: int) -> np.ndarray:
  """uint8 [size, size]: `char` in white on black, its ink bounding box centred."""
  canvas = Image.new("L", (2 * size, 2 * size), 0)
  ImageDraw.Draw(canvas).text((size, size), char, fill=255, font=font, anchor="mm")
  out = np.zeros((size, size), np.uint8)
  box = canvas.getbbox()
  if box is None:
    return out
  ink = np.asarray(canvas.crop(box))[:size, :size]
  top, left = (size - ink.shape[0]) // 2, (size - ink.shape[1]) // 2
  out[top:top + ink.shape[0], left:left + ink.shape[1]] = ink
  return out


def has_glyphs(path: str, chars: list[str]) -> np.ndarray:
  """bool [len(chars)]: face 0's cmap maps each character to a glyph other than .notdef."""
  from fontTools.ttLib import TTCollection
  collection = TTCollection(path, lazy=True)
  try:
    cmap = collection.fonts[0].getBestCmap()
  finally:
    collection.close()
  return np.array([cmap.get(ord(c), ".notdef") != ".notdef" for c in chars])


def render_all(style: str, chars: list[str], size: int, progress: bool = True):
  """(uint8 [M, size, size, 1] glyphs, bool [M] whether each is a real glyph)."""
  path = font_path(style)
  font = ImageFont.truetype(path, int(round(FONT_SCALE * size)), index=0)
  notdef = render(font, _UNASSIGNED, size)
  glyphs = np.stack([render(font, c, size) for c in tqdm.tqdm(
      chars, desc=f"rendering {style}", unit="char", disable=not progress, leave=False,
      mininterval=1.0)])
  real = has_glyphs(path, chars) & glyphs.any(axis=(1, 2)) & \
      ~(glyphs == notdef).all(axis=(1, 2))
  return glyphs[..., None], real


def build(size: int, limit: int, progress: bool = True) -> dict:
  """{"characters": str [M], "kai", "ming": uint8 [M, size, size, 1], "test": bool [M]}."""
  chars = gb2312_level1()[:limit or None]
  kai, kai_real = render_all("kai", chars, size, progress)
  ming, ming_real = render_all("ming", chars, size, progress)
  keep = kai_real & ming_real
  if not keep.any():
    raise ValueError(f"Neither font in {FONT_DIR} renders any of the {len(chars)} GB2312 "
                     "characters; reinstall fonts-arphic-ukai and fonts-arphic-uming.")
  m = int(keep.sum())
  test = np.zeros(m, bool)
  test[np.random.default_rng(SPLIT_SEED).permutation(m)[:max(1, round(TEST_FRACTION * m))]] = True
  return {"characters": np.array(chars)[keep], "kai": kai[keep], "ming": ming[keep],
          "test": test}


def load(size: int = SIZE, limit: int = 0, progress: bool = True) -> dict:
  """`build`'s arrays, from the cache after the first call (`limit`: only the first
  `limit` characters of the GB2312 list, for tests and quick looks)."""
  for style in FONTS:
    font_path(style)
  params = {"version": VERSION, "size": size, "limit": limit, "scale": FONT_SCALE,
            "test_fraction": TEST_FRACTION, "seed": SPLIT_SEED,
            "fonts": {s: os.path.getsize(font_path(s)) for s in FONTS},
            "libraries": cache.versions("pillow", "fonttools")}
  return cache.cached("fonts", params, lambda: build(size, limit, progress))


def split_rows(glyphs: dict, split: str) -> np.ndarray:
  """Row indices (= labels) of a split's characters: 'train', 'test' or 'all'."""
  if split == "all":
    return np.arange(len(glyphs["test"]))
  if split not in ("train", "test"):
    raise ValueError(f"The fonts data sets have splits train, test and all, not {split!r}.")
  return np.flatnonzero(glyphs["test"] == (split == "test"))


def unpaired_halves(glyphs: dict) -> tuple[np.ndarray, np.ndarray]:
  """Disjoint halves of the training characters: (rows shown in Kai, rows shown in Ming)."""
  rows = split_rows(glyphs, "train")
  rows = rows[np.random.default_rng([SPLIT_SEED, 1]).permutation(len(rows))]
  half = len(rows) // 2
  return np.sort(rows[:half]), np.sort(rows[half:])
