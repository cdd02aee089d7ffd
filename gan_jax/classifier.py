"""A domain classifier for evaluating generators on small images (Fashion-MNIST, MNIST,
CJK glyphs).

Its logits give the Inception Score and class coverage, its penultimate 128-d features
give FID / KID / precision / recall ("FID (F-MNIST classifier)"). Saved as an orbax
checkpoint plus ``classifier.json`` holding the test accuracy and the sha256 of the
parameters, which every score computed with it records.

A run that needs it and finds none builds it (`ensure`: about 3 minutes on 2 CPU cores,
once) into the user cache, ``$GAN_JAX_CACHE/classifiers/<data>-<version>`` (default
``~/.cache/gan_jax``), where every later run and checkout finds it; the version is a
hash of the network's and the training loop's code and of the classifier's config
(experiments/classifier.py), so a change to any of them builds a new one.
``eval.classifier=DIR`` puts it elsewhere. ``python launch.py --config
experiments/classifier.py[:data=<name>]`` builds it by hand.

Glyphs (`data.name=fonts`): a character classifier of the target font (Ming, the
`fonts` targets) over `data.characters` ('test': the 376 held-out characters that
pix2pix never trains on; 'all': all 3,755), one image per character, so it trains on
random affine copies (`augment`: scale 0.85-1.1, shift up to 1/10 of the size) at
`data.image_size` (32: the 64-px glyphs are resized for it). Labels are the characters'
indices in the fonts data (the `y` of the `fonts` batches), so it scores translated test
characters directly: pix2pix's "FCN-score" analog. Its info records its accuracy on
held-out affine copies and on the Kai glyphs (the untranslated inputs).

Unpaired glyphs (`fonts_unpaired`, Kai <-> Ming) are scored by two more, built from the
same glyphs (and cached and built on first use like the others):
- `data.name=fonts_both`: the same character classifier trained on both fonts (each
  character's Kai and Ming glyph, one label, over `data.characters`), so it recognises
  a character in either style: content preservation of translations in both directions
  (labels are the `y_a` / `y_b` of the `fonts_unpaired` batches);
- `data.name=fonts_style`: a Kai (0) / Ming (1) style classifier trained on the
  *training* characters' glyphs in both fonts and tested on the test characters' (held
  out: a translated test character is a glyph it never saw either), for the share of
  translations in the target style.
"""
from __future__ import annotations

import contextlib
import fcntl
import hashlib
import inspect
import json
import os
import shutil

import flax
import flax.linen as nn
import jax
import numpy as np
import optax
import orbax.checkpoint as ocp
import tqdm

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class ConvNet(nn.Module):
  """Images [B, H, W, C] in [-1, 1] -> (logits [B, classes], features [B, 128]).
  Two 5x5 stride-2 convolutions (width, 2 width channels) with ReLU, dropout 0.3, a
  128-unit ReLU layer (the features), dropout 0.3, the class logits."""
  num_classes: int = 10
  width: int = 32

  @nn.compact
  def __call__(self, x, train: bool = False):
    for features in (self.width, 2 * self.width):
      x = nn.relu(nn.Conv(features, (5, 5), strides=2)(x))
    x = nn.Dropout(0.3, deterministic=not train)(x.reshape(x.shape[0], -1))
    features = nn.relu(nn.Dense(128)(x))
    logits = nn.Dense(self.num_classes)(
        nn.Dropout(0.3, deterministic=not train)(features))
    return logits, features


# The classifier that judges a data set's (target) images, by data.name.
DOMAINS = {"fashion_mnist": "fashion_mnist", "mnist": "mnist", "edges2fashion": "fashion_mnist",
           "mosaic": "fashion_mnist", "sneaker2boot": "fashion_mnist", "fonts": "fonts",
           "fonts_unpaired": "fonts_style"}
# The classifier that recognises the content of a data set's images in either domain.
CONTENT = {"fonts_unpaired": "fonts_both"}
GLYPHS = ("fonts", "fonts_both", "fonts_style")
STYLES = ("kai", "ming")  # fonts_style labels: 0 Kai (fonts_unpaired's A), 1 Ming (B)
SHIFT, SCALES = 0.1, (0.85, 1.1)  # glyph augmentation: shift (x size), scale range


def domain(data_name: str, path: str = "") -> str | None:
  """The classifier domain of `data_name`'s (target) images; None where no in-framework
  classifier fits (mosaic of photographs or a folder, user folders)."""
  if data_name == "mosaic" and path:
    return None
  return DOMAINS.get(data_name)


