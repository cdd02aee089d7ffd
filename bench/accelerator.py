"""The accelerator benchmark in one command: gan_jax against PyTorch on this machine's
GPU, the share of the chip's peak, the vectorised sweep and pmap.

  python bench/accelerator.py [--out docs/accelerator.json] [--smoke]
                              [--steps 50] [--rounds 5] [--only dcgan,wgan_gp,pix2pix,cyclegan]
  make bench-device            # the same, writing docs/accelerator.json

Sections (each printed as a markdown table as soon as it is measured):

1. Train steps (bench/vs_torch.py's `dcgan`, `wgan_gp`, `pix2pix`, `cyclegan`; its
   docstring and bench/torch_reference.py say what each step does): gan_jax, PyTorch
   eager and torch.compile on CUDA (on the CPU where jax has no GPU), each in its own
   process, built and warmed up concurrently (`--jobs` at a time), then timed in
   alternating rounds (A B A B ...) with the device synchronised at the end of each
   round (jax.block_until_ready, torch.cuda.synchronize). A worker that fails (e.g.
   torch.compile on WGAN-GP's double backward) or is not ready within `--warmup-timeout`
   seconds gives a row with its error; the others go on. Reported: median steps/s
   [min-max] over rounds, real samples/s, gan_jax / PyTorch eager, GFLOP per step (XLA's
   cost analysis of the gan_jax step as lowered, before the backend's rewrites: the
   model's FLOPs, applied to all three rows since they compute the same step), achieved
   TFLOP/s = GFLOP/step x steps/s, MFU = achieved / the chip's peak dense TFLOP/s at the
   precision both sides use (`PEAKS`; "unknown" for a chip not in it, and on the CPU),
   and the peak accelerator memory in use by the process's arrays.
   Precision: float32 everywhere, with matmuls and convolutions on TF32 tensor cores on
   both sides: jax's default matmul precision does that on NVIDIA GPUs since Ampere, and
   the PyTorch workers set torch.backends.cuda.matmul.allow_tf32 and
   torch.backends.cudnn.allow_tf32 to True (and cudnn.benchmark, as XLA autotunes its
   convolutions). The header prints both sides' settings.
2. The vectorised sweep (bench/sweep_speed.py): `--members` runs that differ in seed and
   learning rate as one jax.vmap-ed step, against one member at a time (what that many
   sequential runs do), for the toy WGAN-GP and the Fashion-MNIST DCGAN.
3. pmap (bench/step_speed.py): the Fashion-MNIST DCGAN step (global batch 64) over all
   local devices (the most that divide the batch), and on one device for comparison;
   with one device, gan_jax's step is plain jax.jit, and the row says so. A sweep or
   pmap measurement that fails gives a row with its error; the rest still runs.

Fashion-MNIST comes from its Debian package when installed; otherwise the sweep and the
pmap rows run on a stand-in of random images in the same IDX files (a temporary folder,
GAN_JAX_FASHION_MNIST_DIR), written here: the step's cost does not depend on the pixels,
and nothing is downloaded. XLA_PYTHON_CLIENT_PREALLOCATE defaults to false here, so
that the worker processes share the GPU's memory.

Target: under 5 minutes on one H100 with the defaults (compiles included), not yet
measured on one (no GPU was lent so far); the elapsed time is printed at the end. `--smoke` runs every section at tiny counts (1 warm-up step,
2 steps x 2 rounds, 2 sweep members, torch.compile only for dcgan) to check that the
script runs.
"""
from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import re
import sys
import tempfile
import time

import numpy as np

# Several processes (the workers, then this one) use the GPU in turn: each takes memory
# as it needs it rather than 75% of it at start.
os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "bench"))

import step_speed  # noqa: E402
import sweep_speed  # noqa: E402
import vs_torch  # noqa: E402

STEPS = ("dcgan", "wgan_gp", "pix2pix", "cyclegan")
FRAMEWORKS = ("gan_jax", "torch", "torch-compile")
BF16 = ("gan_jax@bf16", "torch@bf16")  # --bf16: train.precision=bf16 / torch.autocast
PMAP_SPEC = "experiments/dcgan.py"
# Peak dense TFLOP/s (no sparsity) from NVIDIA's data sheets: fp32 on CUDA cores, tf32
# and bf16 on tensor cores. The first pattern that matches jax's device_kind wins; H100
# NVL and H200 NVL (lower clocks) are left out, so they read "unknown".
PEAKS = (
    (r"H100.*PCIe", "H100 PCIe", {"fp32": 51.0, "tf32": 378.0, "bf16": 756.0}),
    (r"NVL", None, None),
    (r"H100|H200", "H100 SXM (H200: the same compute)",
     {"fp32": 67.0, "tf32": 494.7, "bf16": 989.4}),
    (r"A100", "A100", {"fp32": 19.5, "tf32": 156.0, "bf16": 312.0}),
)


