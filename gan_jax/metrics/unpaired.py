"""Scores of unpaired translation, per direction, on held-out examples of both domains (a
sample record {"a", "ab", "aba", "b", "ba", "bab", "y_a"?, "y_b"?} of the unpaired
family). Direction ab is A -> B (its translations `ab`, its cycles `aba`), ba is B -> A.

- ``<d>_cycle_l1``: mean |aba - a| (|bab - b|) on the [0, 1] scale ((v + 1) / 2 of
  [-1, 1]): how well the round trip restores the input (CycleGAN's cycle loss, Eq. 2).
- With the target-domain classifier (`eval.classifier`, default the one
  `classifier.domain(data)` names: the Kai / Ming style classifier for `fonts_unpaired`,
  the Fashion-MNIST classifier for `sneaker2boot`), and each domain's class in it
  (`DOMAIN_CLASSES`: Kai 0 / Ming 1; sneaker 7 / ankle boot 9):
  ``<d>_target_accuracy``: the share of translations it puts in the target domain's
  class (the "FCN-score" idea of Isola et al., 2017, Sec. 4.2, with a classifier of
  domains); ``<d>_real_accuracy``: the same on the target domain's real test images (the
  upper bound); ``<d>_input_accuracy``: on the untranslated inputs (what the identity
  map scores).
- With the content classifier (`eval.content_classifier`, default the one
  `classifier.CONTENT` names: the character classifier of both fonts for
  `fonts_unpaired`) and the examples' labels: ``<d>_content_accuracy``: the share of
  translations recognised as the input's own label (content preservation: a translated
  character must stay that character); ``<d>_input_content_accuracy``: the same on the
  inputs (its upper bound: the classifier's accuracy on real glyphs of the source style).
- ``<d>_fid``: FID (Heusel et al., 2017) between the translations and the target
  domain's real test images on the target-domain classifier's 128-d features (the
  content classifier's where there is no domain classifier: it is trained to give a
  character the same label in both styles, so its features largely ignore style);
  ``<d>_input_fid``: the same for the untranslated inputs (the identity map's score).
- The content classifier is a scoring network trained on the glyphs of the test
  characters in both fonts (as the FCN of the FCN-score is trained on real photos): the
  identity map scores ~100% content accuracy, so content is read beside style.
- CoGAN records also hold joint samples (`joint_a`, `joint_b`: G_a(z), G_b(z) from one
  z): ``joint_a_target_accuracy`` / ``joint_b_target_accuracy`` (each side in its own
  domain's class) and ``joint_content_agreement`` (the content classifier gives both
  sides of a pair the same label: the pair shows one item in two domains).
Images are resized (bilinear, antialiased) to a classifier's input size when they differ.
"""
from __future__ import annotations

import dataclasses

import numpy as np

from gan_jax.metrics import fid, paired

DIRECTIONS = {"ab": ("a", "b", "aba"), "ba": ("b", "a", "bab")}  # d: (source, target, cycle)
DOMAIN_CLASSES = {"fonts_unpaired": (0, 1), "sneaker2boot": (7, 9)}  # (A's class, B's class)


@dataclasses.dataclass
class Networks:
  target: object = None          # FeatureNet of the domains (or None)
  classes: tuple | None = None   # (class of A, class of B) in `target`
  content: object = None         # FeatureNet of the content labels y_a / y_b (or None)
  missing: dict = dataclasses.field(default_factory=dict)  # role: why it is left out


def networks(config, progress: bool = True) -> Networks:
  """The classifiers that score `config`'s data: explicit `eval.classifier` /
  `eval.content_classifier` paths, else the in-framework defaults for the data set
  (cached; built with `eval.classifier_args` when missing), none for a user's folders.
  One that cannot be had here is left out with a note (those scores are then missing;
  the cycle errors never need one)."""
  from gan_jax import classifier as classifier_lib
  from gan_jax.metrics import feature_nets
  name = config.data.name
  out = Networks()

  def load(path, domain, role):
    try:
      return feature_nets.classifier(path, domain, config.eval.classifier_args, progress)
    except classifier_lib.Unavailable as e:
      print(f"Note: unpaired scores without the {role} classifier ({role}_network). {e}",
            flush=True)
      out.missing[f"{role}_network"] = {"reason": e.reason, "command": e.command}
      return None

  target = classifier_lib.domain(name)
  if config.eval.classifier or target:
    classes = DOMAIN_CLASSES.get(name)
    if classes is None:
      raise ValueError(f"eval.classifier is set for data.name={name!r}, whose domains have "
                       f"no classes in it; the unpaired scores know {sorted(DOMAIN_CLASSES)}. "
                       "Leave eval.classifier empty for cycle errors alone.")
    out.target = load(config.eval.classifier, target, "target")
    out.classes = classes if out.target is not None else None
  content = classifier_lib.CONTENT.get(name)
  if config.eval.content_classifier or content:
    out.content = load(config.eval.content_classifier, content or name, "content")
  return out


def _unit(images) -> np.ndarray:
  return (np.asarray(images, np.float64) + 1.0) / 2.0


