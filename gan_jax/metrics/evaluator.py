"""The Evaluator: scores of a train state, each with the protocol that produced it.

`config.eval.metrics` names metric groups:

- ``toy``: modes, high-quality fraction, reverse KL, KS / TV in 1-D, energy distance
  (`metrics.toy`), against exact samples of the toy distribution.
- ``classifier``: with the domain classifier's probabilities and features (28x28 data):
  Inception Score, FID, KID, precision / recall, density / coverage, classes covered,
  class KL and confidence, against the real `eval.reference_split`.
- ``inception``: the same with InceptionV3 (pool3 features, 1008 logits), keys prefixed
  ``inception_``; needs `eval.inception_weights`.
- ``paired``: outputs against their targets on held-out pairs (`metrics.paired`): L1, L2,
  PSNR, SSIM, and with the target domain's classifier (`eval.classifier`, default the
  one `classifier.domain` names) FID and the classifier score ("FCN-score" analog).
- ``unpaired``: both directions of an unpaired translation on held-out examples
  (`metrics.unpaired`): cycle errors, the share of translations in the target domain,
  content preservation and FID per direction.

Each call returns ``(scores, protocol)``: sample counts, the real split, each feature
network's name and weights hash, EMA or raw weights, the seed and the code's git
commit, so a number can be reproduced. Real features are computed once per protocol
and cached under ``$GAN_JAX_CACHE`` (default ~/.cache/gan_jax).
"""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
import time

import numpy as np

from gan_jax import sampling
from gan_jax.cache import cache_dir, load_npz, save_npz
from gan_jax.metrics import (classifier_metrics, feature_nets, fid, inception_score, kid,
                             paired, prdc, toy, unpaired)

KID_SUBSETS = 100
IS_SPLITS = 10


def git_commit() -> str:
  here = os.path.dirname(os.path.abspath(__file__))
  try:
    out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=here, capture_output=True,
                         text=True, timeout=10)
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                           cwd=here, capture_output=True, text=True, timeout=10).stdout
    return out.stdout.strip() + ("+dirty" if dirty.strip() else "") if out.returncode == 0 \
        else "unknown"
  except (OSError, subprocess.SubprocessError):
    return "unknown"


def image_scores(probs, features, real_features, real_labels=None, num_classes: int = 0,
                 seed: int = 0) -> dict:
  """Every image score from a feature network's outputs on generated samples."""
  n = min(len(features), len(real_features))
  is_mean, is_std = inception_score.inception_score(probs, splits=IS_SPLITS)
  kid_mean, kid_std = kid.kernel_inception_distance(
      real_features, features, num_subsets=KID_SUBSETS, subset_size=min(1000, n), seed=seed)
  scores = {"is": is_mean, "is_std": is_std,
            "fid": fid.fid_from_features(real_features, features),
            "kid": kid_mean, "kid_std": kid_std, **prdc.prdc(real_features, features)}
  if real_labels is not None and probs.shape[1] == num_classes:
    dist = classifier_metrics.class_distribution(real_labels, num_classes)
    cm = classifier_metrics.classifier_metrics(probs, dist)
    scores.update({k: cm[k] for k in ("classes_covered", "class_kl", "confidence")})
  return {k: float(v) for k, v in scores.items()}


def paired_network(config):
  """The target domain's classifier for the `paired` group: `eval.classifier`, else the
  default one of `classifier.domain(data)`; None when no in-framework one fits."""
  from gan_jax import classifier as classifier_lib
  name = classifier_lib.domain(config.data.name, config.data.path)
  if not config.eval.classifier and name is None:
    return None
  return feature_nets.classifier(config.eval.classifier, name)


