"""Text-to-image adherence (the `text2image` eval group): do generated images show what
their captions say, on held-out phrasings (split `test`) and seen ones (`test_seen`),
reported separately.

captioned_shapes: the attribute classifier (gan_jax/attribute_classifier.py) reads the
main shape's shape, colour, size and position and the background off each generated
image of a one-shape caption; per attribute, the share that agrees with the caption
(`<split>_<attribute>_acc`), and the share with all four shape attributes right
(`<split>_all_acc`); FID on the classifier's 128-d features against the split's real
images (`<split>_fid`). The test split is also scored on its two kinds of novelty:
`test_phrasing_*` (held-out phrasing of a seen shape-colour pair) and
`test_combination_*` (a held-out shape-colour pair). The protocol records each
attribute's chance levels (1/K, and the share of the commonest value among the
split's captions) and the classifier's accuracy on the real images of the split.

fashion_mnist_captions: the Fashion-MNIST domain classifier's accuracy w.r.t. the class
the caption names (`<split>_class_acc`) and FID on its features (`<split>_fid`).
"""
from __future__ import annotations

import numpy as np

from gan_jax import attribute_classifier as attr_lib, sampling
from gan_jax.metrics import fid

SPLITS = ("test", "test_seen")
ALL = ("shape", "colour", "size", "position")  # all-correct: the main shape's attributes


class Scorer:
  """The feature network of the data's group: `__call__(images) -> (predictions, features)`
  with predictions {name: [N]}, and `info` for the protocol."""

  def __init__(self, config, progress: bool = True):
    self.data = config.data.name
    if self.data == "captioned_shapes":
      size = int(config.data.image_size) or 64
      path = attr_lib.ensure(size, int(config.data.limit), progress)
      self.model, self.variables, self.info = attr_lib.load(path)
      self.info = {"path": path, **self.info}
      self.name = f"AttributeNet ({', '.join(attr_lib.HEADS)}), 128-d features"
    else:
      from gan_jax.metrics import feature_nets
      self.net = feature_nets.classifier(config.eval.classifier, "fashion_mnist",
                                         config.eval.classifier_args, progress)
      self.info, self.name = self.net.info, self.net.name
    self.sha256 = self.info["sha256"]

  def __call__(self, images):
    if self.data == "captioned_shapes":
      return attr_lib.predict(self.model, self.variables, images)
    from gan_jax.metrics import evaluator  # a 32 or 64-px run: resized to the net's 28 px
    probs, features = self.net(evaluator.fit(self.net, images))
    return {"class": probs.argmax(-1)}, features


def _accuracies(predicted: dict, targets: dict, rows) -> dict:
  out = {f"{a}_acc": float(np.mean(predicted[a][rows] == targets[a][rows])) for a in targets}
  if set(ALL) <= set(targets):
    out["all_acc"] = float(np.mean(np.all([predicted[a][rows] == targets[a][rows]
                                           for a in ALL], axis=0)))
  return out


def split_scores(record: dict, real: np.ndarray, scorer: Scorer, split: str):
  """(scores, protocol) of one split's samples: record {"x", "y", "attributes"?,
  flags?}; `real` the split's real images (FID reference)."""
  predicted, features = scorer(record["x"])
  _, real_features = scorer(real)
  scores = {"fid": float(fid.fid_from_features(real_features, features))}
  protocol = {"num_generated": int(len(record["x"])), "num_real": int(len(real))}
  if "attributes" in record:
    attributes = np.asarray(record["attributes"])
    rows = attr_lib.one_shape(attributes)
    targets = {a: attributes[:, i] for i, a in enumerate(attr_lib.HEADS)}
    scores.update(_accuracies(predicted, targets, rows))
    protocol["num_scored"] = int(rows.sum())
    protocol["scored"] = "samples of one-shape captions (the caption's attributes)"
    protocol["chance_uniform"] = {a: 1.0 / len(attr_lib.shapes.VALUES[a])
                                  for a in attr_lib.HEADS}
    protocol["chance_majority"] = {
        a: float(np.bincount(targets[a][rows]).max() / rows.sum()) for a in attr_lib.HEADS}
    for name, flag in (("phrasing", "novel_template"), ("combination", "novel_combination")):
      if flag in record:
        subset = rows & (np.asarray(record[flag]) == 1)
        if name == "phrasing":
          subset &= np.asarray(record["novel_combination"]) == 0
        if subset.any():
          scores.update({f"{name}_{k}": v for k, v in
                         _accuracies(predicted, targets, subset).items()})
          protocol[f"num_{name}"] = int(subset.sum())
  else:
    y = np.asarray(record["y"])
    scores["class_acc"] = float(np.mean(predicted["class"] == y))
    protocol["chance_uniform"] = {"class": 0.1}
    protocol["chance_majority"] = {"class": float(np.bincount(y).max() / len(y))}
  return {f"{split}_{k}": v for k, v in scores.items()}, protocol


def group(record: dict, method, g_vars, config, held_out, seed: int, scorer: Scorer):
  """(scores, protocol) on both splits: `record` holds the samples of the eval
  conditions (from `held_out` = (source, split name)); the other split is generated
  here from the same seed and count (at most its size)."""
  from gan_jax import data
  source, split = held_out
  if split not in SPLITS:
    raise ValueError(f"eval.metrics 'text2image' scores the test and test_seen splits; "
                     f"eval.reference_split={config.eval.reference_split!r} gave {split!r}. "
                     "Set --config.eval.reference_split=test.")
  scores, protocol = {}, {
      "feature_network": scorer.name, "weights_sha256": scorer.sha256,
      "classifier_info": {k: v for k, v in scorer.info.items() if k != "sha256"},
      "seed": seed, "conditions": "one caption per test image (drawn by the seed), "
                                  "z from the seed; FID against all real images of the split",
      "splits": {"test": "held-out phrasings (captioned_shapes: and held-out shape-colour "
                         "pairs, flagged per image)",
                 "test_seen": "training phrasings, new images"}}
  for name in SPLITS:
    if name == split:
      rec, src = record, source
    else:
      src = data.get_source(config, name)
      conditions = method.conditions(min(len(record["x"]), src.size), seed, src)
      rec = sampling.record(method, g_vars, conditions)
    real = src.arrays(min(len(rec["x"]), src.size), seed=seed)[0]
    s, protocol[name] = split_scores(rec, real, scorer, name)
    scores.update(s)
  return scores, protocol
