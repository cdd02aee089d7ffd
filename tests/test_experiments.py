"""Every experiment's smoke config trains, samples and evaluates in-process (new
experiment files join automatically), and one experiment of each method family goes
through launch.py as the README documents it, from a clean copy of the repository (the
files a fresh clone has; no artifacts/, no runs/): train -> sample -> eval, each a
`python launch.py` subprocess; afterwards `git status` of the copy is clean. Only one
per family runs as subprocesses: three interpreter starts per experiment do not fit the
suite's time budget, and the code below launch.py's flag parsing is the same.

The image metrics' classifier comes from $GAN_JAX_CACHE as on a user's machine: the
session's cache (conftest.py), where the `smoke_classifier` fixture builds the smoke
configs' classifier once with the code a run uses when none is there. The subprocesses
share JAX's persistent compilation cache (in the session's cache), so `sample` and
`eval` reuse what `train` compiled (the generator, the classifier) instead of compiling
it again: about half of their CPU time.
"""
import glob
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

import jax

from gan_jax import classifier, data, experiment, networks, train, writers

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXPERIMENTS = sorted(os.path.basename(p)[:-3] for p in glob.glob(f"{ROOT}/experiments/*.py")
                     if not os.path.basename(p).startswith("_"))
# Experiments whose default data cannot be had offline get a folder of images instead.
EXTRA_ARGS = {"celeba64": "data=folder,path={faces}"}
# Through launch.py subprocesses from the clean checkout: the README's command (wgan, toy
# data), one of each method family, and the metrics' classifier.
CHECKOUT = ("classifier", "dcgan", "pix2pix", "wgan")
# Smoke-trained, sampled and evaluated, with their samples.npz contract, by another test.
ELSEWHERE = {
    "segan": "tests/methods/test_segan.py::test_train_sample_eval",
    "video": "tests/methods/test_video.py::test_launch_train_sample_eval",
    "cyclegan": "tests/test_unpaired_runs.py::"
                "test_cyclegan_on_fonts_scores_style_content_cycles_and_fid",
    "cogan": "tests/test_unpaired_runs.py::"
             "test_cogan_samples_joint_pairs_and_translates_by_inversion",
    "unit": "tests/test_unpaired_runs.py::test_unit_on_fonts_translates_through_the_shared_code",
    "text_gan": "tests/methods/test_text_gan.py::test_train_sample_eval",
    "progan": "tests/test_progan_runs.py::"
              "test_kill_9_inside_a_fade_then_resume_equals_the_uninterrupted_run",
    "stylegan": "tests/methods/test_stylegan.py::"
                "test_launch_train_then_truncation_zero_and_figures",
    "stackgan": "tests/methods/test_stackgan.py::"
                "test_launch_stage2_then_sample_captions_and_eval"}
NUM_SAMPLES = 16


@pytest.fixture(scope="module")
def checkout(tmp_path_factory):
  """A copy of the repository's tracked and not-ignored files, committed to a new git
  repository (so `git status` can be checked after the runs)."""
  dst = tmp_path_factory.mktemp("checkout")
  files = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard",
                          "-z"], cwd=ROOT, capture_output=True, check=True).stdout
  for name in filter(None, files.decode().split("\0")):
    if os.path.isfile(os.path.join(ROOT, name)):  # a deleted, not yet committed file
      os.makedirs(os.path.dirname(dst / name), exist_ok=True)
      shutil.copy2(os.path.join(ROOT, name), dst / name)
  assert not (dst / "artifacts").exists() and not (dst / "runs").exists()
  git = ["git", "-c", "user.name=test", "-c", "user.email=test@localhost"]
  for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "clean checkout"]):
    subprocess.run(git + args, cwd=dst, check=True, capture_output=True)
  return dst


@pytest.fixture(scope="module")
def faces(tmp_path_factory):
  """A folder of 64x64 RGB 'face' images for experiments without offline data."""
  root = tmp_path_factory.mktemp("faces")
  rng = np.random.default_rng(0)
  for i in range(40):
    Image.fromarray(rng.integers(0, 255, (70, 64, 3), np.uint8)).save(root / f"{i}.jpg")
  return str(root)


def launch(cwd, *args):
  env = {**os.environ, "JAX_COMPILATION_CACHE_DIR": os.path.join(
      os.environ["GAN_JAX_CACHE"], "jax_compilation_cache")}
  out = subprocess.run([sys.executable, "launch.py", *args, "--noprogress"], cwd=cwd,
                       capture_output=True, text=True, timeout=900, env=env)
  assert out.returncode == 0, f"launch.py {' '.join(args)}:\n{out.stdout[-2000:]}\n" \
                              f"{out.stderr[-3000:]}"
  return out.stdout


def _finite(values):
  return all(np.isfinite(v) for v in values)


def _smoke_spec(name, faces):
  arg = ",".join(["smoke", EXTRA_ARGS.get(name, "").format(faces=faces)]).rstrip(",")
  return f"experiments/{name}.py:{arg}"