EXPERIMENT = os.path.join(REPO, "experiments", "classifier.py")


class Unavailable(RuntimeError):
  """No classifier exists and none can be built here; `command` is what adds it."""

  def __init__(self, reason: str, command: str):
    super().__init__(f"{reason} Add it with: {command}")
    self.reason, self.command = reason, command


def cache_root() -> str:
  """$GAN_JAX_CACHE, default ~/.cache/gan_jax: classifiers and real-feature statistics."""
  from gan_jax import cache
  return cache.cache_dir()


def experiment_config(data_name: str, args: str = ""):
  """The config of experiments/classifier.py for `data_name` plus its `args` ('smoke')."""
  from gan_jax import experiment
  return experiment.load_config(f"{EXPERIMENT}:" + ",".join(filter(None, [f"data={data_name}",
                                                                          args])))


def version(config) -> str:
  """12 hex digits of sha256(the network's and the training loop's source, the
  classifier's config): what a trained classifier depends on, so a cached one is never
  used after either changes (and is kept across edits elsewhere in this file)."""
  digest = hashlib.sha256(inspect.getsource(ConvNet).encode())
  digest.update(inspect.getsource(train).encode())
  digest.update(config.to_json(sort_keys=True).encode())
  return digest.hexdigest()[:12]


def path_for(config) -> str:
  """Where the classifier of `config` (experiments/classifier.py) is cached."""
  return os.path.join(cache_root(), "classifiers", f"{config.data.name}-{version(config)}")


def default_path(data_name: str, args: str = "") -> str:
  return path_for(experiment_config(data_name, args))


def exists(path: str) -> bool:
  return os.path.exists(os.path.join(path, "classifier.json"))


def build_command(data_name: str, args: str, path: str) -> str:
  spec = ",".join(filter(None, [f"data={data_name}", args]))
  return f"python launch.py --config experiments/classifier.py:{spec} --workdir {path}"


@contextlib.contextmanager
def _lock(path: str):
  """An exclusive lock next to `path`: concurrent runs (or test workers) build once."""
  os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
  with open(path + ".lock", "w") as f:
    fcntl.flock(f, fcntl.LOCK_EX)
    try:
      yield
    finally:
      fcntl.flock(f, fcntl.LOCK_UN)


def ensure(path: str, data_name: str, args: str = "", progress: bool = True) -> str:
  """The directory of a trained classifier for `data_name`: `path` ('' = the cached
  default for experiments/classifier.py:data=<name>,<args>), trained there first when
  it holds none. Raises `Unavailable` (with the command that adds it) when the data
  cannot be had here or have no class labels; training is never started half-way."""
  config = experiment_config(data_name, args)
  path = os.path.abspath(os.path.expanduser(path or path_for(config)))
  if exists(path):
    return path
  from gan_jax import data
  unlabelled = Unavailable(
      f"No classifier for {data_name!r}: the data have no class labels to train one on.",
      "--config.eval.classifier=<dir of a classifier trained on labelled data of the same "
      "kind, e.g. made by experiments/classifier.py>")
  if data_name == "folder" or data_name in data.TOY:
    raise unlabelled
  try:
    labelled = _labelled(config)
  except (data.datasets.DataUnavailableError, OSError, ValueError) as e:
    raise Unavailable(f"No classifier for {data_name!r} at {path}, and it cannot be built "
                      f"here: {e}", build_command(data_name, args, path)) from None
  if not labelled:
    raise unlabelled
  with _lock(path):
    if exists(path):  # built by another process while we waited
      return path
    print(f"Building the {data_name} domain classifier for the image metrics "
          f"(eval.metrics needs it and there is none at {path}): "
          f"{config.train.epochs} epoch(s), width {config.model.width}; about "
          f"{'30 seconds' if config.train.epochs == 1 else '3 minutes'} on 2 CPU cores, "
          "once: later runs and checkouts find it there.", flush=True)
    partial = f"{path}.partial-{os.getpid()}"
    shutil.rmtree(partial, ignore_errors=True)
    train(config, partial, progress=progress)
    shutil.rmtree(path, ignore_errors=True)  # what an interrupted build by hand left
    os.replace(partial, path)
  return path


