"""InceptionV3 as used by FID, IS and KID: the TensorFlow graph of 2015-12-05.

The reference numbers of the GAN literature (TTUR's FID, improved-gan's IS) come from
TensorFlow's `inception-2015-12-05` graph; pytorch-fid ports it as torchvision's
InceptionV3 (Szegedy et al., 2016, "Rethinking the Inception architecture") with
blocks patched to match TF: FIDInceptionA / FIDInceptionC / FIDInceptionE_1 average-
pool without counting the padding (count_include_pad=False), and the last block
(FIDInceptionE_2, Mixed_7c) max-pools in its pool branch. This module is that network
in Flax, module for module, with pytorch-fid's layer names, so its state dict maps
onto the variables one to one:

  conv "<layer>.conv.weight" [O, I, kh, kw]  -> params    <layer>/conv/kernel [kh, kw, I, O]
  BN   "<layer>.bn.weight" / ".bn.bias"      -> params    <layer>/bn/scale, bias
       "<layer>.bn.running_mean" / "_var"    -> batch_stats <layer>/bn/mean, var
  "fc.weight" [1008, 2048], "fc.bias"        -> params    fc/kernel [2048, 1008], fc/bias

Every convolution has no bias and is followed by BatchNorm (eps 1e-3, running
statistics) and ReLU. Input: NHWC in [-1, 1], quantised to uint8, resized to 299 x 299
and normalised as one of the published tools does (`inception_preprocess`; default
pytorch-fid's: bilinear with half-pixel centres, no antialiasing).
Output: the 2048-d "pool3" features (global average of Mixed_7c) and the 1008 logits
of the TF graph's softmax layer. The Inception Score takes the softmax over all 1008
of pool3 times the softmax layer's weights *without* its bias (`is_logits`), as the
published code does.

Weights: pytorch-fid's `pt_inception-2015-12-05-6726825d.pth`, converted once to .npz
by `tools/convert_inception_weights.py`; see docs/inception_weights.md.
"""
from __future__ import annotations

import functools
import hashlib
import os

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

from gan_jax.metrics.inception_preprocess import PREPROCESS, SIZE, preprocess  # noqa: F401

NUM_FEATURES = 2048
NUM_LOGITS = 1008
DOCS = "docs/inception_weights.md"


class BasicConv(nn.Module):
  """Conv (no bias) -> BatchNorm(eps 1e-3, running stats) -> ReLU; torch padding."""
  features: int
  kernel: tuple[int, int]
  strides: int = 1
  padding: tuple[int, int] = (0, 0)

  @nn.compact
  def __call__(self, x):
    (ph, pw) = self.padding
    x = nn.Conv(self.features, self.kernel, strides=self.strides, use_bias=False,
                padding=((ph, ph), (pw, pw)), precision=jax.lax.Precision.HIGHEST,
                name="conv")(x)
    x = nn.BatchNorm(use_running_average=True, epsilon=1e-3, name="bn")(x)
    return nn.relu(x)


def _avg_pool_3x3(x):
  """TF 'SAME' 3x3 average: padding is not counted (pytorch-fid's patch)."""
  return nn.avg_pool(x, (3, 3), strides=(1, 1), padding=((1, 1), (1, 1)),
                     count_include_pad=False)


def _max_pool_3x3_s2(x):
  return nn.max_pool(x, (3, 3), strides=(2, 2), padding="VALID")


class InceptionA(nn.Module):
  """Mixed_5b/c/d (FIDInceptionA): 64 + 64 + 96 + pool_features channels, 35 x 35."""
  pool_features: int

  @nn.compact
  def __call__(self, x):
    b1 = BasicConv(64, (1, 1), name="branch1x1")(x)
    b5 = BasicConv(48, (1, 1), name="branch5x5_1")(x)
    b5 = BasicConv(64, (5, 5), padding=(2, 2), name="branch5x5_2")(b5)
    b3 = BasicConv(64, (1, 1), name="branch3x3dbl_1")(x)
    b3 = BasicConv(96, (3, 3), padding=(1, 1), name="branch3x3dbl_2")(b3)
    b3 = BasicConv(96, (3, 3), padding=(1, 1), name="branch3x3dbl_3")(b3)
    bp = BasicConv(self.pool_features, (1, 1), name="branch_pool")(_avg_pool_3x3(x))
    return jnp.concatenate([b1, b5, b3, bp], -1)


