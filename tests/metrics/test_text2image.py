"""The text2image group's arithmetic (gan_jax/metrics/text2image.py) with a stand-in
classifier whose predictions are known: per-attribute and all-correct accuracies over
the one-shape captions, the novelty subsets, chance levels, FID of equal features; and
the ablation table's markdown."""
import numpy as np

from experiments.figures import gan_cls_table
from gan_jax.metrics import text2image


class KnownScorer:
  """Predicts the attributes it is given, with the shape wrong on `wrong` rows."""

  def __init__(self, attributes, wrong):
    self.attributes, self.wrong = attributes, wrong

  def __call__(self, images):
    if len(images) != len(self.attributes):  # the real images: features only
      return {}, np.tile(np.arange(8.0), (len(images), 1)) + images[:, :8, 0, 0]
    out = {a: self.attributes[:, i].copy() for i, a in enumerate(
        ("shape", "colour", "size", "position", "background"))}
    out["shape"][self.wrong] = (out["shape"][self.wrong] + 1) % 6
    return out, np.tile(np.arange(8.0), (len(images), 1)) + images[:, :8, 0, 0]


def test_split_scores_count_one_shape_captions_and_subsets():
  rng = np.random.default_rng(0)
  n = 40
  attributes = np.concatenate([rng.integers(0, 2, (n, 5)), np.full((n, 4), -1)], 1)
  attributes[:10, 5:] = 1  # ten two-shape captions: not scored
  wrong = np.zeros(n, bool)
  wrong[10:20] = True  # 10 of the 30 scored rows have the wrong shape
  flags = {"novel_template": (np.arange(n) % 2 == 0).astype(np.int32),
           "novel_combination": (np.arange(n) % 4 == 0).astype(np.int32)}
  x = rng.uniform(-1, 1, (n, 8, 8, 3)).astype(np.float32)
  record = {"x": x, "attributes": attributes, "y": attributes[:, 0], **flags}
  scores, protocol = text2image.split_scores(record, x.copy(), KnownScorer(attributes, wrong),
                                             "test")
  assert protocol["num_scored"] == 30
  assert abs(scores["test_shape_acc"] - 20 / 30) < 1e-9 and scores["test_colour_acc"] == 1.0
  assert abs(scores["test_all_acc"] - 20 / 30) < 1e-9
  assert abs(scores["test_fid"]) < 1e-4  # the same features
  # held-out phrasing of a seen pair: rows 10, 14, ..., 38 (8 rows, 10, 14, 18 wrong)
  phrasing = (np.arange(n) >= 10) & (np.arange(n) % 2 == 0) & (np.arange(n) % 4 != 0)
  assert protocol["num_phrasing"] == phrasing.sum() == 8
  assert abs(scores["test_phrasing_shape_acc"] - 5 / 8) < 1e-9
  assert protocol["chance_uniform"]["shape"] == 1 / 6
  assert protocol["chance_majority"]["size"] == np.bincount(attributes[10:, 2]).max() / 30


class KnownClasses:
  """The Fashion-MNIST branch: predicts class `predicted` for the generated images."""

  def __init__(self, predicted):
    self.predicted = predicted

  def __call__(self, images):
    features = np.tile(np.arange(8.0), (len(images), 1)) + images[:, :8, 0, 0]
    return {"class": self.predicted[:len(images)]}, features


def test_fashion_captions_score_the_class_the_caption_names():
  rng = np.random.default_rng(1)
  y = np.array([0, 1, 2, 3, 3, 3, 7, 9, 9, 9])
  predicted = y.copy()
  predicted[[1, 4, 8]] = 5  # three of ten samples show another class
  x = rng.uniform(-1, 1, (10, 8, 8, 1)).astype(np.float32)
  scores, protocol = text2image.split_scores({"x": x, "y": y}, x.copy(),
                                             KnownClasses(predicted), "test_seen")
  assert abs(scores["test_seen_class_acc"] - 0.7) < 1e-9
  assert abs(scores["test_seen_fid"]) < 1e-4
  assert protocol["chance_uniform"] == {"class": 0.1}
  assert protocol["chance_majority"] == {"class": 0.3}  # class 3 and class 9: 3 of 10
  assert not any("shape" in k for k in scores)


def test_table_markdown_rows_and_dashes():
  rows = {"GAN-CLS, joint head": {"test_shape_acc": 0.5, "test_fid": 3.25,
                                  "test_seen_all_acc": 0.125},
          "chance (1/K)": {"test_shape_acc": 1 / 6}}
  md = gan_cls_table.markdown(rows, {"joint": 2500})
  lines = [l for l in md.splitlines() if l.startswith("| ")]
  assert len(lines) == 8 and lines[0].count("|") == len(gan_cls_table.COLUMNS["captioned_shapes"]) + 3
  assert lines[2] == "| GAN-CLS, joint head | 0.500 | - | - | - | - | - | 3.250 |"
  assert lines[3].startswith("| chance (1/K) | 0.167 | -")
  assert lines[6].split(" | ")[6] == "0.125"
  fashion = gan_cls_table.markdown({"chance (1/K)": {"test_class_acc": 0.1}}, {},
                                   "fashion_mnist_captions")
  assert "| system | class acc | FID |" in fashion and "| chance (1/K) | 0.100 | - |" in fashion
