"""Helpers shared by the figure scripts."""
import json

from experiments.figures import _common
from gan_jax import config as config_lib


def test_saved_config_of_an_older_run_gets_the_new_keys_defaults(tmp_path):
  """A run saved before a config key existed (here model.num_classes, loss.class_weight)
  is drawn with that key's default; its own values are kept."""
  saved = config_lib.base().to_dict()
  del saved["model"]["num_classes"], saved["loss"]["class_weight"]
  saved["model"]["width"], saved["method"] = 7, "pix2pix"
  (tmp_path / "config.json").write_text(json.dumps(saved))
  config = _common.saved_config(str(tmp_path))
  base = config_lib.base()
  assert config.model.num_classes == base.model.num_classes
  assert config.loss.class_weight == base.loss.class_weight
  assert config.model.width == 7 and config.method == "pix2pix"
