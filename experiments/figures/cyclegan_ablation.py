"""CycleGAN's loss ablation (Zhu et al., 2017, Tables 4 and 5) on fonts_unpaired, and
translations both ways.

Rows (each a run of ``experiments/cyclegan.py`` with its defaults and the row's args):
cycle alone, GAN alone, GAN + forward cycle (Kai -> Ming -> Kai), GAN + backward cycle
(Ming -> Kai -> Ming), CycleGAN (all terms), all without the identity term, as in the
paper's Table 4; and the default CycleGAN with the identity term (0.5 lambda) below
them. Scores per direction on the 376 test characters (never seen in training, by
either side): style accuracy (the Kai / Ming classifier calls the translation the
target style), content accuracy (the two-font character classifier recognises the
input's character in the translation), cycle L1 and FID (on the style classifier's
features). The paper's Cityscapes FCN-scores (labels -> photo, Table 4; photo -> labels,
Table 5: per-pixel acc., per-class acc., class IoU) stand beside them for reference: a
different task and score, so only the orderings compare. A second table scores
CycleGAN's relatives on the same characters, each with its own experiment's defaults
(DiscoGAN and DualGAN: ``cyclegan.py:variant=...``; UNIT: ``unit.py``; CoGAN:
``cogan.py``, translating by z search); a third gives sneaker -> ankle boot
(sneaker2boot): the share of translations the Fashion-MNIST classifier calls ankle
boots.

Writes ``cyclegan_ablation.md`` (the tables), ``cyclegan_ablation.json``,
``cyclegan_translations.png`` (test characters: Kai | Kai -> Ming | Kai -> Ming -> Kai |
real Ming || Ming | Ming -> Kai | Ming -> Kai -> Ming | real Kai) and
``cyclegan_ablation.png`` (Kai | each row's Kai -> Ming | real Ming).

  python -m experiments.figures.cyclegan_ablation --out DIR [--runs RUNS] [--smoke]

``--runs RUNS`` reads runs trained as ``launch.py --config
experiments/cyclegan.py:<args> --workdir RUNS/<name>`` (or ``experiments/<file>.py:<args>``
where a row's args name another file: UNIT, CoGAN; names and args in ROWS below; a
missing run is reported as not run) instead of training them here.
"""
from __future__ import annotations

import json
import os

import numpy as np

from experiments.figures import _common, _translation
from gan_jax import viz

NAME = "cyclegan_ablation"
SPEC = "cyclegan.py"
# (table, row label, run name, experiment args)
ROWS = [
    ("ablation", "Cycle alone", "fonts_cycle_only", "ablation=cycle_only,identity=0"),
    ("ablation", "GAN alone", "fonts_gan_only", "ablation=gan_only,identity=0"),
    ("ablation", "GAN + forward cycle", "fonts_forward", "ablation=forward,identity=0"),
    ("ablation", "GAN + backward cycle", "fonts_backward", "ablation=backward,identity=0"),
    ("ablation", "CycleGAN", "fonts_full", "identity=0"),
    ("ablation", "CycleGAN + identity (0.5 lambda)", "fonts_cyclegan", "identity=0.5"),
    ("sneaker2boot", "CycleGAN", "s2b_cyclegan", "data=sneaker2boot"),
    ("relatives", "DiscoGAN", "fonts_discogan", "variant=discogan"),
    ("relatives", "DualGAN", "fonts_dualgan", "variant=dualgan"),
    ("relatives", "UNIT", "fonts_unit", "unit.py:"),
    ("relatives", "CoGAN", "fonts_cogan", "cogan.py:"),
]
SMOKE_RUNS = ("fonts_full",)  # what --smoke trains (the rest: not run)
# Zhu et al. (2017, arXiv:1703.10593v7): Table 4 (labels -> photo) and Table 5
# (photo -> labels), Cityscapes FCN-scores (per-pixel acc., per-class acc., class IoU).
PAPER = {
    "Cycle alone": ((0.22, 0.07, 0.02), (0.10, 0.05, 0.02)),
    "GAN alone": ((0.51, 0.11, 0.08), (0.53, 0.11, 0.07)),
    "GAN + forward cycle": ((0.55, 0.18, 0.12), (0.49, 0.11, 0.07)),
    "GAN + backward cycle": ((0.39, 0.14, 0.06), (0.01, 0.06, 0.01)),
    "CycleGAN": ((0.52, 0.17, 0.11), (0.58, 0.22, 0.16)),
}
FIGURE_ROWS, FIGURE_SEED = 8, 7


