"""`captioned_shapes`: rendered scenes of one or two shapes with captions that state
what the picture shows (text-to-image; Reed et al. 2016's setting on procedural data).

Attributes of a shape: shape (circle, square, triangle, star, diamond, hexagon), colour
(red, green, blue, yellow, orange, purple, pink, cyan, brown; RGB in `RGB`), size
(small, large), position (left, right, top, bottom, centre); of the scene: background
(dark, light, gray). `attributes` int32 [N, 9] = (shape, colour, size, position,
background, shape2, colour2, size2, position2), value indices into `VALUES`; the
last four are -1 for one-shape scenes. The first shape is the main one: y = its shape.
30% of the scenes have a second shape; both then sit at two different positions of
left/right/top/bottom (never centre, so they never overlap), and the caption states
both: the main clause (with the background) + " and a {size} {colour} {shape}
{position}". Captions never contain "and" otherwise (`parse_caption` relies on it).

Rendering (PIL ImageDraw, 4x supersampled, box-filtered down, so edges are
anti-aliased): centres at fractions (x, y) of the image `CENTRES` +- 0.025, radius
(circumradius) 0.09 (small) or 0.16 (large) of the width +- 0.01, polygons rotated
+- 10 degrees, colours +- 12 and backgrounds +- 8 per channel (uniform).

Held out for testing generalisation (fixed, not the run's seed):
- phrasings: `HELD_OUT_TEMPLATES` (2 sentence forms) never caption a training image;
- combinations: `HELD_OUT_PAIRS`, one colour per shape (circle-green, square-yellow,
  triangle-purple, star-cyan, diamond-red, hexagon-blue), never drawn in a training
  image (neither shape of a scene).
Splits (scenes from ``default_rng([SEED, split index])``, so the first n scenes of a
build with `data.limit=n` are the first n of the full build):
- `train` (20,000): seen phrasings, seen combinations;
- `test` (3,000): every scene is novel in one way, in thirds by row i % 3: 0 held-out
  phrasing of a seen combination, 1 seen phrasing of a held-out combination (the main
  shape's), 2 both; per-image flags `novel_template`, `novel_combination`;
- `test_seen` (2,000): seen phrasings and combinations on new images.
Each image has 5 captions (template and synonyms drawn per caption).
"""
from __future__ import annotations

import json
from typing import NamedTuple

import numpy as np
import tqdm
from PIL import Image, ImageDraw

from gan_jax import cache
from gan_jax.data import captions as captions_lib

SHAPES = ("circle", "square", "triangle", "star", "diamond", "hexagon")
RGB = {"red": (220, 30, 30), "green": (40, 170, 40), "blue": (40, 80, 230),
       "yellow": (240, 220, 30), "orange": (250, 140, 0), "purple": (140, 50, 200),
       "pink": (250, 130, 200), "cyan": (0, 210, 220), "brown": (130, 75, 25)}
COLOURS = tuple(RGB)
SIZES = ("small", "large")
POSITIONS = ("left", "right", "top", "bottom", "centre")
BACKGROUND_RGB = {"dark": (25, 25, 25), "light": (235, 235, 235), "gray": (120, 120, 120)}
BACKGROUNDS = tuple(BACKGROUND_RGB)
VALUES = {"shape": SHAPES, "colour": COLOURS, "size": SIZES, "position": POSITIONS,
          "background": BACKGROUNDS}
ATTRIBUTES = ("shape", "colour", "size", "position", "background",
              "shape2", "colour2", "size2", "position2")

