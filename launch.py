"""gan_jax command line.

  python launch.py --config experiments/<name>.py[:args] [--workdir DIR]
                   [--config.a.b=value ...] [--mode train|sample|eval] [--num_samples N]
                   [--labels 3,7] [--captions FILE] [--interpolate]

`train` writes DIR as ../shared/DESIGN.md describes and resumes when DIR holds a
checkpoint; `sample` writes DIR/samples.npz; `eval` writes DIR/eval.json.
"""
from __future__ import annotations

import datetime
import os
import sys

from absl import flags
from ml_collections import config_flags

_CONFIG = config_flags.DEFINE_config_file(
    "config", None, "Experiment file and args, e.g. experiments/wgan.py:data=grid25,smoke.",
    lock_config=True)
_WORKDIR = flags.DEFINE_string("workdir", None,
                               "Run directory; default runs/<experiment>-<timestamp>.")
_MODE = flags.DEFINE_enum("mode", "train", ["train", "sample", "eval"], "What to do.")
_NUM_SAMPLES = flags.DEFINE_integer("num_samples", 10_000, "Samples for --mode sample.")
_LABELS = flags.DEFINE_list(
    "labels", None, "With --mode sample on a class-conditional run: sample only these "
    "classes (balanced), e.g. --labels 3,7.")
_CAPTIONS = flags.DEFINE_string(
    "captions", None, "With --mode sample on a text-conditional run (gan_cls, stackgan): a text file "
    "of captions, one per line; each gets --num_samples / K samples (different z).")
_INTERPOLATE = flags.DEFINE_bool(
    "interpolate", False, "With --mode sample: write DIR/interpolation.png (latent walks).")
_SWEEP = flags.DEFINE_bool("sweep", False,
                           "Run every member of the experiment's get_sweep() into DIR/<i>_<name>/.")
_DRY_RUN = flags.DEFINE_bool("dry_run", False, "With --sweep: list the members and exit.")
_ALLOW_CHANGE = flags.DEFINE_bool(
    "allow_config_change", False,
    "Resume (or sample / eval) with a config that differs from the run's: changed "
    "learning rates, betas, loss / penalty weights and EMA decay apply from the next step.")
_PROGRESS = flags.DEFINE_bool("progress", True, "Show a progress bar.")
_COMPILATION_CACHE = flags.DEFINE_bool(
    "compilation_cache", True, "Keep compiled steps in JAX's persistent cache "
    "($GAN_JAX_CACHE/jax_compilation_cache) so the next process on this run skips compiling.")
_DISTRIBUTED = flags.DEFINE_bool(
    "distributed", False, "Call jax.distributed.initialize() first (multi-host runs).")


def _config_spec(argv) -> str | None:
  for i, a in enumerate(argv):
    if a.startswith("--config="):
      return a.split("=", 1)[1]
    if a == "--config" and i + 1 < len(argv):
      return argv[i + 1]
  return None


def _explain_flag_error(argv, error: Exception) -> str:
  """Turns a flag-parsing failure into a message naming the key and the closest one."""
  from gan_jax import config as config_lib, experiment
  spec = _config_spec(argv)
  keys = [a[len("--config."):].split("=", 1)[0] for a in argv if a.startswith("--config.")]
  if spec:
    try:
      config = experiment.load_config(spec)
    except Exception as e:  # the experiment file's own error (e.g. an unknown arg)
      return f"--config {spec}: {e}"
    try:
      config_lib.check_overrides(config, keys)
    except ValueError as e:
      return str(e)
    values = config_lib.flat_keys(config)
    for a in argv:
      key, _, value = a[len("--config."):].partition("=")
      if a.startswith("--config.") and key in values and values[key] is not None:
        kind = type(values[key])
        try:
          kind(value) if kind in (int, float) else None
        except ValueError:
          return (f"Config key {key!r} is a {kind.__name__} (default {values[key]!r}); "
                  f"got {value!r}.")
  return str(error).strip("'\"").replace("\\n", " ")


def _label_option(labels) -> dict:
  """{"labels": [int, ...]} from --labels (passed to the method's conditions), or {}."""
  if labels is None:
    return {}
  try:
    return {"labels": [int(label) for label in labels]}
  except ValueError:
    raise ValueError(f"--labels must be class indices separated by commas, e.g. 3,7; got "
                     f"{','.join(labels)!r}.") from None