def parse_args(argv=None):
  def extra(p):
    p.add_argument("--runs", default="", help="a folder of trained runs named as in ROWS")
    p.add_argument("--classifier", default="", help="eval.classifier for fonts runs trained "
                   "here ('': the cached fonts_style classifier, built when missing)")
    p.add_argument("--content_classifier", default="", help="eval.content_classifier "
                   "('': the cached fonts_both classifier, built when missing)")
  return _common.parse_args(NAME, __doc__, argv, extra)


def spec(args: str, smoke: bool) -> str:
  """The experiment spec of a row's args: `SPEC` with them, or `<file>.py:<args>`."""
  head, _, tail = args.partition(":")
  file, rest = (head, tail) if head.endswith(".py") else (SPEC, args)
  return file + ":" + ",".join(filter(None, ["smoke" if smoke else "", rest]))


def scores_of(workdir: str) -> dict:
  """eval.json's scores (`--mode eval`) when the run has them, else its last evaluation."""
  path = os.path.join(workdir, "eval.json")
  if os.path.exists(path):
    with open(path) as f:
      result = json.load(f)
    return {"step": result["protocol"]["step"], **result["scores"]}
  return _translation.final_scores(workdir)


def collect(args) -> dict:
  """{run name: {"scores", "workdir"} or {"missing": reason}}."""
  runs = {}
  for table, _, name, run_args in ROWS:
    if args.smoke and name not in SMOKE_RUNS:
      runs[name] = {"missing": "not trained in --smoke"}
      continue
    if args.runs and not os.path.exists(os.path.join(args.runs, name, "config.json")):
      runs[name] = {"missing": f"no run {os.path.join(args.runs, name)}"}
      continue
    overrides = {}
    if table != "sneaker2boot":  # the fonts rows
      overrides = {k: v for k, v in (("eval.classifier", args.classifier),
                                     ("eval.content_classifier", args.content_classifier)) if v}
    workdir = _translation.train_or_reuse(spec(run_args, args.smoke), overrides, args.runs,
                                          name, args.out)
    scores = scores_of(workdir)
    runs[name] = {"workdir": workdir, "scores": scores} if scores else {
        "missing": f"{workdir} logged no evaluation"}
  return runs


def _cell(s: dict, key: str, digits: int = 3) -> str:
  return f"{s[key]:.{digits}f}" if key in s else "-"


def _fonts_cells(run: dict) -> list[str]:
  """Style, content, cycle L1 and FID of both directions (8 cells) of a fonts run."""
  if "missing" in run:
    return [f"not run ({run['missing']})"] + [""] * 7
  cells = []
  for d in ("ab", "ba"):
    cells += [_cell(run["scores"], f"{d}_target_accuracy"),
              _cell(run["scores"], f"{d}_content_accuracy"),
              _cell(run["scores"], f"{d}_cycle_l1", 4), _cell(run["scores"], f"{d}_fid", 1)]
  return cells


