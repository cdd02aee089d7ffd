"""gan_jax vs PyTorch (eager, and torch.compile) on nine train steps, on this CPU.

  python bench/vs_torch.py [--steps 20] [--rounds 5]
                           [--only dcgan,mlp,wgan_gp,pix2pix,segan,cyclegan,video,
                                   text_seqgan,text_gumbel] [--compile] [--threads N] [--bf16]
  python bench/vs_torch.py --check   # CycleGAN: the same numbers in both frameworks

Steps (bench/torch_reference.py has the PyTorch side): `dcgan` the 28x28 Fashion-MNIST
DCGAN (batch 64, non-saturating, Adam 2e-4), `mlp` the toy 2-D MLP GAN (batch 256),
`wgan_gp` the WGAN-GP DCGAN step (5 critic updates with the gradient penalty),
`pix2pix` the default experiments/pix2pix.py step (32x32 edges -> images, U-Net + 70x70
PatchGAN of width 16, batch 32, L1 + cGAN), `segan` the default experiments/segan.py
step (16,384-sample windows, 11-layer 1-D encoder-decoder of width 2 with skips and z,
pair D, batch 16, least squares + 100 x L1), `cyclegan` the default
experiments/cyclegan.py step (32x32, two ResNet generators of width 16 with 6 blocks,
two 70x70 PatchGANs, batch 8 per domain, least squares + cycles + identity, pools of 50).
`video` the default experiments/video.py GAN step (4 -> 4 frames of 32x32, conv U-Net G
of width 32 with z, conv D on (past, future), layer norm, batch 32, non-saturating + 10 x
MSE of the first future frame). `text_seqgan` and `text_gumbel` the adversarial step of
the default experiments/text_gan.py on the oracle (method=seqgan / gumbel, pretrain=0:
every timed step is adversarial; LSTM G with embedding 32 and hidden 32, vocabulary
1,000, sequences of 20, batch 64; CNN D with windows 2-5 of 32 filters and a highway
layer; D Adam 1e-3, G Adam at the adversarial 1e-3): one D update on G's sampled
tokens (seqgan) or straight-through Gumbel-softmax one-hots (gumbel), then G's REINFORCE
loss with Q from 4 Monte Carlo rollouts per prefix scored by sigmoid(D), all 19 x 4 x 64
prefixes x rollouts sampled in one batch (seqgan), or the non-saturating loss through
D of a fresh Gumbel sample (gumbel). The real batch is random ids 1..999 of the
oracle's shape (the step's cost does not depend on their values); both sides' parameter
counts (G 73,320, D 125,953) are compared before timing. A round of `mlp` or
`text_gumbel` is 10 x --steps steps (their steps are short).

`--check` loads gan_jax's initial CycleGAN weights into the PyTorch networks and compares
G_ab(a), D_b(b), G's loss (and each term) and its gradient w.r.t. G_ab's first and last
kernels on one batch: the two steps compute the same function.

Each framework x step runs in its own child process, compiled and warmed up first;
the parent then alternates them, A B A B ..., `--rounds` times `--steps` steps, so
that drift in the machine's load falls on both. Reported: median steps/s and the
spread (min-max) over rounds, real samples/s (steps/s x batch x n_critic), the
child's peak resident memory (getrusage maxrss: framework runtime included), the
ratio gan_jax / PyTorch eager, and the FLOP/s the gan_jax step achieves: FLOPs per
step from XLA's cost analysis of the compiled step, times steps/s, against (a) the
CPU's peak estimated from lscpu (cores x clock x FP32 FLOPs/cycle, see `cpu_peak`) and
(b) the rate of a large float32 matrix product measured here (a practical peak).
`--bf16` adds bfloat16 rows: gan_jax with `train.precision=bf16` against the PyTorch
step under `torch.autocast("cpu", torch.bfloat16)` (float32 weights on both sides).
`--threads N` holds each framework to N cores (the worker's CPU affinity, as XLA's CPU
runtime runs independent ops on every core it may use whatever its thread flags say,
plus PyTorch's intra-op threads): a per-core comparison that suffers less when other
processes load the machine.
bench/accelerator.py runs the same workers on a GPU (PyTorch on CUDA: `Child(device=)`).
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import resource
import select
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "bench"))

STEPS = {  # name: (batch, real batches per step, what a sample is)
    "dcgan": (64, 1, "images"),
    "mlp": (256, 1, "points"),
    "wgan_gp": (64, 5, "images"),
    "pix2pix": (32, 1, "image pairs"),
    "segan": (16, 1, "windows"),
    "cyclegan": (8, 1, "images per domain"),
    "video": (32, 1, "sequences"),
    "text_seqgan": (64, 1, "sequences"),
    "text_gumbel": (64, 1, "sequences"),
}
MIN_STEPS = {"dcgan": 20, "mlp": 200, "wgan_gp": 5, "pix2pix": 10, "segan": 3,
             "cyclegan": 5, "video": 10, "text_seqgan": 3,
             "text_gumbel": 50}  # below this a round is too short
SCALE = {"mlp": 10, "text_gumbel": 10}  # steps per round: --steps x this (short steps)


# ---------------------------------------------------------------- gan_jax side

def jax_config(name: str):
  from gan_jax import config as config_lib, experiment
  if name in ("pix2pix", "cyclegan"):  # the experiments' defaults (pix2pix: U-Net +
    # 70x70 PatchGAN, width 16)
    return experiment.load_config(os.path.join(ROOT, "experiments", f"{name}.py")), (32, 32, 1)
  if name == "segan":  # the experiment's default: width 2, 11 layers, 16,384 samples
    return experiment.load_config(os.path.join(ROOT, "experiments", "segan.py")), (16384,)
  if name == "video":  # the experiment's default GAN: 4 -> 4 frames of 32x32, width 32
    return experiment.load_config(os.path.join(ROOT, "experiments", "video.py")), (4, 32, 32, 1)
  if name.startswith("text_"):  # the default on the oracle, the adversarial phase from
    # step 0 (pretrain=0: G's Adam at adv_lr 1e-3 from the first update), sequences of 20
    method = name.split("_", 1)[1]
    return experiment.load_config(os.path.join(ROOT, "experiments", "text_gan.py")
                                  + f":method={method},pretrain=0"), (20,)
  c = config_lib.base()
  c.loss.name = "nonsaturating"
  c.data.batch_size = STEPS[name][0]
  if name == "mlp":  # base(): MLP 3 x 512, z 2, Adam 1e-4 (0.5, 0.999)
    return c, (2,)
  c.model.name, c.model.width, c.model.z_dim = "dcgan", 64, 100
  for net in ("g", "d"):
    c.optim[net] = config_lib.optimizer("adam", lr=2e-4, b1=0.5, b2=0.999)
  if name == "wgan_gp":
    c.loss.name, c.train.n_critic, c.model.d_norm = "wasserstein", 5, "layer"
    c.regularizers.gradient_penalty = config_lib.regularizer(weight=10.0)
    for net in ("g", "d"):
      c.optim[net] = config_lib.optimizer("adam", lr=1e-4, b1=0.5, b2=0.9)
  return c, (28, 28, 1)


def jax_worker(name: str, precision: str = "fp32", compiled: list | None = None):
  """(run(n) -> seconds, info): the real gan_jax train step on a fixed random batch,
  computing in `precision` (train.precision); the compiled executable is appended to
  `compiled` where given (bench/profile_step.py reads its HLO)."""
  import jax
  import numpy as np
  from gan_jax import methods, train_step as step_lib
  c, shape = jax_config(name)
  c.train.precision = precision
  batch, n_critic, _ = STEPS[name]
  method = methods.get(c.method).build(c, shape)
  rng = np.random.default_rng(0)
  x = rng.uniform(-1, 1, (n_critic, batch, *shape)).astype(np.float32)
  host = {"x": x}
  if name == "pix2pix":  # (edges, image) pairs
    host = {"a": np.where(rng.random(x.shape) > 0.8, 1.0, -1.0).astype(np.float32), "b": x}
  if name == "segan":  # (noisy, clean) windows
    host = {"noisy": x / 2, "clean": rng.uniform(-0.5, 0.5, x.shape).astype(np.float32)}
  if name == "video":  # (past, future) frames
    host = {"past": rng.uniform(-1, 1, x.shape).astype(np.float32), "future": x}
  if name == "cyclegan":  # glyph-like images of both domains
    host = {k: np.where(rng.random(x.shape) > 0.8, 1.0, -1.0).astype(np.float32) for k in "ab"}
  if name.startswith("text_"):  # token ids of the oracle (1..999; 0 is padding)
    host = {"tokens": rng.integers(1, int(c.model.vocab_size), x.shape).astype(np.int32)}
  data = jax.device_put(host)
  holder = [step_lib.init_state(c, method, jax.random.PRNGKey(0),
                                {k: v[0] for k, v in host.items()})]
  step = jax.jit(step_lib.keyed(step_lib.make_train_step(c, method)), donate_argnums=0)
  lowered = step.lower(holder[0], data)
  executable = lowered.compile()
  if compiled is not None:
    compiled.append(executable)
  first = lambda cost: (cost[0] if isinstance(cost, list) else cost) or {}
  cost = first(executable.cost_analysis())
  try:
    model_cost = first(lowered.cost_analysis())
  except Exception:  # a backend without cost analysis of unoptimised HLO
    model_cost = {}

  info = {}
  if name.startswith("text_"):  # compared with PyTorch's in `measure`
    size = lambda tree: int(sum(np.size(v) for v in jax.tree.leaves(tree)))
    info["param_counts"] = {"g": size(holder[0].g["params"]), "d": size(holder[0].d["params"])}
    assert int(holder[0].g["progress"]["step"]) >= c.train.pretrain_steps  # adversarial

  def run(n):
    state = holder[0]
    t0 = time.perf_counter()
    for _ in range(n):
      state, metrics = step(state, data)
    jax.block_until_ready(metrics)
    holder[0] = state
    return time.perf_counter() - t0
  # flops_per_step: XLA's count on the compiled (optimised) step; model_flops_per_step:
  # on the step as lowered, before the backend's rewrites (the same on every backend).
  return run, {"flops_per_step": float(cost.get("flops", 0.0)),
               "model_flops_per_step": float(model_cost.get("flops", 0.0)),
               "version": jax.__version__, "device": jax.devices()[0].device_kind, **info}


def matmul_rate() -> float:
  """FLOP/s of a 2048 x 2048 float32 matrix product under jax (best of 5)."""
  import jax
  a = jax.random.normal(jax.random.PRNGKey(0), (2048, 2048))
  f = jax.jit(lambda a: a @ a)
  f(a).block_until_ready()
  best = float("inf")
  for _ in range(5):
    t0 = time.perf_counter()
    f(a).block_until_ready()
    best = min(best, time.perf_counter() - t0)
  return 2 * 2048 ** 3 / best


# ---------------------------------------------------------------- PyTorch side

def torch_worker(name: str, compile: bool, precision: str = "fp32"):
  """(run(n) -> seconds, info) on BENCH_DEVICE (cpu, or cuda for bench/accelerator.py:
  there TF32 matmuls and convolutions, as XLA's default precision on GPUs, and cuDNN's
  autotuner, as XLA's autotuned convolutions). bf16: the whole step under
  torch.autocast(device, torch.bfloat16) (PyTorch's mixed precision: bfloat16
  convolutions and matmuls, float32 weights and optimizer)."""
  import contextlib
  import torch
  import torch_reference
  if int(os.environ.get("BENCH_THREADS", "0")):
    torch.set_num_threads(int(os.environ["BENCH_THREADS"]))
  device = os.environ.get("BENCH_DEVICE", "cpu")
  info = {"version": torch.__version__, "threads": torch.get_num_threads(), "device": device}
  sync = lambda: None
  if device.startswith("cuda"):
    if not torch.cuda.is_available():
      raise RuntimeError(f"torch {torch.__version__} sees no CUDA device (torch.version.cuda="
                         f"{torch.version.cuda}); install a CUDA build of torch to compare.")
    torch.backends.cuda.matmul.allow_tf32 = True
    torch.backends.cudnn.allow_tf32 = True
    torch.backends.cudnn.benchmark = True
    sync = torch.cuda.synchronize
    info.update(device=torch.cuda.get_device_name(), cuda=torch.version.cuda,
                cudnn=torch.backends.cudnn.version(),
                matmul_allow_tf32=torch.backends.cuda.matmul.allow_tf32,
                cudnn_allow_tf32=torch.backends.cudnn.allow_tf32,
                cudnn_benchmark=torch.backends.cudnn.benchmark,
                float32_matmul_precision=torch.get_float32_matmul_precision())
  step = torch_reference.STEPS[name](compile=compile, device=device)
  if hasattr(step, "param_counts"):  # the text steps: compared with gan_jax's in `measure`
    info["param_counts"] = step.param_counts
  autocast = contextlib.nullcontext
  if precision == "bf16":
    autocast = lambda: torch.autocast(device.split(":")[0], dtype=torch.bfloat16)

  def run(n):
    sync()
    t0 = time.perf_counter()
    for _ in range(n):
      with autocast():
        step()
    sync()
    return time.perf_counter() - t0
  return run, info


def device_peak_mb(framework: str) -> float | None:
  """Peak accelerator memory in use by this process's arrays (MiB): jax's allocator
  statistics, torch.cuda.max_memory_allocated; None on the CPU."""
  if framework == "gan_jax":
    import jax
    stats = jax.devices()[0].memory_stats() if jax.default_backend() != "cpu" else None
    return stats["peak_bytes_in_use"] / 2 ** 20 if stats else None
  import torch
  if os.environ.get("BENCH_DEVICE", "cpu").startswith("cuda"):
    return torch.cuda.max_memory_allocated() / 2 ** 20
  return None


def worker(spec: str):
  """Child process: build, warm up, then answer 'run N' / 'quit' lines with JSON."""
  threads = int(os.environ.get("BENCH_THREADS", "0"))
  if threads:  # XLA's CPU runtime runs independent ops on all the cores it may use,
    # whatever its intra-op flags say: only the process's CPU affinity holds it to `threads`
    os.sched_setaffinity(0, set(sorted(os.sched_getaffinity(0))[:threads]))
  framework, name = spec.split(":")
  framework, _, precision = framework.partition("@")
  precision = precision or "fp32"
  t0 = time.perf_counter()
  if framework == "gan_jax":
    run, info = jax_worker(name, precision)
  else:
    run, info = torch_worker(name, framework == "torch-compile", precision)
  # compile + warm-up (BENCH_WARMUP: bench/accelerator.py --smoke takes 1)
  run(int(os.environ.get("BENCH_WARMUP", 0))
      or (2 if name in ("wgan_gp", "segan", "text_seqgan") else 5))
  info["warmup_s"] = time.perf_counter() - t0
  if framework == "gan_jax" and name == "dcgan" and precision == "fp32":
    info["matmul_flops"] = matmul_rate()
  print(json.dumps({"ready": info}), flush=True)
  for line in sys.stdin:
    cmd = line.split()
    if cmd[0] == "run":
      print(json.dumps({"seconds": run(int(cmd[1]))}), flush=True)
    else:
      rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
      print(json.dumps({"maxrss_mb": rss, "device_peak_mb": device_peak_mb(framework)}),
            flush=True)
      return


class Child:
  """A worker process for `spec` ("framework:step"), built and warmed up on return;
  `device` is the PyTorch device (BENCH_DEVICE). A worker that dies, or is not ready
  within `timeout_s` (then killed), raises a RuntimeError with its stderr's tail."""

  def __init__(self, spec: str, threads: int = 0, device: str = "cpu",
               timeout_s: float | None = None):
    self.spec, self.log = spec, tempfile.TemporaryFile("w+")
    env = dict(os.environ, BENCH_THREADS=str(threads), BENCH_DEVICE=device)
    if threads:
      env["XLA_FLAGS"] = (env.get("XLA_FLAGS", "") + " --xla_cpu_multi_thread_eigen=false "
                          f"intra_op_parallelism_threads={threads}")
    self.proc = subprocess.Popen([sys.executable, __file__, "--worker", spec], text=True, env=env,
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log)
    self.info, self.seconds = self.read(timeout_s).get("ready"), []
    self.maxrss_mb = self.device_peak_mb = None

  def read(self, timeout_s: float | None = None) -> dict:
    if timeout_s is not None and not select.select([self.proc.stdout], [], [], timeout_s)[0]:
      self.proc.kill()
      self.proc.wait()
      tail = self.tail()
      raise RuntimeError(f"{self.spec} worker gave no answer in {timeout_s:.0f} s (killed)"
                         + (f":\n{tail}" if tail else ""))
    line = self.proc.stdout.readline()
    if not line:
      raise RuntimeError(f"{self.spec} worker died:\n{self.tail()}")
    return json.loads(line)

  def tail(self, lines: int = 15) -> str:
    self.log.seek(0)
    return "".join(self.log.readlines()[-lines:])

  def run(self, n: int):
    self.proc.stdin.write(f"run {n}\n")
    self.proc.stdin.flush()
    self.seconds.append(self.read()["seconds"])

  def close(self):
    self.proc.stdin.write("quit\n")
    self.proc.stdin.flush()
    answer = self.read()
    self.maxrss_mb, self.device_peak_mb = answer["maxrss_mb"], answer.get("device_peak_mb")
    self.proc.wait()


# ---------------------------------------------------------------- the CPU's peak

def cpu_peak() -> tuple[float, str]:
  """(FP32 FLOP/s, how): cores x clock x FLOPs/cycle, from lscpu. FLOPs/cycle = 2 FMA
  pipes x 2 (multiply + add) x SIMD lanes; AVX-512 counts 16 lanes on Intel, but AMD
  Zen 4 (family 25) runs 512-bit FMAs on its two 256-bit pipes, so 8 lanes there."""
  text = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
  field = lambda key: (re.search(rf"^{key}:\s*(.+)$", text, re.M) or [None, ""])[1].strip()
  cores = int(field("Core\\(s\\) per socket") or 1) * int(field("Socket\\(s\\)") or 1)
  mhz = float(field("CPU max MHz") or 0.0)
  clock_from = "lscpu max MHz"
  if not mhz:
    with open("/proc/cpuinfo") as f:
      mhz = float(re.search(r"cpu MHz\s*:\s*([\d.]+)", f.read()).group(1))
    clock_from = "/proc/cpuinfo MHz (nominal; boost may be higher)"
  flags = field("Flags").split()
  amd = field("Vendor ID") == "AuthenticAMD"
  lanes = 16 if "avx512f" in flags and not amd else 8 if "avx2" in flags else 4
  per_cycle = 2 * 2 * lanes
  how = (f"{cores} cores x {mhz / 1000:.2f} GHz ({clock_from}) x {per_cycle} FLOPs/cycle "
         f"(2 FMA pipes x 2 x {lanes} fp32 lanes)")
  return cores * mhz * 1e6 * per_cycle, how


# ---------------------------------------------------------------- same numbers

def _torch_convs(net):
  import torch
  return [m for m in net.modules() if isinstance(m, (torch.nn.Conv2d, torch.nn.ConvTranspose2d))]


def _jax_convs(params):
  """Flax conv params of a ResnetGenerator or a PatchGAN in the order of the layers."""
  num = lambda n: int(n.rsplit("_", 1)[1])
  pick = lambda prefix: sorted((n for n in params if n.startswith(prefix)), key=num)
  convs, ups = pick("Conv_"), pick("ConvTranspose_")
  if not ups:  # PatchGAN
    return [params[n] for n in convs]
  blocks = [params[b][c] for b in pick("ResnetBlock_") for c in ("Conv_0", "Conv_1")]
  return [params[n] for n in convs[:-1]] + blocks + [params[n] for n in ups] + [
      params[convs[-1]]]


def load_into_torch(net, params):
  """Copies flax conv kernels (HWIO; transposed convs flipped, as gan_jax's
  ConvTranspose with PyTorch's padding) and biases into a PyTorch network."""
  import numpy as np
  import torch
  with torch.no_grad():
    for m, p in zip(_torch_convs(net), _jax_convs(params), strict=True):
      k = np.asarray(p["kernel"])
      if isinstance(m, torch.nn.ConvTranspose2d):
        w = k[::-1, ::-1].transpose(2, 3, 0, 1)
      else:
        w = k.transpose(3, 2, 0, 1)
      m.weight.copy_(torch.from_numpy(np.ascontiguousarray(w)))
      m.bias.copy_(torch.from_numpy(np.array(p["bias"])))


def _torch_cyclegan(state, batch, dtype):
  """PyTorch's G_ab(a), D_b(b), G's loss terms and loss, and the gradients of that loss
  w.r.t. G_ab's first and last kernels (as HWIO), on gan_jax's weights, in `dtype`."""
  import torch
  import torch_reference as ref
  nets = {d: ref.resnet_generator() for d in ("ab", "ba")}
  nets.update({d: ref.patchgan_instance() for d in "ab"})
  for name, net in nets.items():
    load_into_torch(net, (state.g if len(name) == 2 else state.d)["params"][name])
    net.to(dtype)
  t = {k: torch.from_numpy(v.transpose(0, 3, 1, 2)).to(dtype) for k, v in batch.items()}
  mse = lambda x, y: ((x - y) ** 2).mean()
  ab, ba = nets["ab"](t["a"]), nets["ba"](t["b"])
  terms = {"adversarial": mse(nets["b"](ab), 1.0) + mse(nets["a"](ba), 1.0),
           "cycle_a": (nets["ba"](ab) - t["a"]).abs().mean(),
           "cycle_b": (nets["ab"](ba) - t["b"]).abs().mean(),
           "identity": (nets["ab"](t["b"]) - t["b"]).abs().mean()
           + (nets["ba"](t["a"]) - t["a"]).abs().mean()}
  loss = terms["adversarial"] + 10 * (terms["cycle_a"] + terms["cycle_b"]) + 5 * terms["identity"]
  loss.backward()
  convs = _torch_convs(nets["ab"])
  grad = lambda m: m.weight.grad.double().numpy().transpose(2, 3, 1, 0)
  return {"ab": ab.detach().double().numpy().transpose(0, 2, 3, 1),
          "d_b": nets["b"](t["b"]).detach().double().numpy()[:, 0],
          "loss": loss.item(), "terms": {k: v.item() for k, v in terms.items()},
          "first": grad(convs[0]), "last": grad(convs[-1])}


def check_cyclegan():
  """gan_jax's CycleGAN functions against PyTorch's on the same weights and batch; the
  gradients also against PyTorch in float64 (both float32 results round differently
  where an L1 term's residual is near 0)."""
  import jax
  import numpy as np
  import torch
  from gan_jax import methods, parallel, train_step as step_lib
  from gan_jax.methods import _unpaired
  config, shape = jax_config("cyclegan")
  method = methods.get(config.method).build(config, shape)
  rng = np.random.default_rng(0)
  batch = {k: np.where(rng.random((8, *shape)) > 0.8, 1.0, -1.0).astype(np.float32)
           for k in "ab"}
  state = step_lib.init_state(config, method, jax.random.PRNGKey(0), batch)
  t32, t64 = (_torch_cyclegan(state, batch, d) for d in (torch.float32, torch.float64))
  loss_fn = lambda p: method.g_loss(p, {}, state.d, batch, jax.random.PRNGKey(1),
                                    state.hparams, parallel.Context())
  (jax_loss, (_, m)), grads = jax.value_and_grad(loss_fn, has_aux=True)(state.g["params"])
  kernels = _jax_convs(grads["ab"])
  g = lambda d, x: method.G.apply(_unpaired.sub(state.g, d), x, train=False)
  rows = [("G_ab(a)", g("ab", batch["a"]), t32["ab"]),
          ("D_b(b)", method.D.apply(_unpaired.sub(state.d, "b"), batch["b"], train=False),
           t32["d_b"]),
          ("G loss", jax_loss, t32["loss"])]
  rows += [(f"  term {k}", m[f"g_{k}"] * (2 if k == "adversarial" else 1), v)
           for k, v in t32["terms"].items()]  # gan_jax's LS G term is 1/2 of PyTorch's MSE
  for which, kernel in (("first", kernels[0]), ("last", kernels[-1])):
    rows.append((f"dL/d {which} kernel of G_ab", kernel["kernel"], t32[which]))
    rows.append(("  vs PyTorch float64: gan_jax", kernel["kernel"], t64[which]))
    rows.append(("  vs PyTorch float64: PyTorch float32", t32[which], t64[which]))
  print("| quantity | value (max abs) | reference (max abs) | max abs diff | max rel diff |")
  print("| --- | --- | --- | --- | --- |")
  for name, x, y in rows:
    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    diff = np.abs(x - y).max()
    print(f"| {name} | {np.abs(x).max():.6g} | {np.abs(y).max():.6g} | {diff:.2e} | "
          f"{diff / max(np.abs(y).max(), 1e-12):.2e} |")


# ---------------------------------------------------------------- main

def measure(name: str, args) -> list[dict]:
  specs = ["gan_jax", "torch"] + (["torch-compile"] if args.compile else [])
  if args.bf16:
    specs += ["gan_jax@bf16", "torch@bf16"]
  children = []
  for spec in specs:
    try:
      children.append(Child(f"{spec}:{name}", args.threads))
    except RuntimeError as e:
      print(f"warning: {e}", file=sys.stderr)
  counts = {c.spec: c.info["param_counts"] for c in children if "param_counts" in c.info}
  if len({json.dumps(v, sort_keys=True) for v in counts.values()}) > 1:
    for c in children:
      c.proc.kill()
    raise SystemExit(f"{name}: the frameworks' parameter counts differ: {counts}")
  if counts:
    print(f"{name}: parameter counts {next(iter(counts.values()))} in "
          f"{', '.join(counts)}", flush=True)
  rows = time_rounds(name, children, args.steps, args.rounds)
  for r in rows:
    if "error" in r:
      print(f"warning: {r['error']}", file=sys.stderr)
  return [r for r in rows if "error" not in r]


def time_rounds(name: str, children: list[Child], steps: int, rounds: int) -> list[dict]:
  """`rounds` rounds of `steps` steps, the children taking turns (A B A B ...); then
  closes them. One row per child: median steps/s over rounds, min, max, ...; a child
  that dies on the way gives {"step", "framework", "error"} and leaves the rotation."""
  rows = []
  for _ in range(rounds):
    for child in list(children):
      try:
        child.run(steps)
      except RuntimeError as e:
        children.remove(child)
        framework = child.spec.split(":")[0]
        rows.append({"step": name, "framework": framework.split("@")[0],
                     "precision": framework.partition("@")[2] or "fp32", "error": str(e)})
  batch, n_critic, what = STEPS[name]
  for child in children:
    child.close()
    rates = [steps / s for s in child.seconds]
    framework = child.spec.split(":")[0]
    rows.append({"step": name, "framework": framework.split("@")[0],
                 "precision": framework.partition("@")[2] or "fp32",
                 "steps_per_s": statistics.median(rates), "min": min(rates), "max": max(rates),
                 "samples_per_s": statistics.median(rates) * batch * n_critic, "what": what,
                 "maxrss_mb": child.maxrss_mb, "device_peak_mb": child.device_peak_mb,
                 **child.info})
  return rows


def main():
  p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  p.add_argument("--steps", type=int, default=20, help="steps per round (mlp, text_gumbel: x10)")
  p.add_argument("--rounds", type=int, default=5)
  p.add_argument("--only", default="dcgan,mlp,wgan_gp,pix2pix,segan,cyclegan,video,"
                 "text_seqgan,text_gumbel")
  p.add_argument("--check", action="store_true",
                 help="compare the CycleGAN step's numbers with PyTorch's and exit")
  p.add_argument("--compile", action="store_true", help="also time torch.compile")
  p.add_argument("--threads", type=int, default=0, help="intra-op threads (0: defaults)")
  p.add_argument("--bf16", action="store_true",
                 help="also time bf16 compute: train.precision=bf16 against torch.autocast")
  p.add_argument("--worker", help=argparse.SUPPRESS)
  args = p.parse_args()
  if args.worker:
    return worker(args.worker)
  if importlib.util.find_spec("torch") is None:
    sys.exit("bench/vs_torch.py needs PyTorch: pip install -e '.[bench]'")
  if args.check:
    return check_cyclegan()
  peak, how = cpu_peak()
  load0 = os.getloadavg()[0]
  rows = []
  for name in args.only.split(","):
    steps = args.steps * SCALE.get(name, 1)
    if steps < MIN_STEPS[name] or args.rounds < 3:
      print(f"warning: {steps} steps x {args.rounds} rounds of {name} are too few to be "
            f"meaningful; use >= {MIN_STEPS[name]} steps and >= 3 rounds.")
    rows += measure(name, argparse.Namespace(**{**vars(args), "steps": steps}))
  print(f"\nCPU: {os.cpu_count()} cores; peak {peak / 1e9:.0f} GFLOP/s = {how}. "
        f"Load average {load0:.1f} -> {os.getloadavg()[0]:.1f} (other processes share the "
        f"cores). {args.rounds} alternating rounds; median [min-max]. Threads per framework: "
        f"{args.threads or 'default'}.\n")
  print("| step | framework | precision | steps/s | samples/s | peak RSS (MB) | vs torch eager "
        "fp32 | vs torch eager, same precision | GFLOP/step | GFLOP/s | % peak | % matmul |")
  print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
  matmul = next((r["matmul_flops"] for r in rows if "matmul_flops" in r), None)
  for r in rows:
    def ratio(precision):
      eager = next((e for e in rows if e["step"] == r["step"] and e["framework"] == "torch"
                    and e["precision"] == precision), None)
      return f"{r['steps_per_s'] / eager['steps_per_s']:.2f}x" if eager else "n/a"
    flops = r.get("flops_per_step")
    cells = ["", "", "", ""]
    if flops:
      rate = flops * r["steps_per_s"]
      cells = [f"{flops / 1e9:.2f}", f"{rate / 1e9:.0f}", f"{100 * rate / peak:.0f}%",
               f"{100 * rate / matmul:.0f}%" if matmul else ""]
    print(f"| {r['step']} | {r['framework']} | {r['precision']} | {r['steps_per_s']:.2f} "
          f"[{r['min']:.2f}-{r['max']:.2f}] | {r['samples_per_s']:.0f} {r['what']} | "
          f"{r['maxrss_mb']:.0f} | {ratio('fp32')} | {ratio(r['precision'])} | "
          + " | ".join(cells) + " |")
  if matmul:
    print(f"\nMeasured float32 matmul (2048^3, jax): {matmul / 1e9:.0f} GFLOP/s.")


if __name__ == "__main__":
  main()
