"""The Evaluator: scores of a train state, each with the protocol that produced it.

`config.eval.metrics` names metric groups:

- ``toy``: modes, high-quality fraction, reverse KL (published: of the high-quality
  samples; and of all samples), KS / TV in 1-D, energy distance (`metrics.toy`),
  against exact samples of the toy distribution.
- ``classifier``: with the domain classifier's probabilities and features (28x28 data):
  Inception Score, FID (and FID_inf), KID, precision / recall, density / coverage,
  classes covered, class KL and confidence, against the real `eval.reference_split`.
  The classifier is built into the user cache first when none exists; where it cannot
  be (no labelled data here), these scores are left out, and the log and the protocol
  say so and give the command that adds them.
- ``inception``: the same with InceptionV3 (pool3 features, bias-free logits for IS),
  keys prefixed ``inception_``; needs `eval.inception_weights` (left out, with a note
  and the command that adds them, when that file is missing).
- ``paired``: outputs against their targets on held-out pairs (`metrics.paired`): L1, L2,
  PSNR, SSIM, and with the target domain's classifier (`eval.classifier`, default the
  one `classifier.domain` names) FID and the classifier score ("FCN-score" analog).
- ``conditional``: for class-conditional methods, with ``classifier``: class accuracy
  w.r.t. the requested labels, intra-FID, intra-class precision / recall, classes
  covered per requested class, TSTR and TRTR accuracy (`metrics.conditional`).
- ``speech``: enhanced speech against the clean utterances (`metrics.speech`): PESQ
  (narrow-band, 8 kHz), STOI, segmental SNR and the composite CSIG / CBAK / COVL, over
  all held-out utterances and per test SNR, with the same scores of the noisy input.
- ``unpaired``: both directions of an unpaired translation on held-out examples
  (`metrics.unpaired`): cycle errors, and with the data's domain and content
  classifiers (cached, built when missing; left out with a note where they cannot be)
  the share of translations in the target domain, content preservation and FID per
  direction.
- ``video``: predicted future frames against the true ones on held-out sequences
  (`metrics.video`): per-frame PSNR / SSIM, sharpness (gradient energy relative to the
  truth's) and, at a fork, the fork test (the share of single-branch predictions).
- ``text2image``: text-conditional samples against their captions on the held-out
  and seen phrasings (`metrics.text2image`): attribute accuracies (captioned shapes) or
  class accuracy (captioned Fashion-MNIST) and FID on the scoring network's features.
- ``text``: token sequences (`metrics.text`): oracle NLL (data=oracle), G's NLL on the
  held-out split, BLEU-2..4 against it, self-BLEU-2..4 and n-gram novelty.

Each call returns ``(scores, protocol)``: sample counts, the real split and the seed
that picked it, each feature network's name, weights hash and preprocessing, EMA or
raw weights, the seed and the code's git commit, so a number can be reproduced. Real
features are computed once per protocol and cached under ``$GAN_JAX_CACHE/reference``
(default ~/.cache/gan_jax), keyed by everything that defines them (`reference_key`).
"""
from __future__ import annotations

import glob
import hashlib
import json
import os
import subprocess
import time

import numpy as np

from gan_jax import classifier as classifier_lib, sampling
from gan_jax.cache import cache_dir, load_npz, save_npz
from gan_jax.metrics import (classifier_metrics, conditional, feature_nets, fid,
                             inception_score, kid, paired, prdc, toy, unpaired)

KID_SUBSETS = 100
IS_SPLITS = 10
FID_INF_POINTS = 15
CLASSES_COVERED_MIN_SHARE = 0.1
_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# The code between a data set on disk and its reference features: a change to any of
# these files gives new cache keys (cached features are never reused across it).
FEATURE_PIPELINE = ("data/*.py", "metrics/evaluator.py", "metrics/feature_nets.py",
                    "metrics/inception.py", "metrics/inception_preprocess.py", "classifier.py")


