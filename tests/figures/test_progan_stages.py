"""experiments/figures/progan_stages.py on a made-up run: the panels it picks by the
growing schedule, and the figure and JSON it writes (no training)."""
import json
import os

import numpy as np
from PIL import Image

from experiments.figures import _common, progan_stages
from tests.conftest import experiment_config


def test_panels_follow_the_schedule_and_are_drawn(tmp_path):
  # 16 px (3 stages), batch 16, 4 steps per stabilisation and per fade: stage 0 is steps
  # 1-4, stage 1 fades over 5-8 and is stable 9-12, stage 2 fades over 13-16
  config = experiment_config("progan.py:smoke,size=16", **{"train.steps": 18})
  assert progan_stages.schedule(config, 4) == (0, 1.0)
  assert progan_stages.schedule(config, 7) == (1, 0.5)  # its last step, the 7th, at 0.5
  steps = list(range(1, 19))
  chosen = progan_stages.panels(config, steps)
  assert [(p["step"], p["stage"], p["alpha"]) for p in chosen] == [
      (4, 0, 1.0), (7, 1, 0.5), (12, 1, 1.0), (15, 2, 0.5), (18, 2, 1.0)]

  run = tmp_path / "run"
  os.makedirs(run / "samples")
  with open(run / "config.json", "w") as f:
    f.write(config.to_json())
  for s in steps:  # titled grids as loop.py writes them: a 14-row strip above
    Image.fromarray(np.full((64 + 14, 64), s, np.uint8)).save(run / "samples" / f"step_{s}.png")
  progan_stages.main(["--out", str(tmp_path), "--run", str(run)])
  out = json.load(open(tmp_path / "progan_stages.json"))
  assert [p["step"] for p in out["panels"]] == [4, 7, 12, 15, 18]
  assert out["protocol"]["fade_images"] == 64 and out["protocol"]["image_size"] == 16
  assert os.path.getsize(tmp_path / "progan_stages.png") > 5_000
  assert _common.saved_config(str(run)).growth.stable_images == 64
