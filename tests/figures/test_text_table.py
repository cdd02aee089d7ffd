"""The text table's pieces that need no training (the runs' own scores are tested in
tests/methods/test_text_gan.py): training seconds from the logged rates, the markdown."""
import json

import pytest

from experiments.figures import text_table


def test_train_seconds_sums_the_logged_intervals(tmp_path):
  rows = [{"step": 50, "steps_per_sec": 10.0, "d_loss": 1.0}, {"step": 50, "eval/bleu2": 0.1},
          {"step": 150, "steps_per_sec": 4.0, "d_loss": 1.0}]
  (tmp_path / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
  assert text_table.train_seconds(str(tmp_path)) == pytest.approx(50 / 10 + 100 / 4)


def test_markdown_has_a_row_per_system_and_dashes_for_missing_scores():
  scores = {"oracle_nll": 6.7674, "nll_test": 5.642, "train_seconds": 97.4}
  md = text_table.markdown({"MLE": scores, "Oracle samples (real)": {"oracle_nll": 4.49}},
                           {"text_mle": 2000})
  lines = [l for l in md.splitlines() if l.startswith("| ")]
  assert len(lines) == 4 and lines[0].count("|") == len(text_table.COLUMNS) + 2
  assert lines[2].startswith("| MLE | 6.767 | 5.642 | - |") and lines[2].endswith("| 97 |")
  assert lines[3].startswith("| Oracle samples (real) | 4.490 | - |")
  assert "SeqGAN 8.736" in md
