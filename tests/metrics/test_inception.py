import collections
import importlib.util
import io
import os
import pickle
import zipfile

import jax.numpy as jnp
import numpy as np
import pytest

from gan_jax.metrics import inception as I

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_spec = importlib.util.spec_from_file_location(
    "convert_inception_weights", os.path.join(ROOT, "tools", "convert_inception_weights.py"))
convert = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(convert)
_spec = importlib.util.spec_from_file_location(
    "torch_inception", os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                    "torch_inception.py"))
torch_inception = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(torch_inception)


# --- a torch.save writer without torch (both of its formats) -------------------------

class _Global:
  """A global written by name (torch.* need not be importable)."""
  def __init__(self, module, name):
    self.module, self.name = module, name

  def __call__(self, *args):  # pickle's save_reduce wants a callable
    raise NotImplementedError


class _Storage:
  def __init__(self, key, array):
    self.key, self.array = key, array


class _Tensor:
  """Pickles like torch.Tensor: _rebuild_tensor_v2(storage, offset, size, stride, ...)."""
  def __init__(self, storage, offset, shape, stride):
    self.storage, self.offset, self.shape, self.stride = storage, offset, shape, stride

  def __reduce_ex__(self, protocol):
    return (_Global("torch._utils", "_rebuild_tensor_v2"),
            (self.storage, self.offset, self.shape, self.stride, False,
             collections.OrderedDict()))


_STORAGE_NAMES = {np.dtype(np.float32): "FloatStorage", np.dtype(np.int64): "LongStorage"}


class _TorchPickler(pickle._Pickler):
  def __init__(self, file, legacy):
    super().__init__(file, protocol=2)
    self.legacy = legacy

  def save(self, obj, save_persistent_id=True):
    if isinstance(obj, _Global):
      self.write(pickle.GLOBAL + f"{obj.module}\n{obj.name}\n".encode())
      return
    super().save(obj, save_persistent_id)

  def persistent_id(self, obj):
    if not isinstance(obj, _Storage):
      return None
    pid = ("storage", _Global("torch", _STORAGE_NAMES[obj.array.dtype]), obj.key, "cpu",
           obj.array.size)
    return pid + (None,) if self.legacy else pid