def _caption_option(path) -> dict:
  """{"captions": [str, ...]} from the --captions file (one per non-empty line), or {}."""
  if path is None:
    return {}
  with open(path) as f:
    captions = [line.strip() for line in f if line.strip()]
  if not captions:
    raise ValueError(f"--captions {path}: the file has no captions (write one per line).")
  return {"captions": captions}


def main(argv):
  from gan_jax import cache
  if _COMPILATION_CACHE.value:
    cache.enable_compilation_cache()
  else:
    cache.disable_compilation_cache()
  if _DISTRIBUTED.value:
    from gan_jax import parallel
    parallel.initialize_distributed()
  from gan_jax import experiment, train
  del argv
  if _LABELS.value is not None and (_MODE.value != "sample" or _INTERPOLATE.value):
    raise ValueError("--labels chooses the classes of --mode sample (without "
                     "--interpolate); drop it for this mode.")
  if _CAPTIONS.value is not None and (_MODE.value != "sample" or _INTERPOLATE.value):
    raise ValueError("--captions chooses the captions of --mode sample (without "
                     "--interpolate); drop it for this mode.")
  config = _CONFIG.value
  spec = _config_spec(sys.argv)
  workdir = _WORKDIR.value or os.path.join(
      "runs", f"{experiment.name(spec)}-{datetime.datetime.now():%Y%m%d-%H%M%S}")
  if config.method == "classifier":  # default: the user cache, where evaluations look
    from gan_jax import classifier
    workdir = _WORKDIR.value or classifier.path_for(config)
  print(f"workdir: {workdir}", flush=True)
  if config.method == "classifier":
    if _MODE.value != "train":
      raise ValueError("experiments/classifier.py only trains (--mode train).")
    classifier.train(config, workdir, progress=_PROGRESS.value)
  elif _SWEEP.value:
    from gan_jax import sweep
    if _MODE.value != "train":
      raise ValueError("--sweep trains; use --mode sample/eval on a member's workdir.")
    sweep.run(spec, config, workdir, dry_run=_DRY_RUN.value, progress=_PROGRESS.value)
  elif _MODE.value == "train":
    train.train(config, workdir, allow_config_change=_ALLOW_CHANGE.value,
                progress=_PROGRESS.value)
  elif _MODE.value == "sample" and _INTERPOLATE.value:
    train.interpolate(config, workdir, allow_config_change=_ALLOW_CHANGE.value)
  elif _MODE.value == "sample":
    train.sample(config, workdir, _NUM_SAMPLES.value, allow_config_change=_ALLOW_CHANGE.value,
                 progress=_PROGRESS.value, **_label_option(_LABELS.value),
                 **_caption_option(_CAPTIONS.value))
  else:
    train.evaluate(config, workdir, allow_config_change=_ALLOW_CHANGE.value,
                   progress=_PROGRESS.value)


if __name__ == "__main__":
  try:
    argv = flags.FLAGS(sys.argv)
  except Exception as e:  # absl, ml_collections and experiment files raise various types
    sys.exit(f"launch.py: {_explain_flag_error(sys.argv, e)}")
  if flags.FLAGS["config"].value is None:
    sys.exit("launch.py: --config is required, e.g. --config experiments/wgan.py")
  try:
    main(argv)
  except Exception as e:
    # Bad input (config values, data files, a data set that is not there, a changed
    # config, a damaged workdir) is one line; GAN_JAX_TRACEBACK=1 shows the whole
    # traceback. Imported here: --distributed must initialise JAX before anything else.
    from gan_jax import checkpoint, train
    from gan_jax.data.datasets import DataUnavailableError
    if isinstance(e, train.Interrupted):
      print(f"launch.py: {e}", file=sys.stderr, flush=True)
      sys.exit(128 + e.signum)
    bad_input = (ValueError, TypeError, OSError, FloatingPointError, DataUnavailableError,
                 checkpoint.CheckpointError)
    if os.environ.get("GAN_JAX_TRACEBACK") or not isinstance(e, bad_input):
      raise
    sys.exit(f"launch.py: {type(e).__name__}: {e}")
