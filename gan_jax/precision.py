"""`train.precision`: the dtype the networks compute in inside the train step.

- `fp32` (default): everything in float32.
- `bf16`: mixed precision. Inside the train step every trained network runs on bfloat16
  copies of its params and its floating inputs; its outputs come back as float32. The
  master weights, their gradients, the optimizer states, EMA and BatchNorm's running
  statistics stay float32 (the cast is inside the differentiated function, so the
  gradient reaching each float32 parameter is float32); losses, penalties and the
  gradient penalty's norm are computed in float32 on the float32 outputs. No loss
  scaling: bfloat16 has float32's exponent range, so gradients do not underflow the way
  float16's do. Flax's BatchNorm reduces in float32 (its `force_float32_reductions`).
  Sampling, evaluation and `--mode sample` run the float32 weights in float32.

The policy is set while the train step is traced (`compute`), and the methods apply
their networks through `apply`, which is `module.apply` itself outside that context.
Spectrally normalised layers (`layers.maybe_sn`) ask `compute_dtype` for the dtype of
their normalised kernel (their power iteration, a statistic, stays float32). Fixed feature networks (SRGAN's VGG) are not cast.
"""
from __future__ import annotations

import contextlib
import contextvars

import jax
import jax.numpy as jnp

POLICIES = {"fp32": None, "bf16": jnp.bfloat16}
_COMPUTE = contextvars.ContextVar("gan_jax_compute_dtype", default=None)


def check(config) -> None:
  name = config.train.get("precision", "fp32")
  if name not in POLICIES:
    raise ValueError(f"train.precision={name!r} must be one of {', '.join(POLICIES)}; e.g. "
                     "--config.train.precision=bf16 for bfloat16 compute with float32 "
                     "master weights.")


@contextlib.contextmanager
def compute(name: str):
  """Within this context `apply` runs networks in the dtype of policy `name`."""
  token = _COMPUTE.set(POLICIES[name])
  try:
    yield
  finally:
    _COMPUTE.reset(token)


def compute_dtype():
  """The dtype networks compute in where the policy is set (bfloat16), else None."""
  return _COMPUTE.get()


def cast(tree, dtype):
  """`tree` with its floating array leaves cast to `dtype` (other leaves unchanged)."""
  return jax.tree.map(
      lambda a: a.astype(dtype) if hasattr(a, "dtype") and jnp.issubdtype(a.dtype, jnp.floating)
      else a,
      tree)


def apply(module, variables, *args, **kwargs):
  """`module.apply(variables, *args, **kwargs)`; under a bf16 policy on bfloat16 params
  and inputs, with float32 outputs (and float32 mutated collections)."""
  dtype = compute_dtype()
  if dtype is None:
    return module.apply(variables, *args, **kwargs)
  variables = {**variables, "params": cast(variables["params"], dtype)}
  args = cast(args, dtype)
  kwargs = {k: cast(v, dtype) if k not in ("rngs", "mutable", "method") else v
            for k, v in kwargs.items()}
  return cast(module.apply(variables, *args, **kwargs), jnp.float32)
