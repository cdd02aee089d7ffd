"""Every experiment's smoke config trains end to end through the real loop."""
import glob
import os

import numpy as np
import pytest
from PIL import Image

from gan_jax import train, writers

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


@pytest.mark.parametrize("name", [e for e in EXPERIMENTS if e not in ("__init__",)])
def test_smoke(name, make_config, smoke_classifier, faces, tmp_path, request):
  if name == "classifier":
    return  # trained by the smoke_classifier fixture itself
  arg = "smoke,data=folder,path=" + faces if name == "celeba64" else "smoke"
  config = make_config(f"{name}.py:{arg}")
  if "classifier" in config.eval.metrics:
    config.unlock()
    config.eval.classifier, config.eval.num_samples = smoke_classifier, 256
  if "paired" in config.eval.metrics:  # the target domain's classifier (Fashion-MNIST)
    config.unlock()
    config.eval.classifier = smoke_classifier
  if "unpaired" in config.eval.metrics:  # fonts_unpaired: style and content classifiers
    fonts = request.getfixturevalue("smoke_fonts_classifiers")
    config.unlock()
    config.eval.classifier, config.eval.content_classifier = fonts["style"], fonts["content"]
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