def _predict(net, images, what: str):
  """(argmax labels [N], features [N, F]) of `net` on images in [-1, 1]."""
  probs, features = net(paired.resize_for(images, net.input_shape), what)
  return probs.argmax(1), features


def cycle_scores(record: dict) -> dict:
  """{"<d>_cycle_l1", "<d>_cycle_l2"} of both directions."""
  out = {}
  for d, (source, _, back) in DIRECTIONS.items():
    diff = _unit(record[back]) - _unit(record[source])
    out[f"{d}_cycle_l1"] = float(np.mean(np.abs(diff)))
    out[f"{d}_cycle_l2"] = float(np.mean(diff ** 2))
  return out


def domain_scores(record: dict, net, classes) -> tuple[dict, dict]:
  """(target / real / input accuracies of both directions, the features of every image
  set by key) with the domain classifier `net`."""
  labels, feats = {}, {}
  for key in ("a", "b", "ab", "ba"):
    labels[key], feats[key] = _predict(net, record[key], key)
  index = {"a": classes[0], "b": classes[1]}
  out = {}
  for d, (source, target, _) in DIRECTIONS.items():
    out[f"{d}_target_accuracy"] = float(np.mean(labels[d] == index[target]))
    out[f"{d}_real_accuracy"] = float(np.mean(labels[target] == index[target]))
    out[f"{d}_input_accuracy"] = float(np.mean(labels[source] == index[target]))
  for key in ("joint_a", "joint_b"):
    if key in record:
      out[f"{key}_target_accuracy"] = float(np.mean(_predict(net, record[key], key)[0]
                                                    == index[key[-1]]))
  return out, feats


def content_scores(record: dict, net) -> tuple[dict, dict]:
  """(content accuracies of both directions where labels exist, features by key)."""
  out, feats = {}, {}
  for key in ("a", "b", "ab", "ba"):
    labels, feats[key] = _predict(net, record[key], key)
    y = record.get(f"y_{key[0]}")  # ab keeps a's content: labelled by y_a
    if y is None:
      continue
    if int(np.max(y)) >= net.info.get("num_classes", np.inf):
      raise ValueError(
          f"samples.npz's y_{key[0]} holds label {int(np.max(y))}, but the content "
          f"classifier {net.info.get('path', net.name)} knows {net.info['num_classes']} "
          "classes: it was built for other data (e.g. a smoke classifier scoring a full "
          "run). Set eval.content_classifier to one built for this data, or leave it "
          "empty to use (or build) the cached one.")
    name = f"{key}_content_accuracy" if len(key) == 2 else \
        f"{'ab' if key == 'a' else 'ba'}_input_content_accuracy"
    out[name] = float(np.mean(labels == np.asarray(y)))
  if "joint_a" in record and "joint_b" in record:
    la, _ = _predict(net, record["joint_a"], "joint_a")
    lb, _ = _predict(net, record["joint_b"], "joint_b")
    out["joint_content_agreement"] = float(np.mean(la == lb))
  return out, feats


def protocol(nets: Networks) -> dict:
  out = {"record": "held-out examples of both domains (the test split), each translated "
                   "both ways and back", "scale": "[0, 1]",
         "cycle": "mean |G_ba(G_ab(a)) - a| and |G_ab(G_ba(b)) - b|"}
  for role, net in (("target_network", nets.target), ("content_network", nets.content)):
    if net is not None:
      out[role] = {"name": net.name, "weights_sha256": net.sha256,
                   "input_shape": list(net.input_shape) if net.input_shape else None}
  if nets.target is not None:
    out["domain_classes"] = {"a": nets.classes[0], "b": nets.classes[1]}
    out["target_accuracy"] = "argmax class of a translation == the target domain's class"
  if nets.content is not None:
    out["content_accuracy"] = "argmax label of a translation == the input's label"
  if nets.missing:
    out["missing_networks"] = nets.missing
  fid_net = nets.target or nets.content
  if fid_net is not None:
    out["fid"] = (f"Frechet distance of {fid_net.name}'s features: translations vs the "
                  "target domain's real test images (<d>_input_fid: the untranslated "
                  "inputs vs the same, what the identity map scores)")
  return out


def scores(record: dict, nets: Networks) -> tuple[dict, dict]:
  """(scores, protocol) of an unpaired sample record (module docstring)."""
  out = cycle_scores(record)
  target_feats = content_feats = {}
  if nets.target is not None:
    s, target_feats = domain_scores(record, nets.target, nets.classes)
    out.update(s)
  if nets.content is not None:
    s, content_feats = content_scores(record, nets.content)
    out.update(s)
  feats = target_feats or content_feats  # FID on the domain network's features
  if feats:
    for d, (source, target, _) in DIRECTIONS.items():
      out[f"{d}_fid"] = float(fid.fid_from_features(feats[target], feats[d]))
      out[f"{d}_input_fid"] = float(fid.fid_from_features(feats[target], feats[source]))
  out["num_a"], out["num_b"] = int(len(record["a"])), int(len(record["b"]))
  return out, protocol(nets)
