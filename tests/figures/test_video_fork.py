"""The fork figure's table and picture from constructed records (no training: the runs
are smoke-trained and scored through launch.py by tests/methods/test_video.py)."""
import os

import numpy as np

from experiments.figures import video_fork


def test_table_and_figure(tmp_path):
  rng = np.random.default_rng(0)
  frames = lambda: rng.uniform(-1, 1, (6, 4, 32, 32, 1)).astype(np.float32)
  record = {"past": frames(), "future": frames(), "alternative": frames(), "x": frames(),
            "branch": np.array([0, 1, 0, 1, 1, 0])}
  path = video_fork.figure({"MSE": record, "GAN": record},
                           {"MSE": [frames()], "GAN": [frames(), frames()]}, str(tmp_path))
  assert os.path.getsize(path) > 10_000
  keys = [k for _, k in video_fork.COLUMNS]
  scores = {"MSE": dict.fromkeys(keys, 0.0), "GAN": {**dict.fromkeys(keys, 0.5),
                                                     "fork_single_branch": 0.875}}
  text = video_fork.markdown(scores, {"video_mse": 3000, "video_gan": 3000}, 1000)
  rows = [line for line in text.splitlines() if line.startswith("| ")]
  assert len(rows) == 4 and rows[3].startswith("| GAN | 0.875 | 0.500")
  assert "1000 held-out sequences" in text