def git_commit() -> str:
  """HEAD's hash, "+dirty" when tracked files differ or untracked (not ignored) files
  exist; "unknown" outside a git checkout."""
  try:
    out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=_PACKAGE, capture_output=True,
                         text=True, timeout=10)
    dirty = subprocess.run(["git", "status", "--porcelain"], cwd=_PACKAGE,
                           capture_output=True, text=True, timeout=10).stdout
    return out.stdout.strip() + ("+dirty" if dirty.strip() else "") if out.returncode == 0 \
        else "unknown"
  except (OSError, subprocess.SubprocessError):
    return "unknown"


def feature_pipeline_version() -> str:
  """sha256 (16 hex digits) of the source files of FEATURE_PIPELINE."""
  digest = hashlib.sha256()
  for pattern in FEATURE_PIPELINE:
    for path in sorted(glob.glob(os.path.join(_PACKAGE, pattern))):
      with open(path, "rb") as f:
        digest.update(os.path.relpath(path, _PACKAGE).encode() + b"\0" + f.read())
  return digest.hexdigest()[:16]


def fit(net, images):
  """`images` [N, H, W, C] resized to a fixed-size network's H x W where only the size
  differs (a 32-px run scored by the 28-px Fashion-MNIST classifier: its samples and
  the real images alike); otherwise `images` itself (the network's check then refuses
  other channel counts)."""
  shape = net.input_shape
  if (shape is None or np.ndim(images) != 4 or tuple(images.shape[1:3]) == tuple(shape[:2])
      or images.shape[-1] != shape[-1]):
    return images
  return paired.resize_for(images, shape)


def image_scores(probs, features, real_features, real_labels=None, num_classes: int = 0,
                 seed: int = 0, fid_inf: bool = False) -> dict:
  """Every image score from a feature network's outputs on generated samples."""
  n = min(len(features), len(real_features))
  is_mean, is_std = inception_score.inception_score(probs, splits=IS_SPLITS)
  kid_mean, kid_std = kid.kernel_inception_distance(
      real_features, features, num_subsets=KID_SUBSETS, subset_size=min(1000, n), seed=seed)
  scores = {"is": is_mean, "is_std": is_std,
            "fid": fid.fid_from_features(real_features, features),
            "kid": kid_mean, "kid_std": kid_std, **prdc.prdc(real_features, features)}
  if fid_inf:
    scores["fid_inf"] = fid.fid_infinity(real_features, features, num_points=FID_INF_POINTS,
                                         seed=seed)
  if real_labels is not None and probs.shape[1] == num_classes:
    dist = classifier_metrics.class_distribution(real_labels, num_classes)
    cm = classifier_metrics.classifier_metrics(probs, dist,
                                               min_share=CLASSES_COVERED_MIN_SHARE)
    scores.update({k: cm[k] for k in ("classes_covered", "class_kl", "confidence")})
  return {k: float(v) for k, v in scores.items()}


def paired_network(config, progress: bool = True):
  """The target domain's classifier for the `paired` group: `eval.classifier`, else the
  (cached, built when missing) one of `classifier.domain(data)`; None when no
  in-framework one fits or it cannot be built here (then L1/L2/PSNR/SSIM only)."""
  name = classifier_lib.domain(config.data.name, config.data.path)
  if not config.eval.classifier and name is None:
    return None
  try:
    return feature_nets.classifier(config.eval.classifier, name or config.data.name,
                                   config.eval.classifier_args, progress)
  except classifier_lib.Unavailable as e:
    print(f"Note: paired scores without a classifier (no FID, no classifier score). {e}",
          flush=True)
    return None


