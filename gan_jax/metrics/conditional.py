"""Scores of a class-conditional generator: does G(z, y) show class y, and all of it?

From the domain classifier's probabilities p(c|x) [N, K] and features [N, F] on
generated samples x_i requested with labels y_i, and the real reference split's
features and labels (for each requested class c, G_c = its samples, R_c = the real
examples of class c):

- `class_accuracy`: mean_i [argmax_c p(c|x_i) = y_i] (Odena et al., 2017, Sec. 4.1,
  with the classifier in place of Inception), and `class_accuracy/<c>` per class.
- `class_confidence`: mean_i p(y_i|x_i), the classifier's belief in the requested class.
- `intra_fid`: mean over requested classes of FID(R_c, G_c) (Miyato & Koyama, 2018,
  Sec. 6: "intra-FID"), and `intra_fid/<c>`. FID on all samples ignores y; intra-FID
  is large when a class's samples are wrong or not diverse.
- `intra_precision`, `intra_recall`: mean over classes of the precision / recall
  (Kynkaenniemi et al., 2019, k = 3) of G_c against R_c: a G that draws a few
  easy-to-classify images per class (AC-GAN's known bias) keeps precision and loses
  recall.
- `classes_covered_per_class`: mean over requested classes of the number of classes
  that receive at least `min_share` (10%) of that class's samples by argmax: 1 when each
  label gives its own class, up to K when G ignores y.
- `tstr_acc`, `trtr_acc`: Train on Synthetic, Test on Real (`metrics.tstr`): the fixed
  small CNN trained on the N generated (x_i, y_i), tested on the real split; the same
  trained on N real training examples (TRTR) is the ceiling to read it against.
"""
from __future__ import annotations

import numpy as np

from gan_jax.metrics import fid, prdc, tstr

MIN_SHARE = 0.1
PR_K = 3
TSTR = dict(epochs=5, batch_size=128, learning_rate=1e-3)


def _class_rows(labels: np.ndarray, c: int, what: str, need: int) -> np.ndarray:
  rows = np.flatnonzero(labels == c)
  if len(rows) < need:
    raise ValueError(f"Intra-class scores need >= {need} {what} of each class; class {c} "
                     f"has {len(rows)}. Raise eval.num_samples (N/K samples per class).")
  return rows


def conditional_scores(probs: np.ndarray, features: np.ndarray, y: np.ndarray,
                       real_features: np.ndarray, real_labels: np.ndarray, *,
                       min_share: float = MIN_SHARE) -> dict:
  """The classifier-based scores above. probs [N, K], features [N, F] of the generated
  samples, y [N] their requested labels; real_features [M, F], real_labels [M]."""
  probs, y = np.asarray(probs, np.float64), np.asarray(y).astype(np.int64)
  if probs.ndim != 2 or y.shape != (len(probs),):
    raise ValueError(f"probs must be [N, K] and y [N]; got {probs.shape} and {y.shape}.")
  if y.min() < 0 or y.max() >= probs.shape[1]:
    raise ValueError(f"Requested labels span [{y.min()}, {y.max()}] but the classifier "
                     f"has {probs.shape[1]} classes.")
  pred = probs.argmax(1)
  scores = {"class_accuracy": float(np.mean(pred == y)),
            "class_confidence": float(np.mean(probs[np.arange(len(y)), y]))}
  per = {"intra_fid": [], "intra_precision": [], "intra_recall": [], "covered": []}
  for c in np.unique(y):
    fake = _class_rows(y, c, "generated samples", PR_K + 1)
    real = _class_rows(np.asarray(real_labels), c, "real examples", PR_K + 1)
    scores[f"class_accuracy/{c}"] = float(np.mean(pred[fake] == c))
    intra = fid.fid_from_features(real_features[real], features[fake])
    scores[f"intra_fid/{c}"] = intra
    pr = prdc.precision_recall(real_features[real], features[fake], k=PR_K)
    share = np.bincount(pred[fake], minlength=probs.shape[1]) / len(fake)
    for key, value in (("intra_fid", intra), ("intra_precision", pr["precision"]),
                       ("intra_recall", pr["recall"]),
                       ("covered", int(np.sum(share >= min_share)))):
      per[key].append(value)
  scores.update({k: float(np.mean(v)) for k, v in per.items() if k != "covered"})
  scores["classes_covered_per_class"] = float(np.mean(per["covered"]))
  return scores


def tstr_scores(x: np.ndarray, y: np.ndarray, real_test, real_train, *, num_classes: int,
                seed: int) -> dict:
  """{"tstr_acc", "trtr_acc"}: `tstr.tstr` with the settings of TSTR; real_test and
  real_train are (images, labels) pairs, real_train of as many examples as x."""
  out = tstr.tstr(x, y, *real_test, x_real_train=real_train[0],
                  y_real_train=real_train[1], num_classes=num_classes, seed=seed, **TSTR)
  return {"tstr_acc": out["tstr_accuracy"], "trtr_acc": out["trtr_accuracy"]}


def group(record: dict, net, reference: dict, real_test, real_train, *, seed: int):
  """(scores, protocol) of the Evaluator's "conditional" group for a sample record
  {"x": [N, H, W, C], "y": [N]}: `net` the domain classifier (a FeatureNet),
  `reference` its cached real features and labels, real_test / real_train
  (images, labels) of the reference split and of N training examples."""
  if "y" not in record:
    raise ValueError("eval.metrics 'conditional' needs samples with their requested labels "
                     "y: use it with a class-conditional method (cgan, projection, acgan).")
  if reference.get("labels") is None:
    raise ValueError("eval.metrics 'conditional' needs a labelled reference split "
                     f"({reference.get('split')}).")
  num_classes = int(reference["num_classes"])
  probs, features = net(record["x"])
  scores = conditional_scores(probs, features, record["y"], reference["features"],
                              reference["labels"])
  scores.update(tstr_scores(record["x"], record["y"], real_test, real_train,
                            num_classes=num_classes, seed=seed))
  counts = np.bincount(np.asarray(record["y"]), minlength=num_classes)
  protocol = {
      "classifier": net.name, "weights_sha256": net.sha256,
      "generated_per_class": counts.tolist(),
      "real_per_class": np.bincount(reference["labels"], minlength=num_classes).tolist(),
      "real_split": str(reference["split"]),
      "intra_fid": "FID on the classifier's features, class c's samples vs the real "
                   "split's class c, mean over requested classes",
      "intra_precision_recall_k": PR_K,
      "classes_covered_per_class_rule": f"classes with >= {MIN_SHARE} of a requested "
                                        "class's samples (argmax), mean over classes",
      "tstr": {"classifier": "metrics.tstr SmallCNN", **TSTR, "seed": seed,
               "train": f"{len(record['x'])} generated samples, labels as requested",
               "test": f"{len(real_test[0])} real examples of {reference['split']}"},
      "trtr": {"train": f"{len(real_train[0])} real training examples (seed {seed})",
               "same_settings_as": "tstr"}}
  return scores, protocol