def _labelled(config) -> bool:
  """Whether the data a classifier of `config` trains on can be had here and carry
  labels; raises what loading them raises. The glyph classifiers (`GLYPHS`, not all of
  them data sets) learn from the fonts glyphs, labelled by character or by style."""
  from gan_jax import data
  if config.data.name in GLYPHS:
    from gan_jax.data import fonts
    fonts.load(fonts.SIZE, config.data.limit, progress=False)
    return True
  return "y" in data.get_source(config).batch(0)


def augment(images, key):
  """Random affine copies of glyphs [B, S, S, 1] in [-1, 1] (background -1): each image
  scaled by U(SCALES) about its centre and shifted by U(-SHIFT S, SHIFT S) pixels."""
  import jax.numpy as jnp
  b, size = images.shape[0], images.shape[1]
  k_scale, k_shift = jax.random.split(key)
  scale = jax.random.uniform(k_scale, (b, 1), minval=SCALES[0], maxval=SCALES[1])
  shift = jax.random.uniform(k_shift, (b, 2), minval=-SHIFT * size, maxval=SHIFT * size)
  translation = size / 2 * (1 - scale) + shift

  def one(image, s, t):
    return jax.image.scale_and_translate(image + 1.0, image.shape, (0, 1), jnp.concatenate(
        [s, s]), t, "linear") - 1.0
  return jax.vmap(one)(images, scale, translation)


def _glyph_arrays(config):
  """(train x, train y, test x, test y, extra test sets) for the glyph classifiers, at
  data.image_size: `fonts` the Ming glyphs of `data.characters`, labelled by character
  index, test = seeded affine copies, the Kai glyphs as an extra set; `fonts_both` the
  glyphs of both fonts of those characters, test = affine copies of both; `fonts_style`
  Kai 0 / Ming 1 on the training characters, test = the test characters' glyphs."""
  from gan_jax.data import fonts, images as images_lib
  glyphs = fonts.load(fonts.SIZE, config.data.limit, progress=False)
  size = config.data.image_size or fonts.SIZE
  fit = lambda style, rows: images_lib.to_float(images_lib.fit_all(glyphs[style][rows],
                                                                   size, 0))
  if config.data.name == "fonts_style":
    def style(split):
      rows = fonts.split_rows(glyphs, split)
      return (np.concatenate([fit("kai", rows), fit("ming", rows)]),
              np.repeat(np.arange(len(STYLES), dtype=np.int32), len(rows)))
    return (*style("train"), *style("test"), {})
  rows = fonts.split_rows(glyphs, config.data.characters)
  ming, kai = fit("ming", rows), fit("kai", rows)
  labels = rows.astype(np.int32)
  copies = lambda x: np.asarray(augment(x, jax.random.PRNGKey(config.seed + 1)))
  if config.data.name == "fonts_both":
    x, y = np.concatenate([ming, kai]), np.concatenate([labels, labels])
    return x, y, copies(x), y, {"kai": (kai, labels), "ming": (ming, labels)}
  return ming, labels, copies(ming), labels, {"kai": (kai, labels)}


def params_hash(variables) -> str:
  """sha256 of the serialized variables: identifies the feature network in protocols."""
  return hashlib.sha256(flax.serialization.to_bytes(variables)).hexdigest()


