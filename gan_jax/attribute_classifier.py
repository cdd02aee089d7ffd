"""The attribute classifier of captioned shapes: what the `text2image` eval group
(gan_jax/metrics/text2image.py) reads off generated images to check them against their
captions.

`AttributeNet` (four small convolutions, the first at full resolution, dropout, a
128-unit ReLU layer: the features) with one softmax head per attribute of the main
shape (`HEADS`: shape 6, colour 9, size 2, position 5, and the scene's background 3).
It trains on the one-shape scenes of the captioned_shapes `train` split (a two-shape
image does not say which shape its caption names first) at the run's image size; the
geometric heads (shape, size, position) learn from copies of the images with their RGB
channels randomly permuted, so that they cannot read a shape off its colour (the test
split's held-out shape-colour pairs never occur in training: a classifier that did
would call a green circle anything but a circle). It is tested on the one-shape scenes
of `test_seen` and `test` (real images; its per-attribute accuracy there is the ceiling
of any generator's score).

Cached like the domain classifier (gan_jax/classifier.py): built on first use into
``$GAN_JAX_CACHE/classifiers/captioned_shapes_attributes-<size>-<version>``, the
version a hash of this file's network, labelling and training code, `SETTINGS` and the
scenes' tables and version (`version`), with ``classifier.json`` holding its accuracies and the sha256 of its
weights, which every score records.
"""
from __future__ import annotations

import hashlib
import inspect
import json
import os
import shutil

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import optax
import orbax.checkpoint as ocp

from gan_jax import classifier as classifier_lib
from gan_jax.data import shapes

HEADS = ("shape", "colour", "size", "position", "background")
GEOMETRIC = ("shape", "size", "position")  # heads trained on colour-permuted images
SETTINGS = {"width": 16, "epochs": 8, "batch_size": 128, "lr": 2e-3, "seed": 0}


class AttributeNet(nn.Module):
  """Images [B, H, W, 3] in [-1, 1] -> (logits [B, 25]: the heads side by side, see
  `split_heads`; features [B, 128]).

  Conv 3x3 (w) -> Conv 4x4 stride 2 (2w) -> Conv 3x3 (2w) -> Conv 4x4 stride 2 (4w), each
  with ReLU, then dropout 0.3, Dense(128) + ReLU (the features), dropout 0.3, Dense(25).
  The first convolution keeps the full resolution: a small shape at 32 px is about 6
  pixels wide, and the domain classifier's 5x5 stride-2 start (classifier.ConvNet, the
  first version of this net) told its corners from a circle's on 0.70 of them."""
  width: int = 16

  @nn.compact
  def __call__(self, x, train: bool = False):
    w = self.width
    for features, kernel, stride in ((w, 3, 1), (2 * w, 4, 2), (2 * w, 3, 1), (4 * w, 4, 2)):
      x = nn.relu(nn.Conv(features, (kernel, kernel), strides=stride)(x))
    x = nn.Dropout(0.3, deterministic=not train)(x.reshape(x.shape[0], -1))
    features = nn.relu(nn.Dense(128)(x))
    logits = nn.Dense(sum(len(shapes.VALUES[a]) for a in HEADS))(
        nn.Dropout(0.3, deterministic=not train)(features))
    return logits, features


def split_heads(logits) -> dict:
  """{head: logits [B, K_head]} of the concatenated logits [B, 25]."""
  bounds = np.cumsum([0] + [len(shapes.VALUES[a]) for a in HEADS])
  return {a: logits[:, bounds[i]:bounds[i + 1]] for i, a in enumerate(HEADS)}


def one_shape(attributes: np.ndarray) -> np.ndarray:
  """bool [N]: the scenes (or captions) of a single shape."""
  return np.asarray(attributes)[:, 5] < 0


def labelled(split: str, size: int, limit: int = 0):
  """(images float32 [n, size, size, 3], attributes int32 [n, 5]) of the one-shape
  scenes of `split`."""
  s = shapes.load(split, size, limit, progress=False)
  keep = one_shape(s["attributes"])
  return (s["images"][keep].astype(np.float32) / 127.5 - 1.0,
          s["attributes"][keep][:, :len(HEADS)])


def version(size: int, limit: int) -> str:
  """The cache key of a classifier: its network, its training code and settings, and
  the scenes it learns from (shapes.VERSION and every table the scenes are drawn from),
  so that a change to any of them builds a new classifier."""
  digest = hashlib.sha256()
  for fn in (AttributeNet, train, labelled, one_shape):
    digest.update(inspect.getsource(fn).encode())
  digest.update(json.dumps({**SETTINGS, "size": size, "limit": limit}, sort_keys=True).encode())
  digest.update(json.dumps({"version": shapes.VERSION, "seed": shapes.SEED,
                            "counts": shapes.COUNTS, "tables": shapes.tables()},
                           sort_keys=True).encode())
  return digest.hexdigest()[:12]


def default_path(size: int, limit: int = 0) -> str:
  name = f"captioned_shapes_attributes-{size}" + (f"-limit{limit}" if limit else "")
  return os.path.join(classifier_lib.cache_root(), "classifiers",
                      f"{name}-{version(size, limit)}")


