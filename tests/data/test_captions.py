"""Captioned image sources: captioned_shapes and fashion_mnist_captions (small builds)."""
import functools
import re

import numpy as np
import pytest
from scipy import ndimage

from gan_jax import cache, config as config_lib, data
from gan_jax.data import captions, fashion, fashion_captions, images, shapes


@pytest.fixture(scope="module", autouse=True)
def cache_dir(tmp_path_factory):
  with pytest.MonkeyPatch.context() as m:  # one cache for the module: builds are shared
    path = tmp_path_factory.mktemp("cache")
    m.setenv("GAN_JAX_CACHE", str(path))
    yield path


def config(seed=0, **data_overrides):
  c = config_lib.base(seed)
  c.data.update({"batch_size": 16, **data_overrides})
  return c


@functools.lru_cache(maxsize=None)
def template_pattern(template: str) -> re.Pattern:
  """A regex matching exactly the captions a template makes (one- or two-shape)."""
  def slot(m):
    return "(?:" + "|".join(re.escape(p) for options in shapes.SYNONYMS[m.group(1)].values()
                            for p in options) + ")"
  second = re.sub(r"\\{(\w+)\\}", slot, re.escape(shapes.SECOND))
  body = re.sub(r"\\{(\w+)\\}", slot, re.escape(template))
  return re.compile(f"^{body}(?:{second})?$".replace(r"\ ", " "))


def which_template(text: str) -> set:
  every = shapes.TEMPLATES + shapes.HELD_OUT_TEMPLATES
  plain = re.sub(r"\ban\b", "a", text)  # undo the article fix before matching
  return {i for i, t in enumerate(every) if template_pattern(t).match(plain)}


def test_captioned_shapes_batches_are_deterministic_random_access():
  c = config(name="captioned_shapes", limit=96)
  one, two = data.get_source(c), data.get_source(c)
  assert (one.size, one.shape, one.num_classes, one.name) == (
      96, (64, 64, 3), 6, "captioned_shapes:train")
  b = one.batch(2)
  assert set(b) == {"x", "tokens", "caption_index", "attributes", "y"}
  assert b["x"].shape == (16, 64, 64, 3) and b["x"].dtype == np.float32
  assert -1.0 <= b["x"].min() and b["x"].max() <= 1.0
  assert b["tokens"].shape == (16, shapes.max_length()) and b["tokens"].dtype == np.int32
  assert b["attributes"].shape == (16, 9) and b["caption_index"].dtype == np.int32
  np.testing.assert_array_equal(b["y"], b["attributes"][:, 0])
  assert one.vocab[:2] == ["<pad>", "<unk>"] and (b["tokens"] > 1).any(axis=1).all()
  # the tokens are the words of the caption the index names
  texts = one.captions(b["caption_index"])
  assert list(one.decode(b["tokens"])) == [" ".join(captions.words(t)) for t in texts]
  sequence = [one.batch(i) for i in range(8)]  # crosses an epoch (6 batches)
  for i in (7, 4, 0):
    for k in b:
      np.testing.assert_array_equal(two.batch(i)[k], sequence[i][k])
  rows = np.concatenate([s["caption_index"] for s in sequence[:6]]) // 5
  assert sorted(rows) == list(range(96))  # an epoch shows every image once
  other = data.get_source(config(seed=1, name="captioned_shapes", limit=96)).batch(2)
  assert not np.array_equal(other["caption_index"], b["caption_index"])
  small = data.get_source(config(name="captioned_shapes", limit=20, image_size=32), "test_seen")
  assert small.shape == (32, 32, 3) and small.examples()["x"].shape == (20, 32, 32, 3)
  with pytest.raises(ValueError, match="data.flip=True would mirror left and right"):
    data.get_source(config(name="captioned_shapes", limit=20, flip=True))
  with pytest.raises(ValueError, match="not 'val'"):
    data.get_source(config(name="captioned_shapes", limit=20), "val")


