"""Progressive growing (Karras et al., 2018, "Progressive growing of GANs for improved
quality, stability, and variation"): G and D start at 4x4 and grow, one resolution at a
time, to the data's size; each new block is faded in while alpha goes from 0 to 1, then
the networks are stabilised at the new resolution (networks/progan.py has the layers).

Schedule (`growth.*`, in images shown to D, as the paper counts; images = step x
data.batch_size): stage 0 (4x4) trains `stable_images`; then for each further stage s a
fade-in of `fade_images` (alpha from 0 to 1) and a stabilisation of `stable_images`;
the last stage stays stabilised to the end. `stage(step)` (a Python int) picks the
compiled step: each stage is its own program, because the networks change shape
(gan_jax/loop.py keeps one per stage); `alpha` is computed from the step count inside
the step (an array). Both are written into G's and D's variables under the "growth"
collection at the start of each step (`begin_step`), so the train state, its
checkpoints and --mode sample / eval carry the stage and alpha the run was at.

Loss (Sec. A.1): WGAN-GP (loss.name=wasserstein, regularizers.gradient_penalty weight
10) plus the drift term `loss.drift` * E[D(x)^2] on the reals (0.001), which keeps D's
output near 0.

Reals are faded like G's output (the authors' `process_reals`): during a fade they are
(1 - alpha) * up2(pool2(x_s)) + alpha * x_s at the stage's resolution x_s. G's output
and D's input stay at the data's full size (nearest upsampling, average pooling), as in
the authors' code; so is the gradient penalty's input. (Pooling scales D's input
gradient by 2^-(levels below full size); the authors' penalty has the same scale.)

Adam (`growth.reset_optimizer`): the authors' code resets both optimizers' moments
whenever the level of detail crosses an integer (reset_opt_for_new_lod=True in
config.py): at the start of each fade and of each stabilisation. Here the same reset
happens inside the step at those step counts (moments and count of every Adam state to
zero, the learning rates kept), on by default.
"""
from __future__ import annotations

import copy

import jax
import jax.numpy as jnp
import numpy as np
import optax

from gan_jax import parallel
from gan_jax.methods import gan
from gan_jax.networks import progan as nets

HPARAM_KEYS = ("loss.drift",)


def check(config) -> None:
  gan.check(config)
  if config.model.name != "progan":
    raise ValueError(f"method progan grows the progan networks; got model.name="
                     f"{config.model.name!r}. Set --config.model.name=progan.")
  if "growth" not in config:
    raise ValueError("method progan needs the growth schedule (config.growth: stable_images, "
                     "fade_images, reset_optimizer); start from experiments/progan.py.")
  for key in ("stable_images", "fade_images"):
    value = config.growth[key]
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
      raise ValueError(f"growth.{key}={value!r} must be an integer >= 1 (images shown to D "
                       f"per phase); e.g. --config.growth.{key}=600000 (the authors' 600k).")
  if float(config.loss.get("drift", 0.0)) < 0:
    raise ValueError(f"loss.drift={config.loss.drift} must be >= 0 (the paper's 0.001).")


def phase(step, batch: int, stable: int, fade: int, stages: int, xp=np):
  """(half-phase h, alpha) after `step` steps of `batch` images: h = 0 is stage 0's
  stabilisation, h = 2s - 1 the fade-in of stage s, h = 2s its stabilisation, capped at
  2(S - 1). Works on Python ints (xp=np) and on arrays in a step (xp=jnp)."""
  images = step * batch
  k, within = images // (stable + fade), images % (stable + fade)
  h = xp.minimum(2 * k + (within >= stable), 2 * (stages - 1))
  alpha = xp.where(h % 2 == 1, (within - stable) / fade, 1.0)
  return h, alpha


def _reset_adam(opt_state, reset):
  """Every Adam state in `opt_state` with count, mu and nu set to 0 where `reset`."""
  is_adam = lambda x: isinstance(x, optax.ScaleByAdamState)
  zero = lambda x: jnp.where(reset, jnp.zeros_like(x), x)
  return jax.tree.map(lambda x: jax.tree.map(zero, x) if is_adam(x) else x, opt_state,
                      is_leaf=is_adam)


