"""Where a train step's time goes: gan_jax (XLA's per-op trace) beside PyTorch (its profiler).

  python bench/profile_step.py [--only dcgan,wgan_gp,segan] [--steps 10] [--top 8]
                               [--precision fp32|bf16]

The steps are bench/vs_torch.py's (the same networks, batch, loss and optimizer on both
sides). gan_jax: the compiled step runs `--steps` times under `jax.profiler.trace`;
XLA's CPU runtime records one event per executed op (a fusion, a convolution, a copy)
on the thread that ran it, and each op is classed by what its HLO computes (a fusion
by the ops inside it): convolution, matmul (dot), reduction (BatchNorm statistics,
loss means), data movement (copy, transpose, pad, slice, concatenate) and elementwise
(activations, the optimizer's update, ...). Times are thread-milliseconds per step:
XLA runs independent ops on both cores at once, so their sum can exceed the wall time,
which is printed beside. PyTorch: `torch.profiler` over the same number of steps, the
self CPU time of each aten op per step (an op's own intra-op threads included in its
time), classed the same way. The top ops of each side are listed with their shapes.
"""
from __future__ import annotations

import argparse
import collections
import glob
import os
import re
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "bench"))

CLASSES = ("convolution", "matmul", "reduction", "data movement", "elementwise")
MOVES = ("copy", "transpose", "pad", "slice", "dynamic-slice", "dynamic-update-slice",
         "concatenate", "reverse", "broadcast", "reshape", "bitcast", "gather", "scatter")


def hlo_ops(text: str) -> dict[str, tuple[str, str]]:
  """{instruction name: (class, short description)} of an optimized HLO module's text."""
  computations, heavy, current = {}, {}, None
  instr = re.compile(r"^\s*(?:ROOT\s+)?%?([\w.\-]+)\s*=\s*(\S+\[[^\]]*\](?:\{[^}]*\})?|\([^)]*\)|\S+)\s+([\w\-]+)\(")
  lines = {}
  for line in text.splitlines():
    head = re.match(r"^(?:ENTRY\s+)?%?([\w.\-]+)\s.*\{\s*$", line)
    if head and "=" not in line.split("{")[0]:
      current = head.group(1)
      computations[current] = set()
      continue
    m = instr.match(line)
    if m and current is not None:
      name, shape, opcode = m.groups()
      computations[current].add(opcode)
      if opcode in ("convolution", "dot") and current not in heavy:
        operands = re.findall(r"(?:f32|bf16|f16)\[[\d,]*\]", line.split(opcode + "(", 1)[1])
        window = re.search(r"window=\{([^}]*)\}", line)
        labels = re.search(r"dim_labels=(\S+?),?(?:\s|$)", line)
        heavy[current] = (f"{opcode}({', '.join(operands[:2])}) -> {shape.split('{')[0]}"
                          + (f" window {window.group(1)}" if window else "")
                          + (f" {labels.group(1)}" if labels else ""))
      called = re.search(r"calls=%?([\w.\-]+)", line)
      lines[name] = (opcode, shape, called.group(1) if called else None, current)

  ops = {}
  for name, (opcode, shape, called, where) in lines.items():
    inside = set(computations.get(called, ())) if called else {opcode}
    inside.add(opcode)
    if "convolution" in inside:
      kind = "convolution"
    elif "dot" in inside:
      kind = "matmul"
    elif inside & {"reduce", "reduce-window", "select-and-scatter"}:
      kind = "reduction"
    elif opcode in MOVES or (inside - {"parameter", "fusion", "tuple", "get-tuple-element"}
                             and inside - {"parameter", "fusion"} <= set(MOVES) | {"constant"}):
      kind = "data movement"
    else:
      kind = "elementwise"
    inner = heavy.get(called) or (heavy.get(where) if opcode in ("convolution", "dot") else None)
    ops[name] = (kind, f"{opcode}: {inner}" if inner else f"{opcode} {shape.split('{')[0]}")
  return ops


