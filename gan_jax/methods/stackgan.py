"""StackGAN (Zhang et al., 2017, "StackGAN: Text to Photo-realistic Image Synthesis with
Stacked Generative Adversarial Networks"): text to a 32-px sketch (stage I), then the
sketch and the text to a 64-px image (stage II); networks in networks/stackgan.py.

Each stage is a GAN-CLS (methods/gan_cls.py, whose matching-aware D loss with
mismatched captions is reused as is): with s_r = D(x, t), s_w = D(x, t_hat),
s_f = D(G(.), t) and the loss pair d / g,

  L_D = (d(s_r, s_f) + d(s_r, s_w)) / 2                                   (Eq. 3 and 5)
  L_G = g(s_f) + lambda KL(N(mu(phi_t), Sigma(phi_t)) || N(0, I))         (Eq. 4 and 6)

with the KL of the stage's own conditioning augmentation (Sec. 3.1), lambda =
`stackgan.kl_weight` (default 1), the KL averaged over the Nc dimensions and the batch
as the authors' code computes it (KL_loss in their trainer: torch.mean of the
elementwise KL), i.e. the paper's sum over dimensions divided by Nc. Neither source is
matched exactly: the paper's lambda = 1 multiplies the KL as written (summed over the
Nc = 128 dimensions: Nc times the weight used here), and the authors' code pairs the
mean with TRAIN.COEFF.KL = 2.0 (its config default: twice the weight used here).

Latent: the method draws one normal vector per sample, (z, eps0) for stage I and
(z, eps0, eps) for stage II (eps0, eps: the two conditioning augmentations' noise), so
"the same z" fixes every random input and `conditions` / `--captions` work as for
gan_cls; model.z_dist must be normal.

Training protocol (Sec. 3.4): stage I first (`stackgan.stage=1`, a run of its own);
then stage II (`stackgan.stage=2`) with `stackgan.stage1_workdir` naming the stage I
run. Stage II's method loads that run's newest checkpoint once, when it is built (G's
EMA weights when kept), and its G variables hold them under the collection "stage1":
not "params", so no optimizer or gradient touches them, and the stage II checkpoints
carry them (exact resume, and --mode sample / eval need only the stage II workdir's
checkpoint; the stage I workdir must still exist when the run is built). Stage I runs
in eval mode there (its BatchNorm running statistics), under stop_gradient.

Sampling: as gan_cls (held-out captions or --captions FILE); a stage II run's
samples.npz also holds `x_stage1`, stage I's 32-px image of the same z and caption.
"""
from __future__ import annotations

import json
import os

import jax
import jax.numpy as jnp
import ml_collections

from gan_jax import losses, parallel
from gan_jax.methods import gan, gan_cls
from gan_jax.networks import stackgan as nets

HPARAM_KEYS = ("stackgan.kl_weight",)