def test_a_red_circle_on_the_left_is_red_and_on_the_left():
  red, dark = shapes.RGB["red"], shapes.BACKGROUND_RGB["dark"]
  for size, radius in (("large", 0.16), ("small", 0.09)):
    image = shapes.render([shapes.Shape(0, red, 0.2, 0.5, radius)], dark, 64)
    np.testing.assert_array_equal(image[32, 13], red)  # inside: the exact fill
    np.testing.assert_array_equal(image[2, 62], dark)
    ink = np.abs(image.astype(int) - dark).sum(-1) > 60
    rows, cols = np.nonzero(ink)  # pixel i covers [i, i + 1): its centre is i + 0.5
    assert abs(cols.mean() + 0.5 - 0.2 * 64) < 0.3 and abs(rows.mean() + 0.5 - 0.5 * 64) < 0.3
    coverage = (image[..., 0].astype(float) - dark[0]) / (red[0] - dark[0])  # 0 .. 1 per pixel
    # the disc's area (PIL's rasterisation of the 4x canvas adds about 1/8 px of radius)
    assert coverage.sum() == pytest.approx(np.pi * (0.85 * radius * 64) ** 2, rel=0.05)
    partial = (image[..., 0] > dark[0] + 5) & (image[..., 0] < red[0] - 5)  # anti-aliased
    assert partial.sum() > np.pi * 0.85 * radius * 64  # rim pixels: more than half the rim


def test_images_show_the_attributes_their_captions_state():
  s = shapes.load("test", 64, 240, progress=False)
  nearest = lambda rgb, table: int(np.argmin(
      [np.abs(np.subtract(rgb, v)).sum() for v in table.values()]))
  for image, attrs in zip(s["images"], s["attributes"]):
    background = nearest(image[0, 0], shapes.BACKGROUND_RGB)
    assert background == attrs[4]
    ink = np.abs(image.astype(int) - image[0, 0]).sum(-1) > 60
    labels, count = ndimage.label(ink, structure=np.ones((3, 3)))  # star tips touch diagonally
    assert count == (2 if attrs[5] >= 0 else 1)
    for k in range(count):
      first = 0 if k == 0 else 5
      centre = np.asarray(shapes.CENTRES[shapes.POSITIONS[attrs[first + 3]]]) * 64
      found = [np.array(ndimage.center_of_mass(labels == j + 1))[::-1] + 0.5
               for j in range(count)]
      j = int(np.argmin([np.abs(f - centre).sum() for f in found]))
      assert np.abs(found[j] - centre).max() < 2.5  # the stated position (jitter 1.6 px)
      region = labels == j + 1
      core = ndimage.binary_erosion(region, iterations=1) if region.sum() > 30 else region
      assert nearest(np.median(image[core], axis=0), shapes.RGB) == attrs[first + 1]
      # large iff the area exceeds the kind's area at radius 0.125 (small <= 0.10 <
      # 0.15 <= large): the shape's own polygon area (shoelace) at unit radius
      kind = attrs[first]
      if shapes.SHAPES[kind] == "circle":
        unit = np.pi * 0.85**2
      else:
        x, y = np.array(shapes.outline(shapes.Shape(kind, (0, 0, 0), 0, 0, 1.0), 1.0)).T
        unit = 0.5 * abs(np.dot(x, np.roll(y, 1)) - np.dot(y, np.roll(x, 1)))
      big = region.sum() > unit * (0.125 * 64) ** 2
      assert big == (attrs[first + 2] == shapes.SIZES.index("large"))


def test_captions_state_the_attributes():
  assert list(shapes.parse_caption("on the left there is a tiny crimson disc")) == [
      0, 0, 0, 0, -1, -1, -1, -1, -1]
  for split in shapes.SPLITS:
    s = shapes.load(split, 32, 300, progress=False)
    parsed = np.array([[shapes.parse_caption(t) for t in row] for row in s["captions"]])
    np.testing.assert_array_equal(parsed, np.repeat(s["attributes"][:, None], 5, axis=1))
  assert not any("and" in captions.words(t) for t in shapes.TEMPLATES + shapes.HELD_OUT_TEMPLATES)


def test_held_out_phrasings_and_combinations_never_reach_training():
  train = shapes.load("train", 32, 900, progress=False)
  held = set(range(len(shapes.TEMPLATES), len(shapes.TEMPLATES) + 2))
  seen_templates = set()
  for row in train["captions"]:
    for text in row:
      found = which_template(text)
      assert len(found) == 1 and not found & held, text
      seen_templates |= found
  assert seen_templates == set(range(len(shapes.TEMPLATES)))
  pairs = {(shapes.SHAPES.index(s), shapes.COLOURS.index(c)) for s, c in shapes.HELD_OUT_PAIRS}
  a = train["attributes"]
  drawn = {(int(s), int(c)) for s, c in np.concatenate([a[:, :2], a[a[:, 5] >= 0][:, 5:7]])}
  assert not drawn & pairs and len(drawn) == 54 - 6  # every other pair does occur
  test = shapes.load("test", 32, 300, progress=False)
  assert test["novel_template"].mean() == pytest.approx(2 / 3)
  assert test["novel_combination"].mean() == pytest.approx(2 / 3)
  for row, novel_t, attrs, novel_c in zip(test["captions"], test["novel_template"],
                                          test["attributes"], test["novel_combination"]):
    assert all((which_template(t) <= held) == bool(novel_t) for t in row)
    assert ((int(attrs[0]), int(attrs[1])) in pairs) == bool(novel_c)
  seen = shapes.load("test_seen", 32, 100, progress=False)
  assert not seen["novel_template"].any() and not seen["novel_combination"].any()
  assert not np.array_equal(seen["images"], train["images"][:100])