def accuracies(model, variables, x, attributes) -> dict:
  """{head: accuracy} of the classifier on images x against attributes [n, 5]."""
  predicted = predict(model, variables, x)[0]
  return {a: float(np.mean(predicted[a] == attributes[:, i])) for i, a in enumerate(HEADS)}


def train(workdir: str, size: int, limit: int = 0, progress: bool = True) -> dict:
  """Trains on the one-shape train scenes, tests on test_seen and test, saves."""
  import tqdm
  x, y = labelled("train", size, limit)
  model = AttributeNet(SETTINGS["width"])
  key = jax.random.PRNGKey(SETTINGS["seed"])
  variables = model.init(key, x[:2])
  bs = min(SETTINGS["batch_size"], len(x))
  steps = max(1, len(x) // bs)
  tx = optax.adam(optax.cosine_decay_schedule(SETTINGS["lr"], steps * SETTINGS["epochs"]))
  opt_state = tx.init(variables["params"])

  @jax.jit
  def step(variables, opt_state, x, y, key):
    k_drop, k_perm = jax.random.split(key)
    order = jax.vmap(lambda k: jax.random.permutation(k, 3))(
        jax.random.split(k_perm, x.shape[0]))
    permuted = jnp.take_along_axis(x, order[:, None, None, :], axis=-1)

    def loss_fn(params):
      apply = lambda images: split_heads(model.apply({"params": params}, images, train=True,
                                                     rngs={"dropout": k_drop})[0])
      logits, geometric = apply(x), apply(permuted)
      return sum(optax.softmax_cross_entropy_with_integer_labels(
          (geometric if a in GEOMETRIC else logits)[a], y[:, i]).mean()
                 for i, a in enumerate(HEADS))
    loss, grads = jax.value_and_grad(loss_fn)(variables["params"])
    updates, opt_state = tx.update(grads, opt_state, variables["params"])
    return {"params": optax.apply_updates(variables["params"], updates)}, opt_state, loss

  bar = tqdm.tqdm(total=steps * SETTINGS["epochs"], disable=not progress, unit="step",
                  desc="attribute classifier")
  for epoch in range(SETTINGS["epochs"]):
    order = np.random.default_rng([SETTINGS["seed"], epoch]).permutation(len(x))
    for i in range(steps):
      rows = order[i * bs:(i + 1) * bs]
      key, sub = jax.random.split(key)
      variables, opt_state, loss = step(variables, opt_state, x[rows], y[rows], sub)
      bar.update(1)
  bar.close()
  info = {"data": "captioned_shapes", "heads": list(HEADS), "image_size": size,
          "limit": limit, "num_train": len(x), "settings": SETTINGS,
          "train_set": "the one-shape scenes of captioned_shapes:train",
          "architecture": f"AttributeNet(width={SETTINGS['width']})",
          "sha256": classifier_lib.params_hash(variables)}
  for split in ("test_seen", "test"):
    tx_, ty_ = labelled(split, size, limit)
    info[f"{split}_accuracy"] = accuracies(model, variables, tx_, ty_)
    info[f"num_{split}"] = len(tx_)
  os.makedirs(workdir, exist_ok=True)
  with ocp.StandardCheckpointer() as ckpt:
    ckpt.save(os.path.join(os.path.abspath(workdir), "variables"), variables, force=True)
  with open(os.path.join(workdir, "classifier.json"), "w") as f:
    json.dump(info, f, indent=2)
  return info


def ensure(size: int, limit: int = 0, progress: bool = True) -> str:
  """The directory of the trained classifier at `size`, built there first if missing."""
  path = default_path(size, limit)
  if classifier_lib.exists(path):
    return path
  with classifier_lib._lock(path):
    if classifier_lib.exists(path):
      return path
    print(f"Building the captioned_shapes attribute classifier for the text2image scores "
          f"(none at {path}); several minutes on 2 CPU cores, once.", flush=True)
    partial = f"{path}.partial-{os.getpid()}"
    shutil.rmtree(partial, ignore_errors=True)
    train(partial, size, limit, progress)
    shutil.rmtree(path, ignore_errors=True)
    os.replace(partial, path)
  return path


def load(path: str):
  """(model, variables, info) of a saved attribute classifier."""
  with open(os.path.join(path, "classifier.json")) as f:
    info = json.load(f)
  with ocp.StandardCheckpointer() as ckpt:
    variables = ckpt.restore(os.path.join(os.path.abspath(path), "variables"))
  if classifier_lib.params_hash(variables) != info["sha256"]:
    raise ValueError(f"The attribute classifier in {path} does not match its recorded hash; "
                     "delete the directory to rebuild it.")
  return AttributeNet(info["settings"]["width"]), variables, info


_PREDICT = {}


def predict(model, variables, images, batch_size: int = 1000):
  """({head: predicted value [N]}, features [N, 128]) in eval mode."""
  if model not in _PREDICT:
    def fn(variables, x):
      logits, features = model.apply(variables, x, train=False)
      return {a: l.argmax(-1) for a, l in split_heads(logits).items()}, features
    _PREDICT[model] = jax.jit(fn)
  out = [_PREDICT[model](variables, np.asarray(images[i:i + batch_size], np.float32))
         for i in range(0, len(images), batch_size)]
  return ({a: np.concatenate([np.asarray(o[0][a]) for o in out]) for a in HEADS},
          np.concatenate([np.asarray(o[1]) for o in out]))