def chip_peak(kind: str) -> tuple[str | None, dict | None]:
  """(table entry, {precision: peak TFLOP/s}) for jax's device_kind, or (None, None)."""
  for pattern, name, peaks in PEAKS:
    if re.search(pattern, kind):
      return name, peaks
  return None, None


def jax_precision() -> tuple[str, str]:
  """(jax's default matmul precision setting, the precision float32 matmuls run at:
  'fp32' on the CPU; on a GPU 'tf32' for the default, 'fp32' when set to
  float32/highest, else '?')."""
  import jax
  setting = jax.config.jax_default_matmul_precision
  if jax.default_backend() == "cpu":
    return str(setting), "fp32"
  if setting in (None, "default", "tensorfloat32"):
    return str(setting), "tf32"
  return str(setting), "fp32" if setting in ("float32", "highest") else "?"


def fashion_mnist_source(directory: str, n: int = 2048) -> str:
  """Where the Fashion-MNIST experiments read their images: 'installed' (the Debian
  package, or GAN_JAX_FASHION_MNIST_DIR), else a stand-in of `n` random uint8 28x28
  images and labels per split written to `directory` as IDX files, which
  GAN_JAX_FASHION_MNIST_DIR then names."""
  from gan_jax.data import datasets, idx
  if datasets.offline_arrays("fashion_mnist", "train") is not None:
    return "installed"
  rng = np.random.default_rng(0)
  for images, labels in idx.FILES.values():
    for stem, array in ((images, rng.integers(0, 256, (n, 28, 28), np.uint8)),
                        (labels, rng.integers(0, 10, (n,), np.uint8))):
      with open(os.path.join(directory, stem), "wb") as f:  # magic: 0 0 uint8 rank; dims
        f.write(bytes([0, 0, 0x08, array.ndim]) + b"".join(
            d.to_bytes(4, "big") for d in array.shape) + array.tobytes())
  os.environ["GAN_JAX_FASHION_MNIST_DIR"] = directory
  return f"stand-in: {n} random images per split in {directory} (the package is not installed)"


def error_line(message: str) -> str:
  """The last line of a worker's error that names an exception, for a table cell."""
  lines = [l.strip() for l in message.splitlines() if l.strip()]
  named = [l for l in lines if re.match(r"^[\w.]+(Error|Exception|Exit)\b", l)]
  return ((named or lines or ["?"])[-1])[:160].replace("|", "/")


def start_workers(keys, device: str, jobs: int, timeout_s: float) -> dict:
  """{(framework, step): Child or the error string} for `keys`, built `jobs` at a time,
  the slowest to build (torch.compile, then gan_jax) first."""
  order = sorted(keys, key=lambda k: ("torch-compile", "gan_jax", "torch").index(
      k[0].split("@")[0]))

  def start(key):
    try:
      return vs_torch.Child(f"{key[0]}:{key[1]}", device=device, timeout_s=timeout_s)
    except RuntimeError as e:
      return str(e)
  with concurrent.futures.ThreadPoolExecutor(max(1, jobs)) as pool:
    return dict(zip(order, pool.map(start, order)))


def step_rows(names, args, device: str) -> list[dict]:
  """vs_torch's rows for each step in `names`: its workers (all built first) timed in
  alternating rounds; a worker that failed gives {"step", "framework", "error"}."""
  compiled = lambda name: args.compile_only is None or name in args.compile_only
  keys = [(f, n) for n in names for f in FRAMEWORKS + (BF16 if args.bf16 else ())
          if f != "torch-compile" or compiled(n)]
  t0 = time.perf_counter()
  workers = start_workers(keys, device, args.jobs, args.warmup_timeout)
  print(f"{len(keys)} workers built and warmed up in {time.perf_counter() - t0:.0f} s "
        f"({args.jobs} at a time).", flush=True)
  rows = []
  for name in names:
    mine = {f: w for (f, n), w in workers.items() if n == name}
    ready = [w for w in mine.values() if not isinstance(w, str)]
    rows += vs_torch.time_rounds(name, ready, args.steps, args.rounds)
    rows += [{"step": name, "framework": f.split("@")[0], "precision": f.partition("@")[2]
              or "fp32", "error": w} for f, w in mine.items() if isinstance(w, str)]
    if not compiled(name):
      rows.append({"step": name, "framework": "torch-compile",
                   "note": "not run (--smoke compiles dcgan only)"})
  return rows


