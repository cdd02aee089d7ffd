"""Writes the torch.save files of test_inception.py::test_reader_reads_real_torch_files
(run once with torch installed: python tests/metrics/data/make_torch_files.py)."""
import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def state_numpy():
  """The arrays the files hold, as numpy (what the test compares against)."""
  t = np.arange(12.0, dtype=np.float32).reshape(3, 4)
  a = np.random.default_rng(0).normal(size=(5, 3, 2, 2)).astype(np.float32)
  return {"a": a, "t": t.T, "v": t[1:, 2:], "n": np.array(3, np.int64)}


if __name__ == "__main__":
  import torch

  t = torch.arange(12.0).reshape(3, 4)  # views keep their storage, strides and offset
  state = {"a": torch.from_numpy(state_numpy()["a"]), "t": t.t(), "v": t[1:, 2:],
           "n": torch.tensor(3)}
  for new_format, name in ((True, "zip"), (False, "legacy")):
    torch.save(state, os.path.join(HERE, f"torch_save_{name}.pth"),
               _use_new_zipfile_serialization=new_format)