class ProGan(gan.Gan):

  def __init__(self, config, data_shape, ctx=parallel.Context()):
    super().__init__(config, data_shape, ctx)
    check(config)
    self.stages = nets.num_stages(self.data_shape[0])
    self.batch = int(config.data.batch_size)
    g = config.growth
    self.stable, self.fade = int(g.stable_images), int(g.fade_images)
    self.reset_optimizer = bool(g.reset_optimizer)
    self.drift = float(config.loss.get("drift", 0.0))
    self.minibatch_chunk = self.batch  # D's minibatch stddev: score in training batches
    self.current = None  # the static stage of a step's method (at_stage)

  def hparams(self) -> dict:
    return {"loss.drift": self.drift}

  def _phase(self, step, xp=np):
    return phase(step, self.batch, self.stable, self.fade, self.stages, xp)

  def stage(self, step: int) -> int:
    """The stage (0: 4x4) the step after `step` steps trains."""
    return int((int(self._phase(int(step))[0]) + 1) // 2)

  def at_stage(self, stage: int) -> "ProGan":
    """This method bound to a static stage: what one compiled step runs."""
    staged = copy.copy(self)
    staged.current = int(stage)
    return staged

  def init(self, key, batch):
    g_vars, d_vars = super().init(key, batch)
    growth = {"stage": jnp.zeros((), jnp.int32), "alpha": jnp.ones((), jnp.float32)}
    return {**g_vars, "growth": growth}, {**d_vars, "growth": dict(growth)}

  def begin_step(self, state):
    """The state with this step's stage and alpha written in (and, at the start of a
    fade or stabilisation, Adam's moments reset)."""
    h, alpha = self._phase(state.step, jnp)
    growth = {"stage": jnp.full_like(state.step, self.current),
              "alpha": alpha.astype(jnp.float32)}
    state = state.replace(g={**state.g, "growth": growth}, d={**state.d, "growth": growth})
    if self.reset_optimizer:
      reset = (state.step > 0) & (h != self._phase(state.step - 1, jnp)[0])
      state = state.replace(g_opt=_reset_adam(state.g_opt, reset),
                            d_opt=_reset_adam(state.d_opt, reset))
    return state

  def _stage(self, variables):
    if self.current is None:
      raise ValueError("ProGan's train-step functions need a stage: use method.at_stage(s).")
    return self.current

  def fade_reals(self, x, stage: int, alpha):
    """Reals at the stage's resolution, faded as G's output is, at full size [B, H, W, C]."""
    factor = 2 ** (self.stages - 1 - stage)
    low = nets.downsample(x, factor)
    if stage > 0:
      coarse = nets.upsample(nets.downsample(low, 2), 2)
      low = coarse + (low - coarse) * alpha
    return nets.upsample(low, factor)

  def generate(self, g_vars, batch, key, ctx, train: bool):
    z = self.latent(key, batch["x"].shape[0], ctx)
    x = self.G.apply({"params": g_vars["params"]}, z, stage=self._stage(g_vars),
                     alpha=g_vars["growth"]["alpha"])
    return x, g_vars

  def critic(self, variables, x, batch):
    del batch
    out = self.D.apply({"params": variables["params"]}, x, stage=self._stage(variables),
                       alpha=variables["growth"]["alpha"])
    return out, variables

  def d_loss(self, d_params, d_collections, batch, fake, key, hp, ctx, d_update, reg_config):
    real = self.fade_reals(batch["x"], self._stage(d_collections),
                           d_collections["growth"]["alpha"])
    return super().d_loss(d_params, d_collections, {**batch, "x": real}, fake, key, hp, ctx,
                          d_update, reg_config)

  def adversarial_d_loss(self, variables, batch, fake, real_out, fake_out, key, hp, ctx,
                         d_update, reg_config):
    loss, (collections, metrics) = super().adversarial_d_loss(
        variables, batch, fake, real_out, fake_out, key, hp, ctx, d_update, reg_config)
    drift = jnp.mean(real_out ** 2)
    metrics = {**metrics, "drift": drift, "alpha": variables["growth"]["alpha"],
               "stage": variables["growth"]["stage"].astype(jnp.float32)}
    return loss + hp["loss.drift"] * drift, (collections, metrics)

  def _at_stored_stage(self, variables, fn):
    """fn(stage, alpha) at the stage stored in `variables` (a traced int in sampling):
    one branch per stage, so sampling and eval follow the state."""
    growth = variables["growth"]
    branches = [lambda a, s=s: fn(s, a) for s in range(self.stages)]
    return jax.lax.switch(jnp.clip(growth["stage"], 0, self.stages - 1), branches,
                          growth["alpha"])

  def sample(self, g_vars, conditions: dict) -> dict:
    """{"x": G(z)} at the state's stage and alpha, clipped to [-1, 1] (the paper's G
    has a linear output; the authors clip when they save images)."""
    params = {"params": g_vars["params"]}
    x = self._at_stored_stage(g_vars, lambda s, a: self.G.apply(
        params, conditions["z"], stage=s, alpha=a))
    return {"x": jnp.clip(x, -1.0, 1.0)}

  def score(self, d_vars, x):
    params = {"params": d_vars["params"]}
    return self._at_stored_stage(d_vars, lambda s, a: self.D.apply(params, x, train=False,
                                                                   stage=s, alpha=a))

  def describe(self, variables) -> str:
    """'16x16, alpha 0.25' for the stage stored in G's or D's variables."""
    growth = jax.device_get(variables["growth"])
    return f"{nets.resolution(int(growth['stage']))}x{nets.resolution(int(growth['stage']))}" \
           f", alpha {float(growth['alpha']):.2f}"


def build(config, data_shape, ctx=parallel.Context()):
  return ProGan(config, data_shape, ctx)