def print_steps(rows, peak_name, peaks, precision):
  peak = peaks[precision] * 1e12 if peaks and precision in peaks else None
  what = (f"{peak / 1e12:g} TFLOP/s, {precision} dense, {peak_name}" if peak
          else "unknown (no peak for this device in bench/accelerator.py's PEAKS)")
  print(f"\n## Train steps\n\nMFU against: {what} (bf16 rows: the bf16 peak). GFLOP/step: XLA's count of the gan_jax "
        "step as lowered (the same step for all three rows). Memory: peak bytes in use by "
        "the process's arrays on the device.\n")
  print("| step | framework | precision | steps/s [min-max] | samples/s | vs torch eager "
        "(same precision) | GFLOP/step | TFLOP/s | MFU | device memory (MiB) | ready (s) |")
  print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
  order = {f: i for i, f in enumerate(FRAMEWORKS)}
  for r in sorted(rows, key=lambda r: (STEPS.index(r["step"]), r.get("precision") == "bf16",
                                       order[r["framework"]])):
    r.setdefault("precision", "fp32")
    if "steps_per_s" not in r:
      text = f"error: {error_line(r['error'])}" if "error" in r else r["note"]
      print(f"| {r['step']} | {r['framework']} | {r['precision']} | {text} | | | | | | | |")
      continue
    same = [e for e in rows if e["step"] == r["step"] and "steps_per_s" in e]
    eager = next((e for e in same if e["framework"] == "torch"
                  and e.get("precision", "fp32") == r["precision"]), None)
    row_peak = peaks["bf16"] * 1e12 if peaks and r["precision"] == "bf16" else peak
    flops = next((e.get("model_flops_per_step") or e.get("flops_per_step") for e in same
                  if e["framework"] == "gan_jax"), None)
    rate = flops * r["steps_per_s"] if flops else None
    r.update(gflop_per_step=flops and flops / 1e9, tflop_per_s=rate and rate / 1e12,
             mfu=rate / row_peak if rate and row_peak else None)
    cells = [f"{r['steps_per_s']:.1f} [{r['min']:.1f}-{r['max']:.1f}]",
             f"{r['samples_per_s']:.0f} {r['what']}",
             f"{r['steps_per_s'] / eager['steps_per_s']:.2f}x" if eager else "n/a",
             f"{flops / 1e9:.2f}" if flops else "?",
             f"{rate / 1e12:.3g}" if rate else "?",
             f"{100 * r['mfu']:.2g}%" if r["mfu"] is not None else "unknown",
             f"{r['device_peak_mb']:.0f}" if r.get("device_peak_mb") else "n/a (CPU)",
             f"{r['warmup_s']:.0f}"]
    print(f"| {r['step']} | {r['framework']} | {r['precision']} | " + " | ".join(cells) + " |")


def sweep_rows(members: int, steps: int, fashion: str) -> list[dict]:
  print(f"\n## Vectorised sweep: {members} members as one vmap-ed step vs one at a time\n\n"
        f"Fashion-MNIST: {fashion}.\n")
  print("| step | sequential (member-steps/s) | vectorised (member-steps/s) | speed-up |")
  print("| --- | --- | --- | --- |", flush=True)
  rows = []
  for name, spec in sweep_speed.CASES.items():
    t0 = time.perf_counter()
    try:
      single, vec = sweep_speed.measure(spec, members, steps)
    except Exception as e:  # e.g. out of memory: the other sections still run
      rows.append({"case": name, "spec": spec, "error": f"{type(e).__name__}: {e}"})
      print(f"| {name} | error: {error_line(rows[-1]['error'])} | | |", flush=True)
      continue
    rows.append({"case": name, "spec": spec, "members": members, "sequential": single,
                 "vectorised": vec, "speedup": vec / single,
                 "seconds": time.perf_counter() - t0})
    print(f"| {name} | {single:.1f} | {vec:.1f} | {vec / single:.2f}x |", flush=True)
  return rows


def pmap_rows(steps: int) -> list[dict]:
  import jax
  from gan_jax import experiment
  n = jax.local_device_count()
  batch = experiment.load_config(os.path.join(ROOT, PMAP_SPEC)).data.batch_size
  use = max(k for k in range(1, n + 1) if batch % k == 0)  # each takes batch / k
  print(f"\n## Data parallelism: {PMAP_SPEC} (global batch {batch}) over {use} of {n} "
        "local device(s)\n")
  print("| devices | step | steps/s | samples/s | compile (s) |\n| --- | --- | --- | --- | --- |",
        flush=True)
  rows = []
  for k in sorted({1, use}):
    kind = "jax.jit (one device)" if k == 1 else f"jax.pmap over {k}"
    try:
      r = step_speed.measure(PMAP_SPEC, k, steps)
    except Exception as e:  # the JSON and the other rows still come out
      rows.append({"devices": k, "kind": kind, "error": f"{type(e).__name__}: {e}"})
      print(f"| {k} | {kind} | error: {error_line(rows[-1]['error'])} | | |", flush=True)
      continue
    r["kind"] = kind
    rows.append(r)
    print(f"| {k} | {r['kind']} | {r['steps_per_sec']:.1f} | "
          f"{r['steps_per_sec'] * r['batch'] * r['n_critic']:.0f} | {r['compile_s']:.1f} |",
          flush=True)
  if n == 1:
    print("\nOne local device: pmap over all devices is the one-device step (jax.jit).")
  return rows


