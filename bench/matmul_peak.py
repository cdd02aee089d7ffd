"""The machine's practical matmul peak in float32 and bfloat16, jax and PyTorch.

  python bench/matmul_peak.py [--n 2048] [--repeats 5]

A 2048^3 matrix product (float32 accumulation for bfloat16 inputs), best of
`--repeats` after a warm-up, in GFLOP/s: the yardstick of docs/benchmarks.md's
"% matmul" and of the BF16 rows (CPUs with AVX512_BF16 or AMX, and GPUs).
"""
import argparse
import time

import jax
import jax.numpy as jnp
import numpy as np


def best_seconds(fn, repeats: int) -> float:
  fn()
  times = []
  for _ in range(repeats):
    start = time.perf_counter()
    fn()
    times.append(time.perf_counter() - start)
  return min(times)


def main(argv=None):
  p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  p.add_argument("--n", type=int, default=2048)
  p.add_argument("--repeats", type=int, default=5)
  args = p.parse_args(argv)
  n, flops = args.n, 2 * args.n ** 3
  rng = np.random.default_rng(0)
  a, b = rng.random((n, n), np.float32), rng.random((n, n), np.float32)
  rows = []
  product = jax.jit(lambda x, y: jnp.matmul(x, y, preferred_element_type=jnp.float32))
  for dtype in (jnp.float32, jnp.bfloat16):
    x, y = jnp.asarray(a, dtype), jnp.asarray(b, dtype)
    t = best_seconds(lambda: product(x, y).block_until_ready(), args.repeats)
    rows.append(("jax " + jax.default_backend(), jnp.dtype(dtype).name, flops / t / 1e9))
  try:
    import torch
  except ImportError:
    print("(PyTorch not installed: `pip install -e '.[bench]'` adds its rows)")
  else:
    for dtype in (torch.float32, torch.bfloat16):
      x, y = torch.from_numpy(a).to(dtype), torch.from_numpy(b).to(dtype)
      t = best_seconds(lambda: x @ y, args.repeats)
      rows.append(("torch cpu", str(dtype).split(".")[1], flops / t / 1e9))
  print(f"| framework | dtype | GFLOP/s ({n}^3, best of {args.repeats}) |\n| --- | --- | --- |")
  for framework, dtype, rate in rows:
    print(f"| {framework} | {dtype} | {rate:.0f} |")


if __name__ == "__main__":
  main()
