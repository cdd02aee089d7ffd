"""The unconditional GAN (Goodfellow et al., 2014): G maps noise z to samples, D scores
real against generated samples with any loss pair of `losses` and the regularizers of
the config. Used for toy data and unconditional image generation.

`Gan` is also the base of the other methods: besides the pure functions the train step
uses (`init`, `generate`, `d_loss`, `g_loss`), a method says how it is sampled, which is
what differs between method families (../shared/DESIGN.md, "Method families"):

- `conditions(n, seed, data)`: the host arrays G is fed for n samples (here {"z"}; a
  conditional method adds {"y"}, a paired one the test split's {"a", "b"}), drawn from
  `seed` (and `data`, the held-out split, for methods with CONDITIONS_FROM_DATA);
- `sample(g_vars, conditions) -> {"x": ...}`: G in eval mode on a chunk of conditions
  (jit-compiled, batched over their leading axis by `sampling.generate`);
- `SAMPLE_KEYS`: the keys of conditions and outputs that `--mode sample` writes to
  samples.npz; `grid(record)`: how a record becomes a picture.

PacGAN (`model.pack = m`, gan_jax/packing.py): D's every input, real, generated or a
penalty's, is a batch of packs of m samples; `discriminate` scores a single sample as
the pack of m copies of it. A D with a minibatch layer (`model.minibatch`) is scored
by `discriminate` in chunks of the training batch's size.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from gan_jax import losses, networks, packing, parallel, precision, regularizers

HPARAM_KEYS = ()  # config keys of this method that enter the step as arrays (hparams())
Z_DISTS = ("normal", "uniform")


def check(config) -> None:
  """This method's own config rules (gan_jax/validate.py runs them with the shared ones)."""
  if config.model.z_dist not in Z_DISTS:
    raise ValueError(f"model.z_dist={config.model.z_dist!r} must be one of "
                     f"{', '.join(Z_DISTS)}; e.g. --config.model.z_dist=normal.")


def apply(module, variables, x, train: bool, **inputs):
  """(output, variables with updated non-param collections) for a Flax module;
  `inputs` are further keyword inputs (a conditional network's labels `y`)."""
  if not train:
    return precision.apply(module, variables, x, train=False, **inputs), variables
  out, updates = precision.apply(module, variables, x, train=True, mutable=["batch_stats"],
                                 **inputs)
  return out, {**variables, **updates}