SYNONYMS = {
    "shape": {"circle": ("circle", "disc", "round shape"), "square": ("square", "box", "block"),
              "triangle": ("triangle", "wedge"), "star": ("star", "five-pointed star"),
              "diamond": ("diamond", "rhombus", "lozenge"),
              "hexagon": ("hexagon", "six-sided shape")},
    "colour": {"red": ("red", "crimson", "scarlet"), "green": ("green", "emerald", "lime"),
               "blue": ("blue", "cobalt", "azure"), "yellow": ("yellow", "lemon", "golden"),
               "orange": ("orange", "tangerine", "amber"), "purple": ("purple", "violet"),
               "pink": ("pink", "rose"), "cyan": ("cyan", "turquoise", "aqua"),
               "brown": ("brown", "chocolate", "chestnut")},
    "size": {"small": ("small", "tiny", "little"), "large": ("large", "big", "huge")},
    "position": {"left": ("on the left", "at the left", "on the left side"),
                 "right": ("on the right", "at the right", "on the right side"),
                 "top": ("at the top", "near the top", "in the upper part"),
                 "bottom": ("at the bottom", "near the bottom", "in the lower part"),
                 "centre": ("in the centre", "in the middle", "in the center")},
    "background": {"dark": ("on a dark background", "on a black background",
                            "against a dark backdrop"),
                   "light": ("on a light background", "on a white background",
                             "against a pale backdrop"),
                   "gray": ("on a gray background", "on a grey background",
                            "against a gray backdrop")},
}
TEMPLATES = ("a {size} {colour} {shape} {position} {background}",
             "{position} there is a {size} {colour} {shape} {background}",
             "a {colour} {shape} that is {size} {position} {background}",
             "{background} a {size} {colour} {shape} sits {position}",
             "this picture shows a {size} {colour} {shape} {position} {background}")
HELD_OUT_TEMPLATES = ("there is a {size} {colour} {shape} {position} {background}",
                      "{background} you can see a {colour} {shape} of {size} size {position}")
SECOND = " and a {size} {colour} {shape} {position}"
HELD_OUT_PAIRS = (("circle", "green"), ("square", "yellow"), ("triangle", "purple"),
                  ("star", "cyan"), ("diamond", "red"), ("hexagon", "blue"))

CENTRES = {"left": (0.2, 0.5), "right": (0.8, 0.5), "top": (0.5, 0.2), "bottom": (0.5, 0.8),
           "centre": (0.5, 0.5)}
RADII = {"small": 0.09, "large": 0.16}
POSITION_JITTER, RADIUS_JITTER, ROTATION_JITTER = 0.025, 0.01, 10.0
COLOUR_JITTER, BACKGROUND_JITTER = 12, 8
SUPERSAMPLE = 4
COUNTS = {"train": 20_000, "test": 3_000, "test_seen": 2_000}
SPLITS = tuple(COUNTS)
CAPTIONS_PER_IMAGE = 5
TWO_SHAPE_FRACTION = 0.3
DEFAULT_SIZE = 64
SEED = 0
VERSION = 1


class Shape(NamedTuple):
  """One shape of a scene: kind (index into SHAPES), fill RGB, centre (cx, cy) and radius
  as fractions of the image width, rotation in degrees."""
  kind: int
  fill: tuple
  cx: float
  cy: float
  radius: float
  rotation: float = 0.0


def outline(shape: Shape, scale: float) -> list[tuple[float, float]]:
  """The polygon of a non-circle shape in pixels of an image `scale` wide (pointing up)."""
  cx, cy, r = shape.cx * scale, shape.cy * scale, shape.radius * scale
  name = SHAPES[shape.kind]
  if name == "star":
    angles = np.arange(10) * 36.0 - 90.0
    radii = np.where(np.arange(10) % 2 == 0, r, 0.45 * r)
  else:
    corners, start = {"square": (4, 45.0), "triangle": (3, -90.0), "diamond": (4, -90.0),
                      "hexagon": (6, 0.0)}[name]
    angles = start + np.arange(corners) * 360.0 / corners
    radii = np.full(corners, r)
  theta = np.deg2rad(angles + shape.rotation)
  xs, ys = radii * np.cos(theta), radii * np.sin(theta)
  if name == "diamond":  # a rhombus, narrower than tall, so it is never a tilted square
    xs = xs * 0.7
  return [(cx + x, cy + y) for x, y in zip(xs, ys)]


def render(shapes: list[Shape], background: tuple, size: int) -> np.ndarray:
  """uint8 [size, size, 3]: the shapes on a plain background, drawn at 4x and
  box-filtered down (anti-aliased edges)."""
  big = size * SUPERSAMPLE
  canvas = Image.new("RGB", (big, big), tuple(int(c) for c in background))
  draw = ImageDraw.Draw(canvas)
  for s in shapes:
    fill = tuple(int(c) for c in s.fill)
    if SHAPES[s.kind] == "circle":
      r = 0.85 * s.radius * big  # about the area of the other shapes
      draw.ellipse([s.cx * big - r, s.cy * big - r, s.cx * big + r, s.cy * big + r], fill=fill)
    else:
      draw.polygon(outline(s, big), fill=fill)
  return np.asarray(canvas.resize((size, size), Image.BOX))