class InceptionB(nn.Module):
  """Mixed_6a: grid reduction 35 -> 17, 384 + 96 + C_in channels."""

  @nn.compact
  def __call__(self, x):
    b3 = BasicConv(384, (3, 3), strides=2, name="branch3x3")(x)
    bd = BasicConv(64, (1, 1), name="branch3x3dbl_1")(x)
    bd = BasicConv(96, (3, 3), padding=(1, 1), name="branch3x3dbl_2")(bd)
    bd = BasicConv(96, (3, 3), strides=2, name="branch3x3dbl_3")(bd)
    return jnp.concatenate([b3, bd, _max_pool_3x3_s2(x)], -1)


class InceptionC(nn.Module):
  """Mixed_6b-e (FIDInceptionC): factorised 7x7 with c7 inner channels, 4 x 192 out."""
  channels_7x7: int

  @nn.compact
  def __call__(self, x):
    c7 = self.channels_7x7
    b1 = BasicConv(192, (1, 1), name="branch1x1")(x)
    b7 = BasicConv(c7, (1, 1), name="branch7x7_1")(x)
    b7 = BasicConv(c7, (1, 7), padding=(0, 3), name="branch7x7_2")(b7)
    b7 = BasicConv(192, (7, 1), padding=(3, 0), name="branch7x7_3")(b7)
    bd = BasicConv(c7, (1, 1), name="branch7x7dbl_1")(x)
    bd = BasicConv(c7, (7, 1), padding=(3, 0), name="branch7x7dbl_2")(bd)
    bd = BasicConv(c7, (1, 7), padding=(0, 3), name="branch7x7dbl_3")(bd)
    bd = BasicConv(c7, (7, 1), padding=(3, 0), name="branch7x7dbl_4")(bd)
    bd = BasicConv(192, (1, 7), padding=(0, 3), name="branch7x7dbl_5")(bd)
    bp = BasicConv(192, (1, 1), name="branch_pool")(_avg_pool_3x3(x))
    return jnp.concatenate([b1, b7, bd, bp], -1)


class InceptionD(nn.Module):
  """Mixed_7a: grid reduction 17 -> 8, 320 + 192 + C_in channels."""

  @nn.compact
  def __call__(self, x):
    b3 = BasicConv(192, (1, 1), name="branch3x3_1")(x)
    b3 = BasicConv(320, (3, 3), strides=2, name="branch3x3_2")(b3)
    b7 = BasicConv(192, (1, 1), name="branch7x7x3_1")(x)
    b7 = BasicConv(192, (1, 7), padding=(0, 3), name="branch7x7x3_2")(b7)
    b7 = BasicConv(192, (7, 1), padding=(3, 0), name="branch7x7x3_3")(b7)
    b7 = BasicConv(192, (3, 3), strides=2, name="branch7x7x3_4")(b7)
    return jnp.concatenate([b3, b7, _max_pool_3x3_s2(x)], -1)