class Gan:
  FAMILY = "unconditional"
  SAMPLE_KEYS = ("x",)          # what --mode sample writes to samples.npz
  CONDITIONS_FROM_DATA = False  # True: conditions() samples the held-out split
  pack = 1                      # PacGAN's m (model.pack); methods/gan.py's own option

  def __init__(self, config, data_shape, ctx=parallel.Context()):
    self.data_shape = tuple(data_shape)
    self.G, self.D = networks.get(config.model.name).build(config, data_shape, ctx.axis_name)
    self.loss_name = config.loss.name
    self.d_loss_fn, self.g_loss_fn = losses.get(config.loss.name)
    check(config)
    self.z_dim, self.z_dist = int(config.model.z_dim), config.model.z_dist
    self.pack = int(config.model.pack)
    # D decisions per training batch: the chunk a minibatch-layer D scores at a time
    self.minibatch_chunk = (int(config.data.batch_size) // self.pack
                            if config.model.minibatch else 0)

  def hparams(self) -> dict:
    return {}

  def latent(self, key, n: int, ctx=parallel.Context()):
    """z ~ N(0, I) or U[-1, 1]^z_dim, shape [n, z_dim]."""
    if self.z_dist == "normal":
      return ctx.normal(key, (n, self.z_dim))
    return ctx.uniform(key, (n, self.z_dim), -1.0, 1.0)

  def init(self, key, batch):
    k_g, k_d = jax.random.split(key)
    x = packing.pack(jnp.asarray(batch["x"][:2 * self.pack]), self.pack)
    g_vars = self.G.init(k_g, jnp.zeros((2, self.z_dim)), train=False)
    d_vars = self.D.init(k_d, x, train=False)
    return dict(g_vars), dict(d_vars)

  def generate(self, g_vars, batch, key, ctx, train: bool):
    z = self.latent(key, batch["x"].shape[0], ctx)
    return apply(self.G, g_vars, z, train)

  def critic(self, variables, x, batch):
    """(D's adversarial output on `x` in train mode, updated variables); `batch` carries
    what a conditional D also reads (its labels)."""
    return apply(self.D, variables, x, train=True)

  def d_loss(self, d_params, d_collections, batch, fake, key, hp, ctx, d_update, reg_config):
    variables = {**d_collections, "params": d_params}
    real, fake = packing.pack(batch["x"], self.pack), packing.pack(fake, self.pack)
    real_out, variables = self.critic(variables, real, batch)
    fake_out, variables = self.critic(variables, fake, batch)
    return self.adversarial_d_loss(variables, {**batch, "x": real}, fake, real_out, fake_out,
                                   key, hp, ctx, d_update, reg_config)

  def adversarial_d_loss(self, variables, batch, fake, real_out, fake_out, key, hp, ctx,
                         d_update, reg_config):
    """D's loss pair on its outputs plus the config's regularizers (which see D through
    `critic`): (loss, (non-param collections, metrics))."""
    adversarial = self.d_loss_fn(real_out, fake_out)
    d_fn = lambda x: self.critic(variables, x, batch)[0]
    penalty, terms = regularizers.total_penalty(
        reg_config, hp, d_fn, batch["x"], fake, key, ctx, d_update)
    metrics = {"d_loss": adversarial, "d_real": jnp.mean(real_out),
               "d_fake": jnp.mean(fake_out), **terms}
    if losses.estimates_wasserstein(self.loss_name):
      metrics["wasserstein"] = -adversarial
    collections = {k: v for k, v in variables.items() if k != "params"}
    return adversarial + penalty, (collections, metrics)

  def g_loss(self, g_params, g_collections, d_vars, batch, key, hp, ctx):
    fake, g_vars = self.generate({**g_collections, "params": g_params}, batch, key, ctx,
                                 train=True)
    # D's updates are discarded
    fake_out, _ = self.critic(d_vars, packing.pack(fake, self.pack), batch)
    loss = self.g_loss_fn(fake_out)
    return loss, ({k: v for k, v in g_vars.items() if k != "params"}, {"g_loss": loss})

  def conditions(self, n: int, seed: int, data=None, **options) -> dict:
    """{"z": [n, z_dim]} from `seed` (host arrays); `data` is unused here, and sampling
    options (e.g. `labels`) are refused: they belong to other method families."""
    del data
    given = sorted(k for k, v in options.items() if v is not None)
    if given:
      raise ValueError(f"Method {type(self).__name__} ({self.FAMILY}) takes no sampling "
                       f"options; got {', '.join(given)} (--labels is for class-conditional "
                       "runs: cgan, projection, acgan; --captions for gan_cls).")
    return {"z": np.asarray(self.latent(jax.random.PRNGKey(seed), n))}

  def interpolation_conditions(self, z, seed: int, pairs: int = 1) -> dict:
    """Conditions for the latent walks of `--interpolate`: the rows of `z` [N, z_dim],
    `pairs` equal blocks of walks (a conditional method adds a fixed label per block,
    drawn from `seed`)."""
    del seed, pairs
    return {"z": np.asarray(z)}

  def sample(self, g_vars, conditions: dict) -> dict:
    """{"x": G(z)} in eval mode (running BatchNorm statistics)."""
    return {"x": self.G.apply(g_vars, conditions["z"], train=False)}

  def sample_arrays(self, record: dict) -> dict:
    """What `--mode sample` writes to samples.npz: the SAMPLE_KEYS the record has (e.g.
    y only where the data are labelled); a family may add arrays of its own."""
    return {k: record[k] for k in self.SAMPLE_KEYS if k in record}

  def write_sample_files(self, record: dict, workdir: str) -> list[str]:
    """Files `--mode sample` writes beside samples.npz (speech: WAVs); their paths."""
    del record, workdir
    return []

  def grid(self, record: dict):
    """(images [N, H, W, C], rows or None) to draw for a sample record."""
    return record["x"], None

  def discriminate(self, d_vars, x):
    """D(x) in eval mode [N]; a packed D scores each sample packed with itself.

    A minibatch layer's features depend on the batch D sees, and minibatch
    discrimination's cost grows with its square: such a D scores x in chunks of the
    training batch's size (the last chunk padded with copies of the last sample), so
    its features have the scale they had in training; the statistics are each chunk's
    (for D's surface on a toy grid: neighbouring grid points').
    """
    x = packing.pack_each(x, self.pack)
    chunk = self.minibatch_chunk
    if not chunk:
      return self.score(d_vars, x)
    n = x.shape[0]
    padded = jnp.concatenate([x, jnp.repeat(x[-1:], -n % chunk, axis=0)])
    chunks = padded.reshape((-1, chunk) + x.shape[1:])
    return jax.lax.map(lambda b: self.score(d_vars, b), chunks).reshape(-1)[:n]

  def score(self, d_vars, x):
    """D(x) in eval mode [N] on one chunk of `discriminate`."""
    return self.D.apply(d_vars, x, train=False)


def build(config, data_shape, ctx=parallel.Context()):
  """The method for `config`; `ctx` says which devices the train step runs on."""
  return Gan(config, data_shape, ctx)