def main():
  p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  p.add_argument("--out", default="", help="also write the results as JSON here")
  p.add_argument("--smoke", action="store_true", help="tiny counts: check that it runs")
  p.add_argument("--steps", type=int, default=50, help="steps per round")
  p.add_argument("--rounds", type=int, default=5)
  p.add_argument("--only", default=",".join(STEPS))
  p.add_argument("--bf16", action=argparse.BooleanOptionalAction, default=True,
                 help="also time bf16 compute: train.precision=bf16 against torch.autocast")
  p.add_argument("--members", type=int, default=8, help="runs in the vectorised sweep")
  p.add_argument("--sweep-steps", type=int, default=50)
  p.add_argument("--pmap-steps", type=int, default=200)
  p.add_argument("--jobs", type=int, default=max(1, (os.cpu_count() or 2) // 2),
                 help="workers built at once")
  p.add_argument("--warmup-timeout", type=float, default=240.0,
                 help="seconds a worker may take to build and warm up")
  args = p.parse_args()
  args.compile_only = None
  if args.smoke:
    args.steps, args.rounds, args.members = 2, 2, 2
    args.sweep_steps, args.pmap_steps, args.compile_only = 4, 4, ("dcgan",)
    os.environ["BENCH_WARMUP"] = "1"  # warm-up steps of each worker
  start = time.perf_counter()
  import jax
  try:
    import torch
  except ImportError:
    sys.exit("bench/accelerator.py needs PyTorch: pip install -e '.[bench]' (a CUDA build "
             "of torch for the GPU comparison)")
  names = [n for n in args.only.split(",") if n]
  unknown = sorted(set(names) - set(STEPS))
  if unknown:
    sys.exit(f"--only: unknown step(s) {unknown}; choose from {', '.join(STEPS)}")
  kind, backend = jax.devices()[0].device_kind, jax.default_backend()
  device = "cuda" if backend == "gpu" else "cpu"
  setting, precision = jax_precision()
  peak_name, peaks = chip_peak(kind) if backend == "gpu" else (None, None)
  print(f"# Accelerator benchmark\n\njax {jax.__version__} ({backend}): "
        f"{jax.local_device_count()} x {kind}; torch {torch.__version__} on {device} "
        f"(CUDA {torch.version.cuda}). Precision: jax_default_matmul_precision={setting} "
        f"(float32 matmuls and convolutions at {precision} on this backend); PyTorch workers "
        + ("set torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = "
           "True and cudnn.benchmark = True." if device == "cuda" else "run on the CPU in "
           "float32.")
        + f" Peak: {peak_name or 'unknown'}{' ' + str(peaks) + ' TFLOP/s' if peaks else ''}. "
        f"{args.rounds} alternating rounds of {args.steps} steps; median [min-max].\n",
        flush=True)
  rows = step_rows(names, args, device)
  print_steps(rows, peak_name, peaks, precision)
  seen = next((r for r in rows if r["framework"] == "torch" and "steps_per_s" in r), {})
  if device == "cuda" and seen:
    print("\nPyTorch settings read back in the worker: " + ", ".join(
        f"{k}={seen.get(k)}" for k in ("device", "cuda", "cudnn", "matmul_allow_tf32",
                                       "cudnn_allow_tf32", "cudnn_benchmark",
                                       "float32_matmul_precision")))
  with tempfile.TemporaryDirectory(prefix="gan_jax_fashion_") as data_dir:
    fashion = fashion_mnist_source(data_dir)
    sweep = sweep_rows(args.members, args.sweep_steps, fashion)
    pmap = pmap_rows(args.pmap_steps)
  elapsed = time.perf_counter() - start
  print(f"\nElapsed: {elapsed:.0f} s (target: 300 s on one H100 with the defaults).")
  if args.out:
    result = {"device_kind": kind, "backend": backend, "local_devices": jax.local_device_count(),
              "jax": jax.__version__, "torch": torch.__version__, "torch_cuda": torch.version.cuda,
              "torch_device": device, "jax_default_matmul_precision": setting,
              "precision": precision, "peak_entry": peak_name, "peak_tflops": peaks,
              "fashion_mnist": fashion, "steps": args.steps, "rounds": args.rounds,
              "smoke": args.smoke, "train_steps": rows, "sweep": sweep, "pmap": pmap,
              "elapsed_s": elapsed}
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
      json.dump(result, f, indent=1, default=str)
    print(f"Wrote {args.out}")


if __name__ == "__main__":
  main()