def _jittered(rng, rgb, amount: int) -> tuple:
  return tuple(np.clip(np.asarray(rgb) + rng.integers(-amount, amount + 1, 3), 0, 255))


def _pair(rng, novel: bool) -> tuple[int, int]:
  """(shape, colour) indices: a held-out pair, or any other pair."""
  if novel:
    s, c = HELD_OUT_PAIRS[rng.integers(len(HELD_OUT_PAIRS))]
    return SHAPES.index(s), COLOURS.index(c)
  while True:
    s, c = int(rng.integers(len(SHAPES))), int(rng.integers(len(COLOURS)))
    if (SHAPES[s], COLOURS[c]) not in HELD_OUT_PAIRS:
      return s, c


def sample_scene(rng, novel_combination: bool):
  """(attributes int32 [9], shapes, background RGB) of one random scene."""
  attrs = np.full(len(ATTRIBUTES), -1, np.int32)
  two = rng.random() < TWO_SHAPE_FRACTION
  positions = (rng.permutation(4)[:2] if two else [rng.integers(len(POSITIONS))])
  shapes = []
  for k, position in enumerate(positions):
    kind, colour = _pair(rng, novel_combination and k == 0)
    size = int(rng.integers(len(SIZES)))
    first = 0 if k == 0 else 5  # the second shape's attributes follow the background
    attrs[first:first + 4] = kind, colour, size, position
    cx, cy = np.asarray(CENTRES[POSITIONS[position]]) + rng.uniform(
        -POSITION_JITTER, POSITION_JITTER, 2)
    radius = RADII[SIZES[size]] + rng.uniform(-RADIUS_JITTER, RADIUS_JITTER)
    rotation = rng.uniform(-ROTATION_JITTER, ROTATION_JITTER)
    shapes.append(Shape(kind, _jittered(rng, RGB[COLOURS[colour]], COLOUR_JITTER),
                        float(cx), float(cy), float(radius), float(rotation)))
  attrs[4] = rng.integers(len(BACKGROUNDS))
  background = _jittered(rng, BACKGROUND_RGB[BACKGROUNDS[attrs[4]]], BACKGROUND_JITTER)
  return attrs, shapes, background


def _phrases(rng, attrs: np.ndarray, offset: int) -> dict:
  names = ("shape", "colour", "size", "position")
  out = {n: rng.choice(SYNONYMS[n][VALUES[n][attrs[offset + i]]]) for i, n in enumerate(names)}
  out["background"] = rng.choice(SYNONYMS["background"][BACKGROUNDS[attrs[4]]])
  return out


def caption(rng, attrs: np.ndarray, templates: tuple) -> str:
  """A caption of a scene: a template of `templates` with a synonym for every slot."""
  text = templates[rng.integers(len(templates))].format(**_phrases(rng, attrs, 0))
  if attrs[5] >= 0:
    text += SECOND.format(**_phrases(rng, attrs, 5))
  return captions_lib.fix_articles(" ".join(text.split()))


def vocab() -> list[str]:
  """The word vocabulary of every template and synonym (held-out ones included)."""
  phrases = [t.format(**{k: "" for k in SYNONYMS}) for t in TEMPLATES + HELD_OUT_TEMPLATES]
  phrases += [SECOND.format(**{k: "" for k in SYNONYMS}), "an"]
  phrases += [p for table in SYNONYMS.values() for options in table.values() for p in options]
  return captions_lib.build_vocab(phrases)


def training_words() -> list[str]:
  """The words that occur in training captions (`TEMPLATES`, the second clause and every
  synonym): the held-out phrasings' other words (e.g. "you", "can", "see") are in
  `vocab` but no training caption trains their embeddings."""
  phrases = [t.format(**{k: "" for k in SYNONYMS}) for t in TEMPLATES]
  phrases += [SECOND.format(**{k: "" for k in SYNONYMS}), "an"]
  phrases += [p for table in SYNONYMS.values() for options in table.values() for p in options]
  return sorted({w for p in phrases for w in captions_lib.words(p)})


def max_length() -> int:
  """The most words a caption can have (main clause + the second shape's clause)."""
  slots = {k: [p for options in v.values() for p in options] for k, v in SYNONYMS.items()}
  return (max(captions_lib.expansions_length(t, slots) for t in TEMPLATES + HELD_OUT_TEMPLATES)
          + captions_lib.expansions_length(SECOND, slots))