class InceptionE(nn.Module):
  """Mixed_7b (FIDInceptionE_1, pool 'avg') and Mixed_7c (FIDInceptionE_2, pool 'max'):
  320 + 768 + 768 + 192 = 2048 channels."""
  pool: str

  @nn.compact
  def __call__(self, x):
    b1 = BasicConv(320, (1, 1), name="branch1x1")(x)
    b3 = BasicConv(384, (1, 1), name="branch3x3_1")(x)
    b3 = jnp.concatenate([BasicConv(384, (1, 3), padding=(0, 1), name="branch3x3_2a")(b3),
                          BasicConv(384, (3, 1), padding=(1, 0), name="branch3x3_2b")(b3)], -1)
    bd = BasicConv(448, (1, 1), name="branch3x3dbl_1")(x)
    bd = BasicConv(384, (3, 3), padding=(1, 1), name="branch3x3dbl_2")(bd)
    bd = jnp.concatenate([BasicConv(384, (1, 3), padding=(0, 1), name="branch3x3dbl_3a")(bd),
                          BasicConv(384, (3, 1), padding=(1, 0), name="branch3x3dbl_3b")(bd)],
                         -1)
    pooled = (_avg_pool_3x3(x) if self.pool == "avg" else
              nn.max_pool(x, (3, 3), strides=(1, 1), padding=((1, 1), (1, 1))))
    bp = BasicConv(192, (1, 1), name="branch_pool")(pooled)
    return jnp.concatenate([b1, b3, bd, bp], -1)


class InceptionV3(nn.Module):
  """x [N, 299, 299, 3] in [-1, 1] -> (pool3 features [N, 2048], logits [N, 1008]).

  The stages' outputs are sown as one dict {stage name: array} under
  intermediates/stages (apply(..., mutable=['intermediates']) to read it).
  """
  num_classes: int = NUM_LOGITS

  @nn.compact
  def __call__(self, x):
    stages = [
        BasicConv(32, (3, 3), strides=2, name="Conv2d_1a_3x3"),
        BasicConv(32, (3, 3), name="Conv2d_2a_3x3"),
        BasicConv(64, (3, 3), padding=(1, 1), name="Conv2d_2b_3x3"),
        ("maxpool1", _max_pool_3x3_s2),
        BasicConv(80, (1, 1), name="Conv2d_3b_1x1"),
        BasicConv(192, (3, 3), name="Conv2d_4a_3x3"),
        ("maxpool2", _max_pool_3x3_s2),
        InceptionA(32, name="Mixed_5b"), InceptionA(64, name="Mixed_5c"),
        InceptionA(64, name="Mixed_5d"), InceptionB(name="Mixed_6a"),
        InceptionC(128, name="Mixed_6b"), InceptionC(160, name="Mixed_6c"),
        InceptionC(160, name="Mixed_6d"), InceptionC(192, name="Mixed_6e"),
        InceptionD(name="Mixed_7a"), InceptionE("avg", name="Mixed_7b"),
        InceptionE("max", name="Mixed_7c"),
    ]
    outputs = {}
    for stage in stages:
      name, fn = stage if isinstance(stage, tuple) else (stage.name, stage)
      x = outputs[name] = fn(x)
    self.sow("intermediates", "stages", outputs)
    features = x.mean((1, 2))
    logits = nn.Dense(self.num_classes, precision=jax.lax.Precision.HIGHEST, name="fc")(features)
    return features, logits


@functools.partial(jax.jit, static_argnames="mode")
def features_and_logits(variables: dict, images: jax.Array, mode: str = "pytorch_fid"
                        ) -> tuple[jax.Array, jax.Array]:
  """(pool3 features [N, 2048], logits [N, 1008]) of NHWC images in [-1, 1], any size,
  1 or 3 channels, preprocessed as `mode`; `variables` from `load_weights`. Compiled
  once per input shape and mode. The logits include the fc bias (the graph's softmax
  input); the Inception Score uses `is_logits`."""
  return InceptionV3().apply(variables, preprocess(images, mode))


def is_logits(variables: dict, features: np.ndarray) -> np.ndarray:
  """The logits the published Inception Score is computed from: pool3 features [N, 2048]
  times the softmax layer's weights [2048, 1008], *without* its bias, as improved-gan
  (Salimans et al., 2016: `tf.matmul(pool3, w)` with w the graph's softmax/logits/MatMul
  weights) and torch-fidelity (`logits_unbiased`, its default for IS) do -> [N, 1008]."""
  kernel = np.asarray(variables["params"]["fc"]["kernel"], np.float64)
  return np.asarray(features, np.float64) @ kernel