def profile_jax(name: str, precision: str, steps: int) -> dict:
  import jax
  import vs_torch
  compiled = []
  run, _ = vs_torch.jax_worker(name, precision, compiled)
  run(3)
  ops = hlo_ops(compiled[0].as_text())
  with tempfile.TemporaryDirectory() as folder:
    jax.profiler.start_trace(folder)
    wall = run(steps)
    jax.profiler.stop_trace()
    path = glob.glob(os.path.join(folder, "**", "*.xplane.pb"), recursive=True)[0]
    data = jax.profiler.ProfileData.from_file(path)
  by_op = collections.Counter()
  for plane in data.planes:
    for line in plane.lines:
      for event in line.events:
        if event.name in ops:
          by_op[event.name] += event.duration_ns / 1e6 / steps
  return summarise(by_op, lambda op: ops[op], wall / steps * 1e3)


TORCH_CLASSES = [  # matched, case-insensitively, against the op's name after "::"
    ("convolution", r"conv"),
    ("matmul", r"addmm|\bmm\b|matmul|linear|bmm"),
    ("reduction", r"batch_?norm|group_?norm|layer_?norm|\bnorm\b|\bsum\b|\bmean\b|\bvar\b|"
                  r"mse_loss|l1_loss|reduce"),
    ("data movement", r"copy|clone|\bcat\b|stack|view|reshape|permute|transpose|contiguous|"
                      r"pad|slice|select|index|expand|as_strided|empty|zeros|fill|\bto\b"),
    ("elementwise", r"."),
]


def profile_torch(name: str, precision: str, steps: int) -> dict:
  import torch
  import vs_torch
  run, _ = vs_torch.torch_worker(name, False, precision)
  run(3)
  with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU],
                              record_shapes=True) as prof:
    wall = run(steps)
  by_op, what = collections.Counter(), {}
  for avg in prof.key_averages(group_by_input_shape=True):
    if avg.key.startswith("ProfilerStep") or avg.self_cpu_time_total <= 0:
      continue
    key = f"{avg.key} {avg.input_shapes[:2] if avg.input_shapes else ''}"[:90]
    op = avg.key.rsplit("::", 1)[-1].rsplit(": ", 1)[-1]  # "autograd::...: ConvolutionBackward0"
    kind = next(k for k, pattern in TORCH_CLASSES if re.search(pattern, op, re.IGNORECASE))
    by_op[key] += avg.self_cpu_time_total / 1e3 / steps
    what[key] = (kind, key)
  return summarise(by_op, lambda op: what[op], wall / steps * 1e3)


def summarise(by_op, describe, wall_ms: float) -> dict:
  classes = collections.Counter()
  for op, ms in by_op.items():
    classes[describe(op)[0]] += ms
  return {"wall_ms": wall_ms, "classes": classes,
          "top": [(describe(op)[1], describe(op)[0], ms) for op, ms in by_op.most_common(40)]}


def main():
  p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  p.add_argument("--only", default="dcgan,wgan_gp,segan")
  p.add_argument("--steps", type=int, default=10)
  p.add_argument("--top", type=int, default=8)
  p.add_argument("--precision", default="fp32", choices=("fp32", "bf16"))
  args = p.parse_args()
  start = time.perf_counter()
  for name in args.only.split(","):
    steps = max(2, args.steps // 4) if name in ("wgan_gp", "segan") else args.steps
    sides = {"gan_jax": profile_jax(name, args.precision, steps),
             "torch": profile_torch(name, args.precision, steps)}
    print(f"\n### {name} ({args.precision}, {steps} profiled steps)\n")
    print("| | " + " | ".join(f"{c}, ms/step" for c in CLASSES) + " | sum | wall ms/step |")
    print("| --- " * (len(CLASSES) + 3) + "|")
    for side, r in sides.items():
      total = sum(r["classes"].values())
      cells = [f"{r['classes'][c]:.1f} ({100 * r['classes'][c] / total:.0f}%)" for c in CLASSES]
      print(f"| {side} | " + " | ".join(cells) + f" | {total:.1f} | {r['wall_ms']:.1f} |")
    for side, r in sides.items():
      print(f"\n{side}, top ops (ms/step):")
      for what, kind, ms in r["top"][:args.top]:
        print(f"  {ms:7.2f}  {kind:13s}  {what}")
  print(f"\n({time.perf_counter() - start:.0f} s)")


if __name__ == "__main__":
  main()