def check(config) -> None:
  if config.model.name != "stackgan":
    raise ValueError(f"method stackgan needs model.name='stackgan', got {config.model.name!r}.")
  if "stackgan" not in config:
    raise ValueError("method stackgan needs config.stackgan (stage, stage1_workdir, "
                     "kl_weight, residual_blocks); start from experiments/stackgan.py.")
  if config.data.name not in ("captioned_shapes", "fashion_mnist_captions"):
    raise ValueError(f"method stackgan needs captioned data (data.name=captioned_shapes or "
                     f"fashion_mnist_captions), got {config.data.name!r}.")
  if config.model.z_dist != "normal":
    raise ValueError(f"model.z_dist={config.model.z_dist!r}: stackgan's latent carries the "
                     "conditioning augmentation's N(0, I) noise; set --config.model.z_dist=normal.")
  if config.loss.get("interp", False):
    raise ValueError("loss.interp (GAN-INT) is gan_cls's; stackgan does not use it.")
  if float(config.stackgan.kl_weight) < 0:
    raise ValueError(f"stackgan.kl_weight={config.stackgan.kl_weight} must be >= 0 "
                     "(the default 1, on the KL averaged over dimensions).")
  stage = config.stackgan.stage
  if isinstance(stage, bool) or stage not in nets.STAGE_SIZES:
    raise ValueError(f"stackgan.stage={stage!r} must be 1 (32 px) or 2 (64 px); e.g. "
                     "--config.stackgan.stage=1.")
  blocks = config.stackgan.get("residual_blocks", 2)
  if isinstance(blocks, bool) or not isinstance(blocks, int) or blocks < 0:
    raise ValueError(f"stackgan.residual_blocks={blocks!r} must be an integer >= 0 (stage "
                     "II's residual blocks; the paper's 4); e.g. "
                     "--config.stackgan.residual_blocks=2.")
  if stage == 2 and not config.stackgan.stage1_workdir:
    raise ValueError("stackgan.stage=2 trains on a trained stage I: set "
                     "--config.stackgan.stage1_workdir=DIR (a stage I run's workdir).")
  vocab = len(gan_cls.vocabulary(config.data.name))
  if int(config.model.vocab_size) != vocab:
    raise ValueError(f"model.vocab_size={config.model.vocab_size}, but data.name="
                     f"{config.data.name!r} has {vocab} words; set "
                     f"--config.model.vocab_size={vocab}.")


def load_stage1(workdir: str, config):
  """(stage I config, its G variables (EMA weights when kept), its step) from the newest
  checkpoint of the stage I run in `workdir`, checked against the stage II `config`."""
  from gan_jax import train
  path = os.path.join(workdir, "config.json")
  if not os.path.exists(path):
    raise FileNotFoundError(f"stackgan.stage1_workdir={workdir!r} holds no run (no "
                            f"config.json); train stage I there first (experiments/"
                            f"stackgan.py:stage=1).")
  with open(path) as f:
    stage1 = ml_collections.ConfigDict(json.load(f))
  if stage1.method != "stackgan" or int(stage1.stackgan.stage) != 1:
    raise ValueError(f"{workdir} is not a stackgan stage I run (method {stage1.method!r}).")
  # model.z_dim: stage II draws stage I's z (the head of its latent); a different value
  # here would be ignored, silently
  for key in ("data.name", "model.vocab_size", "model.text_encoder", "model.z_dim"):
    a, b = stage1[key.split(".")[0]][key.split(".")[1]], config[key.split(".")[0]][
        key.split(".")[1]]
    if a != b:
      raise ValueError(f"The stage I run in {workdir} has {key}={a!r}, this stage II run "
                       f"{b!r}; they must agree.")
  run = train.Run(stage1)
  state, _, step = run.restore(workdir)
  return stage1, jax.device_get(run.generator_variables(state)), step