def test_examples_captions_and_mismatched_captions():
  source = data.get_source(config(name="captioned_shapes", limit=60), "test")
  e = source.examples(10, seed=3)
  assert set(e) >= {"x", "tokens", "caption", "attributes", "y", "novel_template",
                    "novel_combination"} and e["caption"].shape == (10,)
  np.testing.assert_array_equal(source.encode(e["caption"]), e["tokens"])
  for text, attrs in zip(e["caption"], e["attributes"]):
    np.testing.assert_array_equal(shapes.parse_caption(text), attrs)
  every = source.examples()
  assert every["x"].shape[0] == 60 and (np.diff(every["caption_index"] // 5) == 1).all()
  b = source.batch(1)
  wrong = source.mismatched(b["caption_index"], seed=0, index=1)
  np.testing.assert_array_equal(wrong, source.mismatched(b["caption_index"], seed=0, index=1))
  assert (source.attributes[wrong // 5] != b["attributes"]).any(axis=1).all()
  assert not np.array_equal(wrong, source.mismatched(b["caption_index"], seed=1, index=1))
  assert source.encode(["a purple giraffe"])[0, 2] == 1  # unknown word -> <unk>
  with pytest.raises(ValueError, match="has 40 words"):
    source.encode([" ".join(["red"] * 40)])


def test_shapes_are_cached_by_parameters(cache_dir):
  before = set((cache_dir / "data").iterdir())
  first = shapes.load("test_seen", 32, 7, progress=False)
  after = set((cache_dir / "data").iterdir())
  assert len(after - before) == 1
  again = shapes.load("test_seen", 32, 7, progress=False)
  assert set((cache_dir / "data").iterdir()) == after
  np.testing.assert_array_equal(first["images"], again["images"])
  full = shapes.load("test_seen", 32, 12, progress=False)  # a prefix of a larger build
  np.testing.assert_array_equal(full["images"][:7], first["images"])
  assert cache.data_path("captioned_shapes", {"x": 1}) != cache.data_path("captioned_shapes", {})


def test_fashion_mnist_captions_name_the_class():
  c = config(name="fashion_mnist_captions", limit=300)
  train, test, seen = (data.get_source(c, s) for s in ("train", "test", "test_seen"))
  x, y = fashion.fashion_mnist("train", 300)
  assert (train.size, train.shape, train.num_classes) == (300, (28, 28, 1), 10)
  every = train.examples()
  np.testing.assert_array_equal(every["x"], images.to_float(x))
  np.testing.assert_array_equal(every["y"], y)
  b = train.batch(5)
  assert set(b) == {"x", "tokens", "caption_index", "y"} and b["tokens"].shape[1] == 8
  for source in (train, test, seen):
    table = source.caption_table
    parsed = np.vectorize(fashion_captions.parse_caption)(table)
    np.testing.assert_array_equal(parsed, np.repeat(source.labels[:, None], 5, axis=1))
    assert (source.tokens != 1).all()  # the vocabulary covers every caption
  held = [t.format(item="").strip() for t in fashion_captions.HELD_OUT_TEMPLATES]
  starts = lambda t: any(t.startswith(h) for h in held)
  assert not any(starts(t) for t in train.caption_table.reshape(-1))
  assert all(starts(t) for t in test.caption_table.reshape(-1))
  assert not any(starts(t) for t in seen.caption_table.reshape(-1))
  np.testing.assert_array_equal(test.examples()["x"], seen.examples()["x"])  # same images
  sneakers = train.caption_table[train.labels == 7].reshape(-1)
  phrases = {p for t in sneakers for p in fashion_captions.ITEMS[7] if t.endswith(p)}
  assert {"a pair of sneakers", "a sports shoe"} <= phrases
  big = data.get_source(config(name="fashion_mnist_captions", limit=16, image_size=32))
  assert big.shape == (32, 32, 1)