def extract(variables: dict, images: np.ndarray, batch_size: int = 100,
            mode: str = "pytorch_fid") -> tuple[np.ndarray, np.ndarray]:
  """`features_and_logits` over a host array in batches (the last one padded, so one
  compiled shape); uint8 images are mapped to [-1, 1] by x / 127.5 - 1.
  Returns numpy float32 (features [N, 2048], logits [N, 1008])."""
  if len(images) == 0:
    raise ValueError("extract() got no images (an empty array).")
  feats, logits = [], []
  for start in range(0, len(images), batch_size):
    batch = np.asarray(images[start:start + batch_size])
    batch = batch.astype(np.float32) / 127.5 - 1.0 if batch.dtype == np.uint8 else batch
    pad = batch_size - len(batch)
    if pad:
      batch = np.concatenate([batch, np.zeros((pad,) + batch.shape[1:], batch.dtype)])
    f, l = features_and_logits(variables, jnp.asarray(batch), mode)
    feats.append(np.asarray(f)[:batch_size - pad])
    logits.append(np.asarray(l)[:batch_size - pad])
  return np.concatenate(feats), np.concatenate(logits)


# --- weights -------------------------------------------------------------------------

_TORCH_LEAF = {("params", "kernel"): "weight", ("params", "scale"): "weight",
               ("params", "bias"): "bias", ("batch_stats", "mean"): "running_mean",
               ("batch_stats", "var"): "running_var"}


def _to_torch_layout(array: np.ndarray) -> np.ndarray:
  """Flax kernel layout -> torch: conv [kh, kw, I, O] -> [O, I, kh, kw], dense [I, O] -> [O, I]."""
  if array.ndim == 4:
    return array.transpose(3, 2, 0, 1)
  return array.T if array.ndim == 2 else array


def _from_torch_layout(array: np.ndarray) -> np.ndarray:
  """Inverse of `_to_torch_layout`."""
  if array.ndim == 4:
    return array.transpose(2, 3, 1, 0)
  return array.T if array.ndim == 2 else array


def torch_names() -> dict[str, tuple[tuple[str, ...], tuple[int, ...]]]:
  """{state-dict key: (variables path, torch shape)} for every variable of InceptionV3,
  e.g. 'Mixed_5b.branch1x1.conv.weight': (('params', 'Mixed_5b', 'branch1x1', 'conv',
  'kernel'), (64, 192, 1, 1))."""
  shapes = jax.eval_shape(InceptionV3().init, jax.random.key(0),
                          jax.ShapeDtypeStruct((1, SIZE, SIZE, 3), jnp.float32))
  out = {}
  for path, leaf in jax.tree_util.tree_flatten_with_path(shapes)[0]:
    keys = tuple(k.key for k in path)
    if keys[0] not in ("params", "batch_stats"):
      continue
    name = ".".join(keys[1:-1] + (_TORCH_LEAF[(keys[0], keys[-1])],))
    torch_shape = _to_torch_layout(np.empty(leaf.shape, np.bool_)).shape
    out[name] = (keys, torch_shape)
  return out


def variables_from_state_dict(state_dict: dict) -> dict:
  """Flax variables {'params', 'batch_stats'} from pytorch-fid's state dict (numpy
  arrays by key). Checks every key and shape; 'num_batches_tracked' is ignored."""
  expected = torch_names()
  given = {k for k in state_dict if not k.endswith("num_batches_tracked")}
  missing, unexpected = sorted(set(expected) - given), sorted(given - set(expected))
  if missing or unexpected:
    raise ValueError(f"The Inception weights do not match pytorch-fid's FID InceptionV3: "
                     f"{len(missing)} missing (e.g. {missing[:3]}), {len(unexpected)} "
                     f"unexpected (e.g. {unexpected[:3]}). Use pt_inception-2015-12-05-"
                     f"6726825d.pth, not torchvision's ImageNet weights; see {DOCS}.")
  variables: dict = {}
  for name, (keys, shape) in expected.items():
    array = np.asarray(state_dict[name])
    if array.shape != shape:
      raise ValueError(f"Inception weights: layer {name!r} has shape {array.shape}, "
                       f"expected {shape}. Is this the FID Inception file? See {DOCS}.")
    node = variables
    for key in keys[:-1]:
      node = node.setdefault(key, {})
    node[keys[-1]] = jnp.asarray(_from_torch_layout(array.astype(np.float32)))
  return variables


