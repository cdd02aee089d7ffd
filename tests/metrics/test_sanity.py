"""gan_jax/metrics/sanity.py: the TRTR baseline on real data, and the marked sections of
docs/metrics.md it and tools/crosscheck_metrics.py write."""
import pytest

from gan_jax.metrics import sanity


def test_trtr_baseline_and_how_tstr_falls():
  acc = sanity.tstr_rows(1000)  # 1,000 images per set, 5 epochs: ~0.70 / 0.68 / 0.62
  trtr = acc["real train (TRTR)"]
  assert trtr > 0.6
  assert trtr > acc["blur sigma 1"] > acc["blur sigma 2"]
  assert acc["uniform noise, random labels"] == pytest.approx(0.1, abs=0.05)  # chance


def test_write_section_replaces_only_its_own_block(tmp_path):
  path = str(tmp_path / "metrics.md")
  sanity.write_section(path, "sanity", "# Table A\nold")
  sanity.write_section(path, "crosscheck", "## Table B")
  sanity.write_section(path, "sanity", "# Table A\nnew")
  text = open(path).read()
  assert text == ("<!-- sanity -->\n# Table A\nnew\n<!-- /sanity -->\n\n"
                  "<!-- crosscheck -->\n## Table B\n<!-- /crosscheck -->\n")