def write_torch_file(path, state, legacy=False, extra_tensors=()):
  """torch.save(state) for numpy arrays: the zip format or the legacy stream. Each array
  gets its own storage; extra_tensors are (name, storage array, offset, shape, stride)
  views sharing one storage."""
  storages, tensors = {}, collections.OrderedDict()
  for name, array in state.items():
    array = np.array(array, order="C")  # (ascontiguousarray would make 0-d arrays 1-d)
    key = str(len(storages))
    storages[key] = _Storage(key, array.ravel())
    stride = tuple(s // array.itemsize for s in array.strides)
    tensors[name] = _Tensor(storages[key], 0, array.shape, stride)
  for name, base, offset, shape, stride in extra_tensors:
    key = f"shared{id(base)}"
    storage = storages.setdefault(key, _Storage(key, base))
    tensors[name] = _Tensor(storage, offset, shape, stride)
  if legacy:
    with open(path, "wb") as f:
      for header in (convert.LEGACY_MAGIC, 1001, {"little_endian": True}):
        pickle.dump(header, f, protocol=2)
      _TorchPickler(f, legacy=True).dump(tensors)
      pickle.dump(list(storages), f, protocol=2)
      for storage in storages.values():
        f.write(np.int64(storage.array.size).tobytes() + storage.array.tobytes())
  else:
    buffer = io.BytesIO()
    _TorchPickler(buffer, legacy=False).dump(tensors)
    with zipfile.ZipFile(path, "w") as zf:
      zf.writestr("archive/data.pkl", buffer.getvalue())
      for key, storage in storages.items():
        zf.writestr(f"archive/data/{key}", storage.array.tobytes())
      zf.writestr("archive/version", "3\n")


@pytest.fixture(scope="module")
def fake_state():
  """pytorch-fid's state dict layout with random values the network stays finite on."""
  return torch_inception.random_state({k: s for k, (_, s) in I.torch_names().items()})


# --- architecture ----------------------------------------------------------------------

def test_stage_shapes_for_a_299_input():
  assert I.stage_shapes(batch=2) == {
      "Conv2d_1a_3x3": (2, 149, 149, 32), "Conv2d_2a_3x3": (2, 147, 147, 32),
      "Conv2d_2b_3x3": (2, 147, 147, 64), "maxpool1": (2, 73, 73, 64),
      "Conv2d_3b_1x1": (2, 73, 73, 80), "Conv2d_4a_3x3": (2, 71, 71, 192),
      "maxpool2": (2, 35, 35, 192), "Mixed_5b": (2, 35, 35, 256),
      "Mixed_5c": (2, 35, 35, 288), "Mixed_5d": (2, 35, 35, 288),
      "Mixed_6a": (2, 17, 17, 768), "Mixed_6b": (2, 17, 17, 768),
      "Mixed_6c": (2, 17, 17, 768), "Mixed_6d": (2, 17, 17, 768),
      "Mixed_6e": (2, 17, 17, 768), "Mixed_7a": (2, 8, 8, 1280),
      "Mixed_7b": (2, 8, 8, 2048), "Mixed_7c": (2, 8, 8, 2048)}


def _hand_count():
  """Trainable parameters from torchvision's layer list (inception.py): every conv is
  kh kw C_in C_out weights + BN scale and bias (2 C_out), no conv bias."""
  conv = lambda cin, cout, kh, kw: kh * kw * cin * cout + 2 * cout
  stem = (conv(3, 32, 3, 3) + conv(32, 32, 3, 3) + conv(32, 64, 3, 3) + conv(64, 80, 1, 1)
          + conv(80, 192, 3, 3))
  a = lambda cin, pool: (conv(cin, 64, 1, 1) + conv(cin, 48, 1, 1) + conv(48, 64, 5, 5)
                         + conv(cin, 64, 1, 1) + conv(64, 96, 3, 3) + conv(96, 96, 3, 3)
                         + conv(cin, pool, 1, 1))
  b = conv(288, 384, 3, 3) + conv(288, 64, 1, 1) + conv(64, 96, 3, 3) + conv(96, 96, 3, 3)
  c = lambda c7: (conv(768, 192, 1, 1) + conv(768, c7, 1, 1) + conv(c7, c7, 1, 7)
                  + conv(c7, 192, 7, 1) + conv(768, c7, 1, 1) + 3 * conv(c7, c7, 7, 1)
                  + conv(c7, 192, 1, 7) + conv(768, 192, 1, 1))
  d = (conv(768, 192, 1, 1) + conv(192, 320, 3, 3) + conv(768, 192, 1, 1)
       + conv(192, 192, 1, 7) + conv(192, 192, 7, 1) + conv(192, 192, 3, 3))
  e = lambda cin: (conv(cin, 320, 1, 1) + conv(cin, 384, 1, 1) + 2 * conv(384, 384, 1, 3)
                   + conv(cin, 448, 1, 1) + conv(448, 384, 3, 3) + 2 * conv(384, 384, 1, 3)
                   + conv(cin, 192, 1, 1))
  fc = 2048 * 1008 + 1008
  return (stem + a(192, 32) + a(256, 64) + a(288, 64) + b + c(128) + 2 * c(160) + c(192)
          + d + e(1280) + e(2048) + fc)


def test_parameter_count():
  import jax
  shapes = jax.eval_shape(I.InceptionV3().init, jax.random.key(0),
                          jax.ShapeDtypeStruct((1, 299, 299, 3), jnp.float32))
  # torchvision documents inception_v3's num_params = 27,161,264 (1000-way fc and the
  # aux classifier: conv 768->128 1x1, conv 128->768 5x5, fc 768->1000). Without the aux
  # head and with the TF graph's 1008-way fc:
  aux = (768 * 128 + 2 * 128) + (25 * 128 * 768 + 2 * 768) + (768 * 1000 + 1000)
  expected = 27_161_264 - aux - (2048 * 1000 + 1000) + (2048 * 1008 + 1008)
  assert expected == _hand_count() == 23_850_960
  assert I.count_parameters(shapes["params"]) == expected
  # BN running mean and var: 2 per conv output channel (= the BN scale + bias count).
  assert I.count_parameters(shapes["batch_stats"]) == I.count_parameters(
      {k: v for k, v in _flat(shapes["params"]).items() if k[-2] == "bn"})


def _flat(tree, prefix=()):
  out = {}
  for k, v in tree.items():
    out.update(_flat(v, prefix + (k,)) if isinstance(v, dict) else {prefix + (k,): v})
  return out


def test_preprocess_matches_torch_bilinear():
  """F.interpolate(mode='bilinear', align_corners=False) written out: source coordinate
  (i + 0.5) in / out - 0.5, clamped at 0, linear between the two neighbours. Inputs
  are uint8 values mapped to [-1, 1], which the uint8 quantisation keeps exactly."""
  def weights(n_in, n_out):
    src = np.maximum((np.arange(n_out) + 0.5) * n_in / n_out - 0.5, 0.0)
    i0 = np.floor(src).astype(int)
    i1, frac = np.minimum(i0 + 1, n_in - 1), src - i0
    w = np.zeros((n_out, n_in))
    np.add.at(w, (np.arange(n_out), i0), 1 - frac)
    np.add.at(w, (np.arange(n_out), i1), frac)
    return w
  rng = np.random.default_rng(0)
  for h, w in ((28, 28), (7, 400)):
    x = rng.integers(0, 256, (1, h, w, 1)).astype(np.float32) / 127.5 - 1
    expected = weights(h, 299) @ x[0, :, :, 0] @ weights(w, 299).T
    got = np.asarray(I.preprocess(jnp.asarray(x)))
    assert got.shape == (1, 299, 299, 3)
    # float32 source positions (as in torch) round the weights by ~w * 1e-7.
    np.testing.assert_allclose(got[0, :, :, 0], expected, atol=1e-4)
    np.testing.assert_array_equal(got[..., 0], got[..., 2])  # grey -> 3 equal channels
  with pytest.raises(ValueError, match="1 or 3 channels"):
    I.preprocess(jnp.zeros((1, 8, 8, 2)))


# --- weights ---------------------------------------------------------------------------

def test_torch_file_round_trip(fake_state, tmp_path):
  pth = str(tmp_path / "pt_inception-fake.pth")
  write_torch_file(pth, fake_state)
  info = convert.convert(pth, str(tmp_path / "a.npz"))
  assert info["source_sha256"] == I.file_sha256(pth)
  convert.main([pth, str(tmp_path / "b.npz")])  # the command line; byte-identical output
  assert I.file_sha256(str(tmp_path / "b.npz")) == info["npz_sha256"]
  variables = I.load_weights(str(tmp_path / "a.npz"))
  assert set(variables) == {"params", "batch_stats"}
  conv_block = variables["params"]["Mixed_6b"]["branch7x7_2"]
  np.testing.assert_array_equal(  # torch [O, I, 1, 7] -> Flax [1, 7, I, O]
      conv_block["conv"]["kernel"],
      fake_state["Mixed_6b.branch7x7_2.conv.weight"].transpose(2, 3, 1, 0))
  np.testing.assert_array_equal(conv_block["bn"]["scale"],
                                fake_state["Mixed_6b.branch7x7_2.bn.weight"])
  np.testing.assert_array_equal(variables["batch_stats"]["Mixed_7c"]["branch_pool"]["bn"]["var"],
                                fake_state["Mixed_7c.branch_pool.bn.running_var"])
  np.testing.assert_array_equal(variables["params"]["fc"]["kernel"], fake_state["fc.weight"].T)
  for name, (keys, _) in I.torch_names().items():  # every array, exactly
    leaf = variables
    for key in keys:
      leaf = leaf[key]
    np.testing.assert_array_equal(I._to_torch_layout(np.asarray(leaf)), fake_state[name])
  protocol = I.weights_protocol(str(tmp_path / "a.npz"))
  warning = protocol.pop("warning")
  assert protocol == {"inception_weights": "a.npz",
                      "inception_weights_sha256": info["npz_sha256"],
                      "inception_source_sha256": info["source_sha256"],
                      "inception_weights_known": False, "inception_weights_source": "unknown"}
  assert warning.startswith("UNKNOWN INCEPTION WEIGHTS") and info["source_sha256"] in warning


def test_published_weights_are_recognised_by_their_source_hash(fake_state, tmp_path,
                                                               monkeypatch):
  """pytorch-fid's file is known by its pinned sha256 (KNOWN_SOURCES): no warning."""
  published = "6726825d0af5f729cebd5821db510b11b1cfad8faad88a03f1befd49fb9129b2"
  assert published in I.KNOWN_SOURCES
  convert.write_npz(str(tmp_path / "w.npz"), {**fake_state, "source_sha256": np.array(published)})
  protocol = I.weights_protocol(str(tmp_path / "w.npz"))
  assert protocol["inception_weights_known"] and "warning" not in protocol
  assert protocol["inception_weights_source"].startswith("pytorch-fid pt_inception-2015-12-05")


@pytest.mark.parametrize("legacy", [False, True], ids=["zip", "legacy"])
def test_reader_handles_views_and_both_formats(tmp_path, legacy):
  base = np.arange(12, dtype=np.float32)
  state = {"w": np.arange(6, dtype=np.float32).reshape(2, 3), "n": np.array(7, np.int64)}
  views = [("transposed", base, 0, (4, 3), (1, 4)),  # a [3, 4] tensor's .t()
           ("offset", base, 6, (2, 2), (3, 1))]
  path = str(tmp_path / "small.pth")
  write_torch_file(path, state, legacy=legacy, extra_tensors=views)
  got = convert.read_torch_state_dict(path)
  np.testing.assert_array_equal(got["w"], state["w"])
  assert got["n"] == 7 and got["n"].dtype == np.int64
  np.testing.assert_array_equal(got["transposed"], base.reshape(3, 4).T)
  np.testing.assert_array_equal(got["offset"], [[6, 7], [9, 10]])


def test_reader_refuses_code(tmp_path):
  path = str(tmp_path / "evil.pth")
  with zipfile.ZipFile(path, "w") as zf:
    zf.writestr("archive/data.pkl", pickle.dumps({"x": os.getcwd}, protocol=2))
  with pytest.raises(pickle.UnpicklingError, match="not allowed"):
    convert.read_torch_state_dict(path)


@pytest.mark.parametrize("name", ["zip", "legacy"])
def test_reader_reads_real_torch_files(name):
  """Files written by torch.save itself (tests/metrics/data/make_torch_files.py, torch
  2.13): both formats, with transposed and offset views."""
  data = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")
  spec = importlib.util.spec_from_file_location("make_torch_files",
                                                os.path.join(data, "make_torch_files.py"))
  maker = importlib.util.module_from_spec(spec)
  spec.loader.exec_module(maker)  # imports torch only when run as a script
  got = convert.read_torch_state_dict(os.path.join(data, f"torch_save_{name}.pth"))
  expected = maker.state_numpy()
  assert set(got) == set(expected)
  for k, v in expected.items():
    assert got[k].dtype == v.dtype, k
    np.testing.assert_array_equal(got[k], v)


@pytest.mark.parametrize("path", ["", None, "/nonexistent/inception.npz"])
def test_missing_weights_point_to_the_docs(path):
  message = "no Inception weights: see docs/inception_weights.md"
  with pytest.raises(FileNotFoundError, match=message):
    I.load_weights(path)


def test_wrong_shape_names_the_layer(fake_state, tmp_path):
  bad = dict(fake_state)
  name = "Mixed_6b.branch7x7_2.conv.weight"
  bad[name] = bad[name].transpose(0, 1, 3, 2)
  convert.write_npz(str(tmp_path / "bad.npz"), bad)
  with pytest.raises(ValueError, match=r"'Mixed_6b.branch7x7_2.conv.weight' has shape "
                                       r"\(128, 128, 7, 1\), expected \(128, 128, 1, 7\)"):
    I.load_weights(str(tmp_path / "bad.npz"))
  aux = {**fake_state, "AuxLogits.conv0.conv.weight": np.zeros((128, 768, 1, 1), np.float32)}
  with pytest.raises(ValueError, match=r"1 unexpected \(e.g. \['AuxLogits"):
    I.variables_from_state_dict(aux)
  with pytest.raises(ValueError, match="convert it once"):
    I.load_weights(_touch(tmp_path / "w.pth"))


def _touch(path):
  path.write_bytes(b"")
  return str(path)


def test_forward_matches_pytorch_fid_with_the_same_weights(fake_state):
  """The Flax port against pytorch-fid's network re-created in torch
  (tests/metrics/torch_inception.py), both loaded with the same random weights, on the
  same images: pool3 features and logits agree to 1e-4 of their largest value."""
  import torch
  variables = I.variables_from_state_dict(fake_state)
  rng = np.random.default_rng(0)
  # uint8 values in [-1, 1]: the uint8 quantisation before the network keeps them.
  images = rng.integers(0, 256, (2, 32, 32, 3)).astype(np.float32) / 127.5 - 1
  features, logits = (np.asarray(a) for a in I.features_and_logits(variables, jnp.asarray(images)))
  model = torch_inception.load(fake_state)
  with torch.no_grad():
    ref_features, ref_logits = (t.numpy() for t in model(
        torch.from_numpy((images.transpose(0, 3, 1, 2) + 1) / 2)))
  diffs = {}
  for name, ours, ref in (("pool3", features, ref_features), ("logits", logits, ref_logits)):
    diffs[name] = np.abs(ours - ref).max() / np.abs(ref).max()
  print(f"Flax vs pytorch-fid (torch {torch.__version__}), max |diff| / max |value|: "
        + ", ".join(f"{k} {v:.2e}" for k, v in diffs.items()))
  assert diffs["pool3"] <= 1e-4 and diffs["logits"] <= 1e-4
  assert np.abs(ref_features[0] - ref_features[1]).max() > 1e-3  # depends on the image
  # The Inception Score's logits: pool3 times the fc weights without the bias.
  unbiased = features @ fake_state["fc.weight"].T
  np.testing.assert_allclose(I.is_logits(variables, features), unbiased, rtol=1e-5, atol=1e-5)
  np.testing.assert_allclose(logits, unbiased + fake_state["fc.bias"], rtol=1e-4, atol=1e-4)
  # extract(): uint8 -> [-1, 1], batches of 2 with the last one padded (same compiled shape).
  uint8 = np.random.default_rng(1).integers(0, 256, (3, 32, 32, 3), dtype=np.uint8)
  ext_features, ext_logits = I.extract(variables, uint8, batch_size=2)
  assert ext_features.shape == (3, 2048) and ext_logits.shape == (3, 1008)
  scaled = uint8.astype(np.float32) / 127.5 - 1
  by_hand = np.asarray(I.features_and_logits(variables, jnp.asarray(scaled[[2, 0]]))[0])
  np.testing.assert_allclose(ext_features[[2, 0]], by_hand, rtol=1e-5, atol=1e-6)


def test_preprocessing_modes_match_their_tools():
  """pytorch_fid: torch F.interpolate on [0, 1] then 2x - 1; tf: TF1 resize_bilinear
  (torch-fidelity's restatement) then (x - 128) / 128; clean: PIL bicubic of each
  channel as float32 (clean-fid) then (x - 128) / 128. All quantise to uint8 first."""
  import torch
  from PIL import Image
  rng = np.random.default_rng(0)
  images = rng.uniform(-1, 1, (2, 28, 28, 3)).astype(np.float32)
  q = np.clip(np.floor((images + 1) * 127.5 + 0.5), 0, 255)  # what a saved PNG holds
  nchw = q.transpose(0, 3, 1, 2)
  expected = {
      "pytorch_fid": 2 * torch.nn.functional.interpolate(
          torch.from_numpy(nchw / 255), size=(299, 299), mode="bilinear",
          align_corners=False).numpy() - 1,
      "tf": (torch_inception.tf1_bilinear(nchw, 299) - 128) / 128,
      "clean": (np.stack([[np.asarray(Image.fromarray(c.astype(np.float32)).resize(
          (299, 299), Image.BICUBIC)) for c in image] for image in nchw]) - 128) / 128}
  for mode, want in expected.items():
    got = np.asarray(I.preprocess(jnp.asarray(images), mode)).transpose(0, 3, 1, 2)
    np.testing.assert_allclose(got, want, atol=2e-5, err_msg=mode)
  assert np.abs(expected["tf"] - expected["pytorch_fid"]).max() > 0.05  # they differ
  assert np.abs(expected["clean"] - expected["pytorch_fid"]).max() > 0.05
  with pytest.raises(ValueError, match="Unknown eval.inception_preprocess .bicubic."):
    I.preprocess(jnp.asarray(images), "bicubic")