def load_weights(path: str | None) -> dict:
  """Flax variables of InceptionV3 from the .npz written by
  tools/convert_inception_weights.py (pytorch-fid's state dict, torch names and layout);
  '~' is expanded."""
  path = os.path.expanduser(path) if path else path
  if not path or not os.path.isfile(path):
    raise FileNotFoundError(f"no Inception weights: see {DOCS} (eval.inception_weights = "
                            f"{path!r} is {'empty' if not path else 'not a file'}).")
  if path.endswith((".pth", ".pt")):
    raise ValueError(f"{path} is a torch file; convert it once with `python "
                     f"tools/convert_inception_weights.py {path} OUT.npz` (see {DOCS}).")
  with np.load(path, allow_pickle=False) as data:
    return variables_from_state_dict({k: data[k] for k in data.files if k != "source_sha256"})


def file_sha256(path: str) -> str:
  """Hex sha256 of a file (the weights' hash recorded with every score)."""
  digest = hashlib.sha256()
  with open(path, "rb") as f:
    for chunk in iter(lambda: f.read(1 << 20), b""):
      digest.update(chunk)
  return digest.hexdigest()


# sha256 of weight files whose scores compare with the literature. Not computed here (the
# file cannot be fetched on this project's machines): the digest of pytorch-fid's
# release asset as pinned, identically, by several public repositories that check it
# (e.g. with its size, 95,628,359 bytes); torch hub's name carries its first 8 digits.
KNOWN_SOURCES = {
    "6726825d0af5f729cebd5821db510b11b1cfad8faad88a03f1befd49fb9129b2":
        "pytorch-fid pt_inception-2015-12-05-6726825d.pth (TF inception-2015-12-05, the "
        "graph of TTUR's FID and improved-gan's IS)",
}


def weights_protocol(path: str) -> dict:
  """{'inception_weights': file name, 'inception_weights_sha256': hash of the loaded
  file, 'inception_source_sha256': hash of the .pth it was converted from (stored in
  the .npz by the converter), 'inception_weights_known': whether that is a published
  file (KNOWN_SOURCES), 'inception_weights_source': which, and a 'warning' when not}."""
  path = os.path.expanduser(path)
  with np.load(path, allow_pickle=False) as data:
    source = str(data["source_sha256"]) if "source_sha256" in data.files else "unknown"
  out = {"inception_weights": os.path.basename(path),
         "inception_weights_sha256": file_sha256(path), "inception_source_sha256": source,
         "inception_weights_known": source in KNOWN_SOURCES,
         "inception_weights_source": KNOWN_SOURCES.get(source, "unknown")}
  if source not in KNOWN_SOURCES:
    out["warning"] = (f"UNKNOWN INCEPTION WEIGHTS: {os.path.basename(path)} was converted "
                      f"from a file with sha256 {source}, not pytorch-fid's "
                      f"pt_inception-2015-12-05-6726825d.pth; its FID/IS/KID do not "
                      f"compare with published numbers (see {DOCS}).")
  return out


def count_parameters(tree) -> int:
  """Number of scalars in a pytree of arrays or ShapeDtypeStructs."""
  return int(sum(np.prod(x.shape) for x in jax.tree_util.tree_leaves(tree)))


def stage_shapes(batch: int = 1, size: int = SIZE) -> dict[str, tuple[int, ...]]:
  """Output shape of every stage for an input [batch, size, size, 3], without running it."""
  model = InceptionV3()
  x = jax.ShapeDtypeStruct((batch, size, size, 3), jnp.float32)
  variables = jax.eval_shape(model.init, jax.random.key(0), x)
  _, state = jax.eval_shape(
      lambda v, x: model.apply(v, x, mutable=["intermediates"]), variables, x)
  return {name: value.shape for name, value in state["intermediates"]["stages"][0].items()}