class Evaluator:
  GROUPS = ("toy", "classifier", "inception", "paired", "unpaired")

  def __init__(self, config, method, source, conditions=None):
    """`conditions(n, seed) -> dict`: what G is fed for n samples (`train.Run.conditions`:
    z, and labels or held-out inputs for the method families that need them); None: z."""
    unknown = [m for m in config.eval.metrics if m not in self.GROUPS]
    if unknown:
      raise ValueError(f"Unknown eval.metrics {unknown}. Available: {', '.join(self.GROUPS)}.")
    self.config, self.method, self.source = config, method, source
    self.conditions = conditions or (lambda n, seed: method.conditions(n, seed))
    self.num_samples = int(config.eval.num_samples)
    self.seed = int(config.seed) + 10_000  # eval noise, disjoint from training's stream
    self.code = git_commit()
    self.nets = {}
    if "toy" in config.eval.metrics and not hasattr(source, "distribution"):
      raise ValueError(f"eval.metrics 'toy' needs toy data, not {config.data.name!r}.")
    if "classifier" in config.eval.metrics:  # fails early, with how to create it
      self.nets["classifier"] = feature_nets.classifier(config.eval.classifier,
                                                        config.data.name)
    if "inception" in config.eval.metrics:
      self.nets["inception"] = feature_nets.inception_v3(config.eval.inception_weights)
    self.paired_net = None
    if "paired" in config.eval.metrics:
      self.paired_net = paired_network(config)
    self.unpaired_nets = None
    if "unpaired" in config.eval.metrics:
      self.unpaired_nets = unpaired.networks(config)
    self._reference = {}

  def _real(self):
    """(images, labels, split name) of the real reference set, `num_samples` of them."""
    from gan_jax import data
    source, split = data.reference_source(self.config, self.source)
    n = min(self.num_samples, source.size)
    images, labels = source.arrays(n, seed=self.config.seed)
    return images, labels, f"{self.config.data.name}:{split}", source.num_classes

  def reference(self, group: str):
    """Real features of `group`'s network, cached on disk keyed by the protocol."""
    if group in self._reference:
      return self._reference[group]
    net = self.nets[group]
    c = self.config
    key = {"data": c.data.name, "split": c.eval.reference_split, "n": self.num_samples,
           "seed": c.seed, "image_size": c.data.image_size, "channels": c.data.channels,
           "net": net.sha256}
    digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:24]
    path = os.path.join(cache_dir(), "reference", f"{digest}.npz")
    if os.path.exists(path):
      ref = load_npz(path)
    else:
      images, labels, split, num_classes = self._real()
      _, features = net(images, what="real images")
      ref = {"features": features, "split": np.array(split), "num_classes": num_classes}
      if labels is not None:
        ref["labels"] = labels
      save_npz(path, ref)
    self._reference[group] = ref
    return ref

  def __call__(self, state, step: int, use_ema: bool = True, progress: bool = False):
    """Scores of `state`'s generator on `eval.num_samples` samples from a fixed seed."""
    start = time.perf_counter()
    g_vars = sampling.generator_variables(state, use_ema, self.method, self.source)
    record = sampling.record(self.method, g_vars, self.conditions(self.num_samples, self.seed),
                             progress=progress)
    scores, protocol = self.score(record)
    protocol.update({"step": int(step),
                     "weights": "ema" if use_ema and state.ema is not None else "raw",
                     "seconds": round(time.perf_counter() - start, 2)})
    return scores, protocol

  def score(self, samples):
    """(scores, protocol) of a sample record {"x": [N, ...], ...} or an array of samples
    (generated, or real ones for checks)."""
    record = samples if isinstance(samples, dict) else {"x": samples}
    samples = record["x"]
    scores, protocol = {}, {"num_generated": len(samples), "seed": self.seed,
                            "data": self.config.data.name, "code": self.code}
    if "toy" in self.config.eval.metrics:
      reference = self.source.reference(len(samples), self.seed)
      scores.update(toy.toy_metrics(self.source.distribution, samples, reference))
      protocol["toy"] = {
          "reference": f"exact sampler of {self.config.data.name} (seed {self.seed}), "
                       "same count",
          "mode_rule": "nearest mode; high quality within 3 std; recovered with >= 1 HQ sample"}
    if "paired" in self.config.eval.metrics:
      group_scores, protocol["paired"] = paired.scores(record, self.paired_net)
      scores.update(group_scores)
    if "unpaired" in self.config.eval.metrics:
      group_scores, protocol["unpaired"] = unpaired.scores(record, self.unpaired_nets)
      scores.update(group_scores)
    for group, net in self.nets.items():
      ref = self.reference(group)
      probs, features = net(samples)
      prefix = "" if group == "classifier" else f"{group}_"
      group_scores = image_scores(probs, features, ref["features"], ref.get("labels"),
                                  int(ref["num_classes"]), seed=self.seed)
      scores.update({prefix + k: v for k, v in group_scores.items()})
      protocol[group] = {
          "feature_network": net.name, "weights_sha256": net.sha256,
          "num_real": int(len(ref["features"])), "real_split": str(ref["split"]),
          "is_splits": IS_SPLITS, "kid": f"cubic kernel, {KID_SUBSETS} subsets of "
          f"{min(1000, len(features), len(ref['features']))}",
          "precision_recall_k": 3, "density_coverage_k": 5,
          "classes_covered_rule": "argmax class share >= 0.1 x its share in the real split"}
    return scores, protocol
