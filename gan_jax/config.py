"""Config helpers shared by every experiment.

An experiment is `experiments/<name>.py` with `get_config(arg=None)`; `arg` is a comma
list such as ``"smoke,data=grid25"`` parsed by :func:`parse_arg`. :func:`base` holds the
standard keys of ../shared/DESIGN.md, so every experiment starts from the same shape.
"""
from __future__ import annotations

import difflib
from typing import Any

import ml_collections


def parse_arg(arg: str | None, **defaults: Any) -> ml_collections.ConfigDict:
  """Parses ``"smoke,data=grid25,lr=1e-3"`` into a ConfigDict typed by `defaults`.

  A bare word sets a bool default to True. Every key must be one of `defaults`;
  values are converted to the type of their default.
  """
  out = dict(defaults)
  for item in filter(None, (s.strip() for s in (arg or "").split(","))):
    key, has_value, value = item.partition("=")
    if key not in defaults:
      raise ValueError(
          f"Unknown config arg {key!r}{_did_you_mean(key, defaults)}. "
          f"Valid args: {', '.join(sorted(defaults))}.")
    default = defaults[key]
    if not has_value:
      if not isinstance(default, bool):
        raise ValueError(f"Config arg {key!r} needs a value, e.g. {key}={default}.")
      out[key] = True
    elif isinstance(default, bool):
      if value.lower() not in ("true", "false", "1", "0"):
        raise ValueError(f"Config arg {key}={value!r} must be true or false.")
      out[key] = value.lower() in ("true", "1")
    elif default is None or isinstance(default, str):
      out[key] = value
    else:
      try:
        out[key] = type(default)(value)
      except ValueError:
        raise ValueError(
            f"Config arg {key}={value!r} is not a {type(default).__name__}.") from None
  return ml_collections.ConfigDict(out)


def base(seed: int = 0) -> ml_collections.ConfigDict:
  """The keys every experiment shares (DESIGN.md, 'Config')."""
  c = ml_collections.ConfigDict()
  c.seed = seed
  c.method = "gan"

  c.data = ml_collections.ConfigDict()
  c.data.name = "grid25"
  c.data.batch_size = 256
  c.data.path = ""          # folder: a folder of images; mosaic: "photos" or a folder;
                            # folder_pairs: A|B images; folder2: trainA/ ... testB/
  c.data.image_size = 0     # images: resize to this size (0: the data set's own)
  c.data.channels = 0       # images: 1 or 3 (0: the data set's own)
  c.data.flip = False       # images: random horizontal flips
  c.data.path_a = ""        # folder_pairs / folder2: the folder of A (input) images;
                            # noisy_speech: a folder of clean WAVs ("": Asterisk prompts)
  c.data.path_b = ""        # folder_pairs / folder2: the folder of B (target) images;
                            # noisy_speech: a folder of noise WAVs (optional)
  c.data.limit = 0          # translation, caption, speech, video, text sets: only the
                            # first N examples / utterances / items / documents (0: all)
  c.data.sample_rate = 8000  # noisy_speech: audio rate in Hz (files are resampled to it)
  c.data.window = 16384     # noisy_speech: samples per example (16384: ~2 s at 8 kHz)
  c.data.motion = "fork"    # moving_fashion: fork | bounce
  c.data.past = 4           # moving_fashion: frames given
  c.data.future = 4         # moving_fashion: frames to predict
  c.data.seq_len = 0        # text sets: tokens per sequence (0: the data set's own)

  c.model = ml_collections.ConfigDict()
  c.model.name = "mlp"
  c.model.z_dim = 2
  c.model.z_dist = "normal"  # normal | uniform
  c.model.width = 512         # MLP units; base channel count of conv nets
  c.model.depth = 3
  c.model.kernel_size = 4
  c.model.g_norm = "batch"    # conv nets: batch | layer | instance | none
  c.model.d_norm = "batch"
  c.model.g_upsample = "transpose"  # dcgan-layout G of text_conditional: transpose | nearest
  c.model.spectral_norm = False
  c.model.num_classes = 0     # class-conditional methods: the data's classes (0: none)
  c.model.pack = 1            # PacGAN: samples per D decision (1: off; gan_jax/packing.py)
  c.model.minibatch = ""      # D's minibatch layer: "" | disc | stddev (networks/minibatch.py)

  c.loss = ml_collections.ConfigDict()
  c.loss.name = "nonsaturating"
  c.loss.class_weight = 1.0   # acgan: weight of the class log-likelihood terms

  # {name: {weight, every}}; weight_clip: {c, every}.
  c.regularizers = ml_collections.ConfigDict()

  c.train = ml_collections.ConfigDict()
  c.train.steps = 2000
  c.train.n_critic = 1
  c.train.n_gen = 1
  c.train.unroll = 0                # unrolled GAN: G's loss through k D updates (0: off)
  c.train.precision = "fp32"        # fp32 | bf16 (bfloat16 compute, float32 weights)
  c.train.on_nonfinite = "stop"     # stop | rollback (to the last checkpoint, lower lrs)
  c.train.rollback_lr_scale = 0.5   # rollback: both learning rates times this
  c.train.max_rollbacks = 3         # rollback: then stop

  c.optim = ml_collections.ConfigDict()
  for net in ("g", "d"):
    c.optim[net] = optimizer("adam", lr=1e-4, b1=0.5, b2=0.999)

  c.ema = ml_collections.ConfigDict()
  c.ema.decay = 0.0

  c.parallel = ml_collections.ConfigDict()
  c.parallel.num_devices = 0  # 0: all local devices

  c.log = ml_collections.ConfigDict()
  c.log.every = 100
  c.ckpt = ml_collections.ConfigDict()
  c.ckpt.every = 1000
  c.ckpt.keep = 3
  c.sample = ml_collections.ConfigDict()
  c.sample.every = 500
  c.sample.num = 1024
  c.sample.annotate = False  # images: write D's score under each cell of the grid
  c.eval = ml_collections.ConfigDict()
  c.eval.every = 1000
  c.eval.num_samples = 2500
  c.eval.metrics = ("toy",)
  c.eval.reference_split = "test"   # real data that image scores compare against
  c.eval.classifier = ""            # domain classifier dir ("": the cached one, built if missing)
  c.eval.classifier_args = ""       # args of experiments/classifier.py for that ("smoke")
  c.eval.content_classifier = ""    # unpaired: content classifier dir ("": the data's default,
                                    # cached, built if missing)
  c.eval.inception_weights = ""     # .npz for eval.metrics 'inception' (docs/inception_weights.md)
  c.eval.inception_preprocess = "pytorch_fid"  # pytorch_fid | tf | clean (metrics.inception_preprocess)
  c.eval.fid_inf = True             # also FID extrapolated to N = inf (Chong & Forsyth, 2020)
  c.sweep = ml_collections.ConfigDict()
  c.sweep.vectorize = True  # run members that differ only in array values as one vmap
  return c


