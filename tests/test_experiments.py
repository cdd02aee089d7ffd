"""Every experiment's smoke config trains end to end through the real loop."""
import glob
import json
import os

import numpy as np
import pytest
from PIL import Image

import jax

from gan_jax import classifier, data, networks, train, writers

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXPERIMENTS = sorted(os.path.basename(p)[:-3] for p in glob.glob(f"{ROOT}/experiments/*.py")
                     if not os.path.basename(p).startswith("_"))


@pytest.fixture(scope="module")
def faces(tmp_path_factory):
  """A folder of 64x64 RGB 'face' images for experiments without offline data."""
  root = tmp_path_factory.mktemp("faces")
  rng = np.random.default_rng(0)
  for i in range(40):
    Image.fromarray(rng.integers(0, 255, (70, 64, 3), np.uint8)).save(root / f"{i}.jpg")
  return str(root)


@pytest.mark.parametrize("name", [e for e in EXPERIMENTS if e != "classifier"])
def test_smoke(name, make_config, smoke_classifier, faces, tmp_path):
  arg = "smoke,data=folder,path=" + faces if name == "celeba64" else "smoke"
  config = make_config(f"{name}.py:{arg}")
  if "classifier" in config.eval.metrics:
    config.unlock()
    config.eval.classifier, config.eval.num_samples = smoke_classifier, 256
  if "paired" in config.eval.metrics:  # the target domain's classifier (Fashion-MNIST)
    config.unlock()
    config.eval.classifier = smoke_classifier
  if "content_network" in config.loss:  # SRGAN's feature loss network
    config.unlock()
    config.loss.content_network = smoke_classifier
  train.train(config, str(tmp_path), progress=False)
  rows = writers.read_metrics(str(tmp_path))
  losses = [r for r in rows if "d_loss" in r]
  assert losses and all(np.isfinite(r["d_loss"]) and np.isfinite(r["g_loss"]) for r in losses)
  assert os.path.exists(tmp_path / "samples" / f"step_{config.train.steps}.png")
  if config.eval.metrics:
    evals = [r for r in rows if any(k.startswith("eval/") for k in r)]
    assert evals and all(np.isfinite(v) for k, v in evals[-1].items())


def test_classifier_smoke(smoke_classifier, make_config):
  """experiments/classifier.py:smoke, trained once by the smoke_classifier fixture: its
  saved weights load, match their hash, and classify the real test split well."""
  with open(os.path.join(smoke_classifier, "classifier.json")) as f:
    info = json.load(f)
  assert info["data"] == "fashion_mnist" and info["num_test"] == 10_000
  assert info["num_classes"] == 10 and info["test_accuracy"] > 0.6  # ~0.8 after 1 epoch
  model, variables, loaded = classifier.load(smoke_classifier)  # checks the hash too
  assert loaded == info
  x, y = data.get_source(make_config("classifier.py:smoke"), split="test").arrays(500, seed=0)
  accuracy = float(np.mean(classifier.predict(model, variables, x).argmax(-1) == y))
  assert accuracy > 0.6


def test_sngan_runs_at_the_paper_widths(make_config):
  """SNGAN's CIFAR-10 ResNet (Miyato et al., 2018, Table 4): G's first layer maps z (128)
  to 4x4x256, every D block has 128 channels."""
  config = make_config("sngan.py")
  assert config.model.width == 64
  G, D = networks.get("resnet").build(config, (32, 32, 3))
  g = jax.eval_shape(lambda: G.init(jax.random.PRNGKey(0), np.zeros((2, 128)), train=False))
  d = jax.eval_shape(lambda: D.init(jax.random.PRNGKey(0), np.zeros((2, 32, 32, 3)),
                                    train=False))
  assert g["params"]["Dense_0"]["kernel"].shape == (128, 4 * 4 * 256)
  kernels = [v.shape for p, v in jax.tree_util.tree_leaves_with_path(d["params"])
             if p[-1].key == "kernel"]
  assert all(k[-1] == 128 for k in kernels[:-1]) and kernels[-1] == (128, 1)