class Evaluator:
  GROUPS = ("toy", "classifier", "inception", "paired", "conditional", "speech", "unpaired",
            "video", "text", "text2image")

  def __init__(self, config, method, source, conditions=None, progress: bool = True):
    """`conditions(n, seed) -> dict`: what G is fed for n samples (`train.Run.conditions`:
    z, and labels or held-out inputs for the method families that need them); None: z.
    A missing domain classifier is built here (before any training step)."""
    unknown = [m for m in config.eval.metrics if m not in self.GROUPS]
    if unknown:
      raise ValueError(f"Unknown eval.metrics {unknown}. Available: {', '.join(self.GROUPS)}.")
    self.config, self.method, self.source = config, method, source
    self.conditions = conditions or (lambda n, seed: method.conditions(n, seed))
    self.num_samples = int(config.eval.num_samples)
    self.seed = int(config.seed) + 10_000  # eval noise, disjoint from training's stream
    self.code = git_commit()
    self.nets, self.missing = {}, {}
    if "toy" in config.eval.metrics and not hasattr(source, "distribution"):
      raise ValueError(f"eval.metrics 'toy' needs toy data, not {config.data.name!r}.")
    if "classifier" in config.eval.metrics:
      try:
        domain = classifier_lib.domain(config.data.name, config.data.path)
        self.nets["classifier"] = feature_nets.classifier(
            config.eval.classifier, domain or config.data.name, config.eval.classifier_args,
            progress)
      except classifier_lib.Unavailable as e:  # train on; say what is missing and how to add it
        self.missing["classifier"] = {
            "metrics": "is, fid, fid_inf, kid, precision, recall, density, coverage, "
                       "classes_covered, class_kl, confidence",
            "reason": e.reason, "command": e.command}
        print(f"Note: training without the classifier metrics. {e} (then --mode eval "
              "scores the run).", flush=True)
    if "conditional" in config.eval.metrics and (
        "classifier" not in config.eval.metrics or method.FAMILY != "class-conditional"):
      raise ValueError(f"eval.metrics 'conditional' scores class-conditional methods with "
                       f"the domain classifier: use eval.metrics=('classifier', "
                       f"'conditional') with method cgan, projection or acgan (got "
                       f"{tuple(config.eval.metrics)}, method {config.method!r}).")
    if "inception" in config.eval.metrics:
      try:
        net = feature_nets.inception_v3(config.eval.inception_weights,
                                        config.eval.inception_preprocess)
      except FileNotFoundError as e:  # no weights file: the same rule as the classifier
        self.missing["inception"] = {
            "metrics": "inception_is, inception_fid, inception_fid_inf, inception_kid, "
                       "inception_precision, inception_recall, inception_density, "
                       "inception_coverage",
            "reason": str(e),
            "command": "python tools/convert_inception_weights.py "
                       "pt_inception-2015-12-05-6726825d.pth ~/.cache/gan_jax/"
                       "inception-2015-12-05.npz, then --config.eval.inception_weights="
                       "~/.cache/gan_jax/inception-2015-12-05.npz --mode eval"}
        print(f"Note: training without the Inception metrics: {e}", flush=True)
      else:
        if "warning" in net.info:
          print(f"WARNING: {net.info['warning']}", flush=True)
        self.nets["inception"] = net
    self.paired_net = None
    if "paired" in config.eval.metrics:
      self.paired_net = paired_network(config, progress)
    self.unpaired_nets = None
    if "unpaired" in config.eval.metrics:
      self.unpaired_nets = unpaired.networks(config, progress)
    self.text2image = None
    if "text2image" in config.eval.metrics:
      from gan_jax.metrics import text2image
      self.text2image = text2image.Scorer(config, progress)
    self._reference = {}

  def reference_key(self, group: str, split: str, n: int) -> dict:
    """Everything that defines the real features of `group`: the data (name, path,
    size and channels), the split actually used, how many and which examples (the seed
    that picks them), the feature network's weights and preprocessing, and the code."""
    c, net = self.config, self.nets[group]
    path = os.path.abspath(os.path.expanduser(c.data.path)) if c.data.path else ""
    return {"data": c.data.name, "path": path, "split": split, "n": int(n),
            "seed": int(c.seed), "image_size": c.data.image_size, "channels": c.data.channels,
            "net": net.sha256, "preprocess": net.preprocess,
            "pipeline": feature_pipeline_version()}

  def tstr_data(self, n: int):
    """((images, labels) TSTR/TRTR test on, (images, labels) TRTR trains on): the
    reference split and up to n training examples; where the reference split is the
    training data itself (a folder, eval.reference_split='train'), disjoint rows of it,
    so that neither classifier is tested on what it trained on."""
    from gan_jax import data
    test, _ = data.reference_source(self.config, self.source)
    if test is not self.source:
      return (test.arrays(min(self.num_samples, test.size), seed=self.config.seed),
              self.source.arrays(min(n, self.source.size), seed=self.config.seed))
    x, y = self.source.arrays()
    rows = np.random.default_rng(self.config.seed).permutation(len(x))
    n_test = min(self.num_samples, len(x) // 2)
    test_rows, train_rows = rows[:n_test], rows[n_test:][:n]
    return (x[test_rows], y[test_rows]), (x[train_rows], y[train_rows])

  def reference(self, group: str):
    """Real features of `group`'s network, cached on disk keyed by `reference_key`."""
    if group in self._reference:
      return self._reference[group]
    from gan_jax import data
    source, split = data.reference_source(self.config, self.source)
    n = min(self.num_samples, source.size)
    key = self.reference_key(group, split, n)
    digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:24]
    path = os.path.join(cache_dir(), "reference", f"{digest}.npz")
    if os.path.exists(path):
      ref = load_npz(path)
    else:
      images, labels = source.arrays(n, seed=self.config.seed)
      _, features = self.nets[group](fit(self.nets[group], images), what="real images")
      ref = {"features": features, "split": np.array(f"{self.config.data.name}:{split}"),
             "num_classes": source.num_classes}
      if labels is not None:
        ref["labels"] = labels
      save_npz(path, ref)
    self._reference[group] = ref
    return ref

  def __call__(self, state, step: int, use_ema: bool = True, progress: bool = False):
    """Scores of `state`'s generator on `eval.num_samples` samples from a fixed seed."""
    start = time.perf_counter()
    g_vars = None
    generated = {"toy", "paired", "speech", "unpaired", "video", "text", "text2image"}
    if self.nets or generated & set(self.config.eval.metrics):
      g_vars = sampling.generator_variables(state, use_ema, self.method, self.source)
      record = sampling.record(self.method, g_vars,
                               self.conditions(self.num_samples, self.seed), progress=progress)
    else:  # every group is missing: nothing to generate for
      record = {"x": np.zeros((0,), np.float32)}
    scores, protocol = self.score(record, g_vars)
    protocol.update({"step": int(step),
                     "weights": "ema" if use_ema and state.ema is not None else "raw",
                     "seconds": round(time.perf_counter() - start, 2)})
    return scores, protocol

  def held_out(self):
    """(source, split name) of `data.reference_source`, built once."""
    if not hasattr(self, "_held_out"):
      from gan_jax import data
      self._held_out = data.reference_source(self.config, self.source)
    return self._held_out

  def score(self, samples, g_vars=None):
    """(scores, protocol) of a sample record {"x": [N, ...], ...} or an array of samples
    (generated, or real ones for checks); `g_vars`: G's variables, for the scores that
    need G itself (text: NLL on held-out sequences)."""
    record = samples if isinstance(samples, dict) else {"x": samples}
    samples = record["x"]
    scores, protocol = {}, {"num_generated": len(samples), "seed": self.seed,
                            "data": self.config.data.name, "code": self.code}
    if self.missing:
      protocol["missing_metrics"] = self.missing
    if "toy" in self.config.eval.metrics:
      reference = self.source.reference(len(samples), self.seed)
      scores.update(toy.toy_metrics(self.source.distribution, samples, reference))
      protocol["toy"] = {
          "reference": f"exact sampler of {self.config.data.name} (seed {self.seed}), "
                       "same count",
          "mode_rule": "nearest mode; high quality within 3 std; recovered with >= 1 HQ "
                       "sample",
          "reverse_kl_hq": "KL(histogram of high-quality samples over modes || uniform) "
                           "(VEEGAN / PacGAN Table 1); log K when there is none",
          "reverse_kl": "KL(histogram of all samples over nearest modes || uniform)"}
    if "paired" in self.config.eval.metrics:
      group_scores, protocol["paired"] = paired.scores(record, self.paired_net)
      scores.update(group_scores)
    if "speech" in self.config.eval.metrics:
      from gan_jax.metrics import speech
      group_scores, protocol["speech"] = speech.scores(record, self.config.data.sample_rate)
      scores.update(group_scores)
    if "unpaired" in self.config.eval.metrics:
      group_scores, protocol["unpaired"] = unpaired.scores(record, self.unpaired_nets)
      scores.update(group_scores)
    if "video" in self.config.eval.metrics:
      from gan_jax.metrics import video
      group_scores, protocol["video"] = video.scores(record, self.held_out()[1])
      scores.update(group_scores)
    if "text" in self.config.eval.metrics:
      from gan_jax.metrics import text
      group_scores, protocol["text"] = text.group(record["x"], self.method, g_vars,
                                                  self.source, *self.held_out(), self.seed)
      scores.update(group_scores)
    if self.text2image is not None:
      from gan_jax.metrics import text2image
      group_scores, protocol["text2image"] = text2image.group(
          record, self.method, g_vars, self.config, self.held_out(), self.seed, self.text2image)
      scores.update(group_scores)
    for group, net in self.nets.items():
      ref = self.reference(group)
      probs, features = net(fit(net, samples))
      prefix = "" if group == "classifier" else f"{group}_"
      group_scores = image_scores(probs, features, ref["features"], ref.get("labels"),
                                  int(ref["num_classes"]), seed=self.seed,
                                  fid_inf=bool(self.config.eval.fid_inf))
      scores.update({prefix + k: v for k, v in group_scores.items()})
      n_kid = min(1000, len(features), len(ref["features"]))
      protocol[group] = {
          "feature_network": net.name, "weights_sha256": net.sha256,
          **{k: v for k, v in net.info.items() if k.startswith("inception_")},
          "preprocess": net.preprocess,
          "num_real": int(len(ref["features"])), "real_split": str(ref["split"]),
          "real_subset_seed": int(self.config.seed),
          "is_splits": IS_SPLITS, "kid": f"cubic kernel, {KID_SUBSETS} subsets of {n_kid}",
          "precision_recall": "Kynkaanniemi et al. 2019, k = 3, closed balls",
          "precision_recall_k": 3,
          "density_coverage": "Naeem et al. 2020, k = 5", "density_coverage_k": 5,
          "classes_covered_min_share": CLASSES_COVERED_MIN_SHARE,
          "classes_covered_rule": f"argmax class share >= {CLASSES_COVERED_MIN_SHARE} x its "
                                  "share in the real split"}
      if fit(net, samples) is not samples:
        protocol[group]["resized"] = (
            f"generated and real {samples.shape[1]}x{samples.shape[2]} images resized to "
            f"the network's {net.input_shape[0]}x{net.input_shape[1]} (bilinear, "
            "antialiased)")
      if group == "inception":
        protocol[group]["is_logits"] = "pool3 @ fc weights, no bias (improved-gan, " \
                                       "torch-fidelity)"
        if "warning" in net.info:
          protocol[group]["warning"] = net.info["warning"]
      if self.config.eval.fid_inf:
        protocol[group]["fid_inf"] = (
            f"Chong & Forsyth 2020: FID of {FID_INF_POINTS} random subsets of the "
            f"{len(features)} samples, sizes {max(2, len(features) // 10)} to "
            f"{len(features)}, linear in 1/N, read at 1/N = 0")
    if "conditional" in self.config.eval.metrics and "classifier" in self.nets:
      real_test, real_train = self.tstr_data(len(samples))
      group_scores, protocol["conditional"] = conditional.group(
          record, self.nets["classifier"], self.reference("classifier"), real_test,
          real_train, seed=self.seed)
      scores.update(group_scores)
    return scores, protocol