TOY_DATA = ("gauss1d", "grid25", "pdf1d", "ring8", "swissroll")
MLP_NETWORKS = ("mlp", "pacgan_mlp", "unrolled_mlp")  # the toy-data network families (vmapped on CPU too)


def set_data(c: ml_collections.ConfigDict, name: str, path: str = "") -> bool:
  """Points experiment config `c` at data set `name` with the defaults that go with its
  kind: the toy MLP and toy metrics for 1-D / 2-D sets, conv nets, z dim 100 and the
  classifier metrics for images (a folder needs `path`). Returns True for images."""
  c.data.name, c.data.path = name, path
  if name in TOY_DATA:
    c.model.name, c.model.z_dim, c.eval.metrics = "mlp", 2, ("toy",)
    return False
  c.model.name, c.model.width, c.model.z_dim = "dcgan", 64, 100
  c.eval.metrics = ("classifier",) if name in ("fashion_mnist", "mnist") else ()
  c.eval.num_samples, c.sample.num = 10_000, 64
  return True


def set_classes(c: ml_collections.ConfigDict) -> None:
  """For class-conditional experiments (after `set_data`): `model.num_classes` from the
  data set's class count (0 for a folder: the user sets it to the number of class
  sub-folders), class x z sample grids of 10 columns, and the 'conditional' eval group
  wherever the domain classifier scores the data."""
  from gan_jax.data import datasets
  c.model.num_classes = datasets.NUM_CLASSES.get(c.data.name, 0)
  c.sample.num = 10 * max(c.model.num_classes, 1)
  if "classifier" in c.eval.metrics:
    c.eval.metrics = ("classifier", "conditional")


def smoke(c: ml_collections.ConfigDict) -> None:
  """Shrinks `c` to a run of a few seconds on 2 CPU cores (the `smoke` arg)."""
  c.train.steps = 20
  c.log.every = c.sample.every = c.eval.every = c.ckpt.every = 10
  c.data.batch_size = min(c.data.batch_size, 32 if c.data.name in TOY_DATA else 16)
  c.model.width = 32 if c.model.name in MLP_NETWORKS else 8
  c.eval.num_samples = 256 if c.data.name in TOY_DATA else 128
  c.eval.classifier_args = "smoke"  # a 1-epoch, width-4 classifier (~30 s to build, cached)
  c.sample.num = 256 if c.data.name in TOY_DATA else 16