def markdown(runs: dict) -> str:
  head = ["row", "Kai->Ming style", "content", "cycle L1", "FID",
          "Ming->Kai style", "content", "cycle L1", "FID",
          "paper labels->photo (px, class, IoU)", "paper photo->labels"]
  out = ["### CycleGAN loss ablation on fonts_unpaired (test characters)", "",
         "| " + " | ".join(head) + " |", "| " + " | ".join("---" for _ in head) + " |"]
  reference = None
  for table, label, name, _ in ROWS:
    if table != "ablation":
      continue
    run = runs[name]
    cells = _fonts_cells(run)
    reference = run.get("scores", reference)
    paper = PAPER.get(label)
    cells += [", ".join(f"{v:.2f}" for v in paper[0]) if paper else "-",
              ", ".join(f"{v:.2f}" for v in paper[1]) if paper else "-"]
    out.append("| " + " | ".join([label] + cells) + " |")
  if reference is not None:
    row = ["real glyphs (classifiers' accuracy)"]
    for d in ("ab", "ba"):
      row += [_cell(reference, f"{d}_real_accuracy"), _cell(reference,
                                                             f"{d}_input_content_accuracy"),
              "-", "-"]
    out.append("| " + " | ".join(row + ["-", "-"]) + " |")
    row = ["untranslated inputs (identity map)"]
    for d in ("ab", "ba"):
      row += [_cell(reference, f"{d}_input_accuracy"),
              _cell(reference, f"{d}_input_content_accuracy"), "0",
              _cell(reference, f"{d}_input_fid", 1)]
    out.append("| " + " | ".join(row + ["-", "-"]) + " |")
  head = head[:9] + ["steps"]
  out += ["", "### CycleGAN's relatives on fonts_unpaired (test characters)", "",
          "| " + " | ".join(head) + " |", "| " + " | ".join("---" for _ in head) + " |"]
  for table, label, name, _ in ROWS:
    if table == "relatives":
      s = runs[name].get("scores", {})
      out.append("| " + " | ".join([label] + _fonts_cells(runs[name])
                                   + [str(s.get("step", ""))]) + " |")
  head = ["row", "sneaker->boot: called ankle boot", "real boots called boot",
          "sneakers called boot", "cycle L1", "FID", "boot->sneaker: called sneaker",
          "cycle L1", "FID"]
  out += ["", "### sneaker2boot (Fashion-MNIST test split)", "", "| " + " | ".join(head) + " |",
          "| " + " | ".join("---" for _ in head) + " |"]
  for table, label, name, _ in ROWS:
    if table != "sneaker2boot":
      continue
    run = runs[name]
    if "missing" in run:
      out.append(f"| {label} | not run ({run['missing']}) |" + " |" * 7)
      continue
    s = run["scores"]
    out.append("| " + " | ".join([label, _cell(s, "ab_target_accuracy"),
                                  _cell(s, "ab_real_accuracy"), _cell(s, "ab_input_accuracy"),
                                  _cell(s, "ab_cycle_l1", 4), _cell(s, "ab_fid", 1),
                                  _cell(s, "ba_target_accuracy"), _cell(s, "ba_cycle_l1", 4),
                                  _cell(s, "ba_fid", 1)]) + " |")
  return "\n".join(out) + "\n"


def figures(runs: dict, out: str) -> dict:
  """The translations both ways (the full CycleGAN run, else any trained row) and the
  ablation's Kai -> Ming columns, on FIGURE_ROWS test characters."""
  trained = [(label, name) for t, label, name, _ in ROWS
             if t == "ablation" and "missing" not in runs[name]]
  if not trained:
    return {}
  main = next((n for l, n in trained if n == "fonts_full"), trained[-1][1])
  record, step = _translation.outputs(runs[main]["workdir"], FIGURE_ROWS, FIGURE_SEED)
  cells = np.stack([record[k] for k in ("a", "ab", "aba", "b", "ba", "bab", "b", "a")], 1)
  cells = cells[:, [0, 1, 2, 6, 3, 4, 5, 7]]  # a ab aba real-b | b ba bab real-a
  pixels = viz.image_grid(cells.reshape(-1, *cells.shape[2:]), rows=len(cells))
  viz.save_image(pixels, os.path.join(out, "cyclegan_translations.png"), scale=3)
  columns, steps = [record["a"]], {}
  for label, name in trained:
    rec, steps[label] = _translation.outputs(runs[name]["workdir"], FIGURE_ROWS, FIGURE_SEED)
    columns.append(rec["ab"])
  cells = np.stack(columns + [record["b"]], axis=1)
  pixels = viz.image_grid(cells.reshape(-1, *cells.shape[2:]), rows=len(cells))
  viz.save_image(pixels, os.path.join(out, "cyclegan_ablation.png"), scale=3)
  return {"translations": {"run": main, "step": step, "columns": [
              "Kai", "Kai->Ming", "Kai->Ming->Kai", "real Ming", "Ming", "Ming->Kai",
              "Ming->Kai->Ming", "real Kai"]},
          "ablation": {"columns": ["Kai"] + [l for l, _ in trained] + ["real Ming"],
                       "steps": steps}}


def main(argv=None):
  args = parse_args(argv)
  clock = _common.Clock()
  runs = collect(args)
  _translation.write_table(args.out, NAME, markdown(runs))
  result = {"rows": _translation.rows_json(ROWS, runs),
            "figures": figures(runs, args.out),
            "paper": {k: {"labels->photo": v[0], "photo->labels": v[1]} for k, v in PAPER.items()},
            "seconds": clock.seconds()}
  _common.write_json(args.out, NAME, result)
  return result


if __name__ == "__main__":
  main()