@pytest.mark.parametrize("name", sorted(set(EXPERIMENTS) - set(CHECKOUT) - set(ELSEWHERE)))
def test_smoke(name, faces, smoke_classifier, tmp_path):
  """The experiment's smoke config, in-process: trains to its last step with finite
  losses, a sample grid, and (where it scores during training) finite scores at the
  last step; then samples and evaluates like --mode sample / --mode eval."""
  config = experiment.load_config(os.path.join(ROOT, _smoke_spec(name, faces)))
  train.train(config, str(tmp_path), progress=False)
  rows = writers.read_metrics(str(tmp_path))
  losses = [r for r in rows if "d_loss" in r]
  assert losses and _finite(r["d_loss"] for r in losses) and _finite(
      r["g_loss"] for r in losses)
  assert (tmp_path / "samples" / f"step_{config.train.steps}.png").exists()
  evals = [r for r in rows if any(k.startswith("eval/") for k in r)]
  if config.eval.metrics:
    assert evals and evals[-1]["step"] == config.train.steps
    assert _finite(v for k, v in evals[-1].items() if k != "step")
  with np.load(train.sample(config, str(tmp_path), NUM_SAMPLES)) as samples:
    assert samples["x"].shape[0] == NUM_SAMPLES and np.all(np.isfinite(samples["x"]))
  result = train.evaluate(config, str(tmp_path))
  assert result["protocol"]["step"] == config.train.steps and _finite(result["scores"].values())


@pytest.mark.slow
@pytest.mark.parametrize("name", CHECKOUT)
def test_readme_commands_from_a_clean_checkout(name, checkout, faces, smoke_classifier):
  spec, workdir = _smoke_spec(name, faces), checkout / "runs" / name
  config = experiment.load_config(str(checkout / spec))
  if config.method == "classifier":  # trains only: a classifier with its test accuracy
    launch(checkout, "--config", spec, "--workdir", f"runs/{name}")
    info = json.load(open(workdir / "classifier.json"))
    assert info["data"] == "fashion_mnist" and info["test_accuracy"] > 0.5
  else:
    launch(checkout, "--config", spec, "--workdir", f"runs/{name}")
    rows = [json.loads(line) for line in open(workdir / "metrics.jsonl")]
    losses = [r for r in rows if "d_loss" in r]
    assert losses and _finite(r["d_loss"] for r in losses) and _finite(
        r["g_loss"] for r in losses)
    assert (workdir / "samples" / f"step_{config.train.steps}.png").exists()
    evals = [r for r in rows if any(k.startswith("eval/") for k in r)]
    if config.eval.metrics:  # scored during training, at the last step too
      assert evals and evals[-1]["step"] == config.train.steps
      assert _finite(v for k, v in evals[-1].items() if k != "step")

    out = launch(checkout, "--config", spec, "--workdir", f"runs/{name}", "--mode", "sample",
                 "--num_samples", str(NUM_SAMPLES))
    assert f"Wrote {NUM_SAMPLES} samples of step {config.train.steps}" in out
    with np.load(workdir / "samples.npz") as samples:
      assert samples["x"].shape[0] == NUM_SAMPLES and np.all(np.isfinite(samples["x"]))

    launch(checkout, "--config", spec, "--workdir", f"runs/{name}", "--mode", "eval")
    result = json.load(open(workdir / "eval.json"))
    assert result["protocol"]["step"] == config.train.steps
    assert _finite(result["scores"].values())
    assert "missing_metrics" not in result["protocol"]
    if "classifier" in config.eval.metrics:
      assert {"fid", "fid_inf", "kid", "is", "precision", "classes_covered"} <= set(
          result["scores"])
      assert result["protocol"]["classifier"]["weights_sha256"] == json.load(
          open(os.path.join(smoke_classifier, "classifier.json")))["sha256"]
  status = subprocess.run(["git", "status", "--porcelain"], cwd=checkout,
                          capture_output=True, text=True, check=True).stdout
  assert status == "", f"runs left files git sees:\n{status}"


def test_the_experiments_trained_elsewhere_have_their_test():
  """An experiment left out of test_smoke names the test that smoke-trains it instead."""
  for name, target in ELSEWHERE.items():
    path, test = target.split("::")
    assert name in EXPERIMENTS and f"def {test}(" in open(os.path.join(ROOT, path)).read()


def test_unlabelled_data_train_and_evaluate_without_the_classifier(faces, tmp_path, capsys):
  """Classifier metrics asked for on data with no labels: training and evaluation
  finish, and both say which scores are missing and how to add them."""
  config = experiment.load_config(
      f"{ROOT}/experiments/dcgan.py:smoke,data=folder,path={faces},size=28")
  config.unlock()
  config.eval.metrics, config.data.channels = ("classifier",), 1
  assert config.eval.classifier == ""  # the default: the cache, built if missing
  train.train(config, str(tmp_path), progress=False)
  assert "Note: training without the classifier metrics" in capsys.readouterr().out
  rows = [json.loads(line) for line in open(tmp_path / "metrics.jsonl")]
  assert rows[-1]["step"] == config.train.steps and "d_loss" in rows[-1]  # no empty eval row
  result = train.evaluate(config, str(tmp_path))
  assert json.load(open(tmp_path / "eval.json")) == result
  missing = result["protocol"]["missing_metrics"]["classifier"]
  assert result["scores"] == {} and "no class labels" in missing["reason"]
  assert "eval.classifier" in missing["command"] and "fid" in missing["metrics"]


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