# The experiment args of the mode-collapse remedies (experiments/gan.py, wgan.py), off.
MODE_ARGS = dict(pack=1, unroll=0, minibatch="")


def set_modes(c: ml_collections.ConfigDict, arg: ml_collections.ConfigDict) -> None:
  """Applies the args `pack`, `unroll`, `minibatch` (MODE_ARGS) to experiment config `c`,
  after `smoke`. `pack=m` also multiplies data.batch_size by m: PacGAN keeps the number
  of D decisions per batch and feeds m times as many samples (Lin et al., 2018, the
  authors' code: a batch of 100 packs of m points on the 2-D grids). Values are checked
  by gan_jax/validate.py (`check_modes`)."""
  c.model.pack, c.train.unroll, c.model.minibatch = arg.pack, arg.unroll, arg.minibatch
  if arg.pack >= 1:
    c.data.batch_size *= arg.pack


def optimizer(name: str, lr: float, b1: float = 0.9, b2: float = 0.999,
              schedule: str = "constant", decay_start: float = 0.5,
              drop_factor: float = 1.0) -> ml_collections.ConfigDict:
  """An optimizer entry: `name` is adam | rmsprop | sgd; b1/b2 are Adam's betas;
  `schedule` is constant | linear (decay to 0 at train.steps) | linear_after (constant
  for the first `decay_start` share of train.steps, then linear decay to 0) | drop_after
  (the rate times `drop_factor` after the first `decay_start` share)."""
  return ml_collections.ConfigDict(dict(name=name, lr=lr, b1=b1, b2=b2, schedule=schedule,
                                        decay_start=decay_start, drop_factor=drop_factor))


def regularizer(weight: float = 0.0, every: int = 1, **kwargs) -> ml_collections.ConfigDict:
  """A regularizer entry: `weight` multiplies the penalty, applied every `every` D updates."""
  return ml_collections.ConfigDict(dict(weight=weight, every=every, **kwargs))


def flat_keys(config: ml_collections.ConfigDict, prefix: str = "") -> dict[str, Any]:
  """{"a.b.c": value} for every leaf of a ConfigDict."""
  out = {}
  for key, value in config.items():
    name = f"{prefix}{key}"
    if isinstance(value, ml_collections.ConfigDict):
      out.update(flat_keys(value, name + "."))
    else:
      out[name] = value
  return out


def flat_keys_dict(tree: dict, prefix: str = "") -> dict[str, Any]:
  """{"a.b.c": value} for every leaf of a nested plain dict (e.g. a saved config.json)."""
  out = {}
  for key, value in tree.items():
    if isinstance(value, dict):
      out.update(flat_keys_dict(value, f"{prefix}{key}."))
    else:
      out[f"{prefix}{key}"] = value
  return out


def _did_you_mean(key: str, valid) -> str:
  close = difflib.get_close_matches(key, list(valid), n=1, cutoff=0.5)
  return f" (did you mean {close[0]!r}?)" if close else ""


def check_overrides(config: ml_collections.ConfigDict, keys) -> None:
  """Raises a ValueError naming the closest valid key for every unknown dotted key."""
  valid = flat_keys(config)
  for key in keys:
    if key in valid or any(v.startswith(key + ".") for v in valid):
      continue
    raise ValueError(f"Unknown config key {key!r}{_did_you_mean(key, valid)}.")


def apply_overrides(config: ml_collections.ConfigDict, overrides: dict[str, Any]
                    ) -> ml_collections.ConfigDict:
  """A copy of `config` with dotted-key overrides applied; unknown keys and wrong types fail."""
  config = ml_collections.ConfigDict(config.to_dict())
  check_overrides(config, overrides)
  valid = flat_keys(config)
  for key, value in overrides.items():
    old = valid[key]
    if old is not None and not isinstance(value, type(old)) and not (
        isinstance(old, float) and isinstance(value, int) and not isinstance(value, bool)):
      raise TypeError(f"Config key {key!r} is a {type(old).__name__} "
                      f"(value {old!r}); got {value!r}.")
    *path, leaf = key.split(".")
    node = config
    for p in path:
      node = node[p]
    node[leaf] = float(value) if isinstance(old, float) else value
  config.lock()
  return config
