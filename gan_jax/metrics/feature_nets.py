"""Feature networks for image metrics, each with the name and weights hash that go into
every score's protocol.

- ``classifier``: the domain classifier of `gan_jax.classifier` (28x28 data such as
  Fashion-MNIST): softmax over its classes, 128-d penultimate features; built into the
  user cache first when none exists (`classifier.ensure`).
- ``inception``: InceptionV3 of the standard FID reference (`metrics.inception`),
  softmax over its 1008 bias-free logits (the published Inception Score), 2048-d pool3
  features; weights from the file the user supplies (`eval.inception_weights`, see
  docs/inception_weights.md), inputs prepared as `eval.inception_preprocess` says.
"""
from __future__ import annotations

import dataclasses
from typing import Callable

import numpy as np

from gan_jax import classifier as classifier_lib
from gan_jax.metrics import inception, inception_score


@dataclasses.dataclass
class FeatureNet:
  name: str                      # e.g. "ConvNet classifier (fashion_mnist)"
  sha256: str                    # hash of the weights
  input_shape: tuple | None      # (H, W, C) it takes, or None for any size
  run: Callable                  # images [N, H, W, C] in [-1, 1] -> (probs, features)
  info: dict
  preprocess: str = "none: the float samples in [-1, 1] as they are"

  def check(self, images: np.ndarray, what: str) -> None:
    """A clear error for samples the network cannot score, instead of a number."""
    if images.ndim != 4:
      raise ValueError(f"{what} must be images [N, H, W, C] for {self.name}; got shape "
                       f"{images.shape}.")
    if self.input_shape and images.shape[1:] != tuple(self.input_shape):
      raise ValueError(f"{self.name} takes images of shape {tuple(self.input_shape)}; "
                       f"{what} are {images.shape[1:]}. Evaluate at the classifier's size, "
                       "or use eval.metrics=('inception',).")
    low, high = float(images.min()), float(images.max())
    if low < -1.001 or high > 1.001:
      raise ValueError(f"{what} must lie in [-1, 1] (G's tanh range); found [{low:.3g}, "
                       f"{high:.3g}]. Rescale them (uint8 x -> x / 127.5 - 1).")

  def __call__(self, images: np.ndarray, what: str = "samples"):
    self.check(images, what)
    return self.run(images)


def classifier(path: str, data_name: str, args: str = "", progress: bool = True) -> FeatureNet:
  """The domain classifier at `path` ('' = the cached one for `data_name`, `args` of
  experiments/classifier.py), built first where missing; `classifier_lib.Unavailable`
  when it cannot be."""
  path = classifier_lib.ensure(path, data_name, args, progress)
  model, variables, info = classifier_lib.load(path)
  if data_name != "folder" and info["data"] != data_name:
    raise ValueError(f"eval.classifier={path} holds a classifier of {info['data']!r}, but "
                     f"the run's data are {data_name!r}; leave eval.classifier empty to "
                     f"use (or build) the {data_name} one.")

  def run(images):
    return (classifier_lib.predict(model, variables, images),
            classifier_lib.predict(model, variables, images, features=True))
  shape = tuple(info["input_shape"]) if "input_shape" in info else (28, 28, 1) \
      if info["data"] in ("fashion_mnist", "mnist") else None
  return FeatureNet(f"ConvNet classifier ({info['data']}, test accuracy "
                    f"{info['test_accuracy']:.4f})", info["sha256"], shape, run,
                    {"path": path, **info})


def inception_v3(path: str, preprocess: str = "pytorch_fid") -> FeatureNet:
  if preprocess not in inception.PREPROCESS:
    raise ValueError(f"eval.inception_preprocess={preprocess!r} is not one of "
                     f"{', '.join(inception.PREPROCESS)} (pytorch-fid's is the default).")
  variables = inception.load_weights(path)
  protocol = inception.weights_protocol(path)

  def run(images):
    features, _ = inception.extract(variables, images, mode=preprocess)
    return inception_score.softmax(inception.is_logits(variables, features)), features
  return FeatureNet("InceptionV3 (pytorch-fid, TF 2015-12-05 graph), pool3 2048-d",
                    protocol["inception_weights_sha256"], None, run, protocol,
                    f"{preprocess}: {inception.PREPROCESS[preprocess]}")