def _find(clause: list[str], category: str) -> int:
  """The one value of `category` whose synonym occurs in the clause's words, else -1."""
  found = set()
  for v, options in enumerate(SYNONYMS[category].values()):
    for phrase in options:
      p = captions_lib.words(phrase)
      if any(clause[i:i + len(p)] == p for i in range(len(clause) - len(p) + 1)):
        found.add(v)
  return found.pop() if len(found) == 1 else -1


def parse_caption(text: str) -> np.ndarray:
  """int32 [9]: the attributes a caption states (-1 where it states none or several):
  the main clause, then the second shape's clause after "and". Works on any caption
  built from the synonyms, e.g. a user's captions file, to score adherence."""
  main, _, second = " ".join(captions_lib.words(text)).partition(" and ")
  out = np.full(len(ATTRIBUTES), -1, np.int32)
  for offset, clause, names in ((0, main, ("shape", "colour", "size", "position", "background")),
                                (5, second, ("shape", "colour", "size", "position"))):
    for i, name in enumerate(names):
      out[offset + i] = _find(clause.split(), name) if clause else -1
  return out


def build(split: str, size: int, count: int, progress: bool = True) -> dict:
  """{"images": uint8 [n, size, size, 3], "attributes": int32 [n, 9], "captions": str
  [n, 5], "tokens": int32 [n, 5, L], "novel_template", "novel_combination": int32 [n]}."""
  rng = np.random.default_rng([SEED, SPLITS.index(split)])
  rows = np.arange(count)
  novel_template = ((rows % 3 != 1) if split == "test" else np.zeros(count, bool))
  novel_combination = ((rows % 3 != 0) if split == "test" else np.zeros(count, bool))
  images = np.zeros((count, size, size, 3), np.uint8)
  attributes = np.zeros((count, len(ATTRIBUTES)), np.int32)
  texts = []
  for i in tqdm.trange(count, desc=f"rendering shapes ({split})", unit="img",
                       disable=not progress, leave=False, mininterval=1.0):
    attributes[i], shapes, background = sample_scene(rng, novel_combination[i])
    images[i] = render(shapes, background, size)
    templates = HELD_OUT_TEMPLATES if novel_template[i] else TEMPLATES
    texts.append([caption(rng, attributes[i], templates) for _ in range(CAPTIONS_PER_IMAGE)])
  texts = np.array(texts).reshape(count, CAPTIONS_PER_IMAGE)
  tokens = captions_lib.encode(texts.reshape(-1), vocab(), max_length())
  return {"images": images, "attributes": attributes, "captions": texts,
          "tokens": tokens.reshape(count, CAPTIONS_PER_IMAGE, -1),
          "novel_template": novel_template.astype(np.int32),
          "novel_combination": novel_combination.astype(np.int32)}


def tables() -> str:
  """Everything the scenes and captions are made from, as one string (a cache key)."""
  return json.dumps([SYNONYMS, TEMPLATES, HELD_OUT_TEMPLATES, SECOND, HELD_OUT_PAIRS, RGB,
                     BACKGROUND_RGB, CENTRES, RADII, POSITION_JITTER, RADIUS_JITTER,
                     ROTATION_JITTER, COLOUR_JITTER, BACKGROUND_JITTER, SUPERSAMPLE,
                     CAPTIONS_PER_IMAGE, TWO_SHAPE_FRACTION], sort_keys=True)


def load(split: str, size: int = DEFAULT_SIZE, limit: int = 0, progress: bool = True) -> dict:
  """`build`'s arrays for `split`, cached (`limit` > 0: only the first `limit` scenes)."""
  if split not in SPLITS:
    raise ValueError(f"captioned_shapes has splits {', '.join(SPLITS)}, not {split!r}.")
  if size < 16:
    raise ValueError(f"data.image_size={size} is too small for captioned_shapes; use 32 or 64.")
  count = min(limit, COUNTS[split]) if limit else COUNTS[split]
  params = {"version": VERSION, "split": split, "size": size, "count": count, "seed": SEED,
            "tables": cache.digest({"tables": tables()}),
            "libraries": cache.versions("pillow", "numpy")}
  return cache.cached("captioned_shapes", params, lambda: build(split, size, count, progress))