class StackGan(gan_cls.GanCls):
  FAMILY = "text-conditional"

  def __init__(self, config, data_shape, ctx=parallel.Context()):
    check(config)
    gan.check(config)
    self.data_shape = tuple(data_shape)
    # not `stage`: a method with `stage(step)` switches compiled steps (loop.py)
    self.which_stage = int(config.stackgan.stage)
    self.G, self.D = nets.build(config, data_shape, ctx.axis_name)
    self.loss_name = config.loss.name
    self.d_loss_fn, self.g_loss_fn = losses.get(config.loss.name)
    self.z_dist, self.pack, self.minibatch_chunk = "normal", 1, 0
    self.mismatch, self.interp = bool(config.loss.mismatch), False
    self.data_name = config.data.name
    self.vocab = gan_cls.vocabulary(config.data.name)
    self.length = gan_cls._module(config.data.name).max_length()
    self.kl_weight = float(config.stackgan.kl_weight)
    self.cond = int(config.model.text_cond)
    if self.which_stage == 1:
      self.stage1_latent = None
      self.z_dim = int(config.model.z_dim) + self.cond  # (z, eps0)
    else:
      stage1, self.stage1_vars, self.stage1_step = load_stage1(
          config.stackgan.stage1_workdir, config)
      self.G1 = nets.build_stage(stage1, 1, self.data_shape[-1], ctx.axis_name)[0]
      self.stage1_latent = int(stage1.model.z_dim) + int(stage1.model.text_cond)
      self.z_dim = self.stage1_latent + self.cond  # (z, eps0, eps)
      self.SAMPLE_KEYS = gan_cls.GanCls.SAMPLE_KEYS + ("x_stage1",)

  def hparams(self) -> dict:
    return {"stackgan.kl_weight": self.kl_weight}

  def init(self, key, batch):
    k_g, k_d = jax.random.split(key)
    x, tokens = jnp.asarray(batch["x"][:2]), jnp.asarray(batch["tokens"][:2])
    if self.which_stage == 1:
      g_vars = dict(self.G.init(k_g, jnp.zeros((2, self.z_dim)), train=False, tokens=tokens))
    else:
      low = jnp.zeros((2, nets.STAGE_SIZES[1], nets.STAGE_SIZES[1], x.shape[-1]))
      g_vars = dict(self.G.init(k_g, low, train=False, tokens=tokens,
                                eps=jnp.zeros((2, self.cond))))
      g_vars["stage1"] = jax.tree.map(jnp.asarray, self.stage1_vars)
    return g_vars, dict(self.D.init(k_d, x, train=False, tokens=tokens))

  def stage1_images(self, g_vars, latent, tokens):
    """Frozen stage I's images [B, 32, 32, C] of the first part of `latent` (stage II)."""
    low = self.G1.apply(g_vars["stage1"], latent[:, :self.stage1_latent], train=False,
                        tokens=tokens)
    return jax.lax.stop_gradient(low)

  def _generate(self, g_vars, latent, tokens, train: bool):
    """(images, KL per element [B, Nc], variables with updated statistics)."""
    if self.which_stage == 1:
      (x, kl), g_vars = gan.apply(self.G, g_vars, latent, train, tokens=tokens, with_kl=True)
      return x, kl, g_vars
    own = {k: v for k, v in g_vars.items() if k != "stage1"}
    low = self.stage1_images(g_vars, latent, tokens)
    (x, kl), own = gan.apply(self.G, own, low, train, tokens=tokens,
                             eps=latent[:, self.stage1_latent:], with_kl=True)
    return x, kl, {**own, "stage1": g_vars["stage1"]}

  def generate(self, g_vars, batch, key, ctx, train: bool):
    latent = self.latent(key, batch["x"].shape[0], ctx)
    x, _, g_vars = self._generate(g_vars, latent, batch["tokens"], train)
    return x, g_vars

  def g_loss(self, g_params, g_collections, d_vars, batch, key, hp, ctx):
    latent = self.latent(key, batch["x"].shape[0], ctx)
    x, kl, g_vars = self._generate({**g_collections, "params": g_params}, latent,
                                   batch["tokens"], train=True)
    adversarial = self.g_loss_fn(self.critic(d_vars, x, batch)[0])  # D's updates discarded
    kl = jnp.mean(kl)
    loss = adversarial + hp["stackgan.kl_weight"] * kl
    return loss, ({k: v for k, v in g_vars.items() if k != "params"},
                  {"g_loss": adversarial, "kl": kl})

  def sample(self, g_vars, conditions: dict) -> dict:
    """{"x": G(latent, tokens)} in eval mode; stage II adds `x_stage1`."""
    latent, tokens = conditions["z"], conditions["tokens"]
    x, _, _ = self._generate(g_vars, latent, tokens, train=False)
    if self.which_stage == 1:
      return {"x": x}
    return {"x": x, "x_stage1": self.stage1_images(g_vars, latent, tokens)}

  def describe(self, variables) -> str:
    return f"stage {self.which_stage}, {nets.STAGE_SIZES[self.which_stage]} px"


def build(config, data_shape, ctx=parallel.Context()):
  return StackGan(config, data_shape, ctx)