def train(config, workdir: str, progress: bool = True) -> dict:
  """Trains the classifier on the train split, tests it, saves it to `workdir`."""
  from gan_jax import data
  os.makedirs(workdir, exist_ok=True)
  glyphs = config.data.name in GLYPHS
  if glyphs:
    train_x, train_y, test_x, test_y, extra = _glyph_arrays(config)
  else:
    train_x, train_y = data.get_source(config).arrays()
    test_x, test_y = data.get_source(config, split="test").arrays()
    extra = {}
  model = ConvNet(num_classes=int(train_y.max()) + 1, width=config.model.width)
  key = jax.random.PRNGKey(config.seed)
  variables = model.init(key, train_x[:2])
  steps_per_epoch = max(1, len(train_x) // config.data.batch_size)
  total = steps_per_epoch * config.train.epochs
  tx = optax.adam(optax.cosine_decay_schedule(config.optim.d.lr, total))
  opt_state = tx.init(variables["params"])

  @jax.jit
  def step(variables, opt_state, x, y, key):
    if glyphs:
      key, k_aug = jax.random.split(key)
      x = augment(x, k_aug)

    def loss_fn(params):
      logits, _ = model.apply({"params": params}, x, train=True, rngs={"dropout": key})
      return optax.softmax_cross_entropy_with_integer_labels(logits, y).mean()
    loss, grads = jax.value_and_grad(loss_fn)(variables["params"])
    updates, opt_state = tx.update(grads, opt_state, variables["params"])
    return {"params": optax.apply_updates(variables["params"], updates)}, opt_state, loss

  bs = min(config.data.batch_size, len(train_x))
  bar = tqdm.tqdm(total=total, disable=not progress, unit="step", desc="classifier")
  for epoch in range(config.train.epochs):
    order = np.random.default_rng([config.seed, epoch]).permutation(len(train_x))
    for i in range(steps_per_epoch):
      rows = order[i * bs:(i + 1) * bs]
      key, sub = jax.random.split(key)
      variables, opt_state, loss = step(variables, opt_state, train_x[rows], train_y[rows], sub)
      bar.update(1)
    bar.set_postfix(loss=f"{float(loss):.3f}")
  bar.close()
  accuracy = float(np.mean(predict(model, variables, test_x).argmax(-1) == test_y))
  info = {"data": config.data.name, "test_accuracy": accuracy, "num_test": len(test_x),
          "architecture": f"ConvNet(width={config.model.width})",
          "num_classes": model.num_classes, "sha256": params_hash(variables),
          "input_shape": list(train_x.shape[1:]), "seed": int(config.seed)}
  if glyphs:
    info["test_set"] = {
        "fonts": "affine copies (augment, seed + 1) of every Ming glyph",
        "fonts_both": "affine copies (augment, seed + 1) of every Kai and Ming glyph",
        "fonts_style": "the test characters' Kai and Ming glyphs (never trained on)",
    }[config.data.name]
    info["characters"] = (
        f"the training characters of fonts.load(limit={config.data.limit}), label = 0 Kai, "
        "1 Ming" if config.data.name == "fonts_style" else
        f"{config.data.characters} characters of fonts.load(limit={config.data.limit}), "
        f"label = index ({len(set(train_y.tolist()))} classes)")
  for name, (x, y) in extra.items():
    info[f"{name}_accuracy"] = float(np.mean(predict(model, variables, x).argmax(-1) == y))
  save(workdir, variables, info)
  print(json.dumps(info, indent=2), flush=True)
  return info


def save(workdir: str, variables, info: dict) -> None:
  path = os.path.join(os.path.abspath(workdir), "variables")
  with ocp.StandardCheckpointer() as ckpt:
    ckpt.save(path, variables, force=True)
  with open(os.path.join(workdir, "classifier.json"), "w") as f:
    json.dump(info, f, indent=2)


def load(path: str):
  """(model, variables, info) of a saved classifier; a clear error when missing."""
  info_path = os.path.join(path, "classifier.json")
  if not os.path.exists(info_path):
    raise FileNotFoundError(
        f"No classifier at {path}. Create it with: python launch.py --config "
        f"experiments/classifier.py:data=<name> --workdir {path} (about 3 minutes on 2 "
        "CPU cores), or set eval.classifier to where one was saved.")
  with open(info_path) as f:
    info = json.load(f)
  with ocp.StandardCheckpointer() as ckpt:
    variables = ckpt.restore(os.path.join(os.path.abspath(path), "variables"))
  if params_hash(variables) != info["sha256"]:
    raise ValueError(f"The classifier in {path} does not match its recorded hash; retrain it.")
  width = int(info["architecture"].split("width=")[1].rstrip(")"))
  return ConvNet(num_classes=info["num_classes"], width=width), variables, info


def predict(model, variables, images: np.ndarray, batch_size: int = 1000,
            features: bool = False) -> np.ndarray:
  """Softmax probabilities [N, classes] (or features [N, 128]) in eval mode, batched."""
  fn = _predictor(model, features)
  out = []
  for i in range(0, len(images), batch_size):
    chunk = np.asarray(images[i:i + batch_size], np.float32)
    n = len(chunk)
    if n < batch_size and len(images) > batch_size:  # one compiled shape
      chunk = np.concatenate([chunk, np.zeros((batch_size - n,) + chunk.shape[1:], np.float32)])
    out.append(np.asarray(fn(variables, chunk))[:n])
  return np.concatenate(out)


_PREDICTORS = {}


def _predictor(model, features: bool):
  key = (model, features)
  if key not in _PREDICTORS:
    def fn(variables, x):
      logits, feats = model.apply(variables, x, train=False)
      return feats if features else jax.nn.softmax(logits)
    _PREDICTORS[key] = jax.jit(fn)
  return _PREDICTORS[key]
