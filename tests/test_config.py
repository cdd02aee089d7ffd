import glob
import os

import pytest

from gan_jax import config as config_lib, experiment

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_parse_arg_types_and_bare_flags():
  arg = config_lib.parse_arg("smoke,data=ring8,lr=1e-3,steps=7", smoke=False, data="grid25",
                             lr=0.1, steps=1)
  assert arg.smoke is True and arg.data == "ring8" and arg.lr == 1e-3 and arg.steps == 7
  assert config_lib.parse_arg(None, smoke=False).smoke is False


def test_parse_arg_errors_name_the_problem():
  with pytest.raises(ValueError, match=r"Unknown config arg 'dat' \(did you mean 'data'\?\)"):
    config_lib.parse_arg("dat=ring8", data="grid25")
  with pytest.raises(ValueError, match="not a float"):
    config_lib.parse_arg("lr=fast", lr=0.1)
  with pytest.raises(ValueError, match="needs a value"):
    config_lib.parse_arg("lr", lr=0.1)


def test_overrides_name_the_closest_key_and_check_types():
  config = experiment.load_config(os.path.join(ROOT, "experiments/gan.py"))
  with pytest.raises(ValueError, match=r"'optim.d.lrate' \(did you mean 'optim.d.lr'\?\)"):
    config_lib.apply_overrides(config, {"optim.d.lrate": 1.0})
  with pytest.raises(TypeError, match="data.batch_size' is a int"):
    config_lib.apply_overrides(config, {"data.batch_size": "big"})
  out = config_lib.apply_overrides(config, {"optim.d.lr": 1, "train.steps": 5})
  assert out.optim.d.lr == 1.0 and isinstance(out.optim.d.lr, float) and out.train.steps == 5


EXPERIMENT_FILES = sorted(p for p in glob.glob(os.path.join(ROOT, "experiments", "*.py"))
                          if not os.path.basename(p).startswith("_"))


@pytest.mark.parametrize("path", EXPERIMENT_FILES)
def test_every_experiment_has_a_locked_smoke_config(path):
  config = experiment.load_config(path + ":smoke")
  assert config.is_locked
  for key in ("seed", "data.name", "data.batch_size", "train.steps", "train.n_critic",
              "train.n_gen", "loss.name", "optim.g.lr", "optim.d.lr", "log.every",
              "ckpt.every", "eval.every", "sample.every"):
    assert key in config_lib.flat_keys(config), key
  if config.method == "classifier":  # trains by epochs, not steps
    assert config.train.epochs == 1
  else:
    assert config.train.steps <= 50
