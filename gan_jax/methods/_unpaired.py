"""The unpaired-translation family: two generators G_ab: A -> B and G_ba: B -> A, two
discriminators D_b (real b against G_ab(a)) and D_a (real a against G_ba(b)), trained on
batches {"a", "b"} drawn independently (no a has a partner b), with

  L_D = loss_d(D_b(b), D_b(pool_ab(G_ab(a)))) + loss_d(D_a(a), D_a(pool_ba(G_ba(b))))
  L_G = gan_weight [loss_g(D_b(G_ab(a))) + loss_g(D_a(G_ba(b)))]
        + cycle_a_weight d(G_ba(G_ab(a)), a)       (forward cycle, A -> B -> A)
        + cycle_b_weight d(G_ab(G_ba(b)), b)       (backward cycle, B -> A -> B)
        + identity_weight [d(G_ab(b), b) + d(G_ba(a), a)]

(Zhu et al., 2017, CycleGAN, Eq. 1-3 and Sec. 5.2 for the identity term; Kim et al., 2017,
DiscoGAN, Eq. 5; Yi et al., 2017, DualGAN, Eq. 3), d a per-pixel mean distance (L1 for
CycleGAN and DualGAN, L2 for DiscoGAN: the subclass's `DISTANCE`). The GAN and cycle
weights are config values that enter the step as arrays (`HPARAM_KEYS`), so the
ablations of CycleGAN's Table 4 are members of one sweep; gan_weight 0 trains G on the
cycles alone (D still trains and is logged). The identity weight is compiled into the
step instead: at 0 its two extra generator passes (a third of G's work) are not built
at all; a resumed run that changes it rebuilds the step. `pool_ab` / `pool_ba` are image pools of
`model.pool_size` images (`gan_jax.image_pool`; 0: the new images go straight to D),
held in D's variables under the "pool" collection, so the train step writes them back
into the state like any other non-parameter collection.

Variables: G's are {"params": {"ab": ..., "ba": ...}, "batch_stats"?: {...}} (a subclass
may hold one module instead, through `init_g` and `translate`: UNIT), D's
{"params": {"a": ..., "b": ...}, "batch_stats"?: ..., "pool"?: {"ab": ..., "ba": ...}}:
one G pytree and one D pytree, as the train step expects. A and B images must have one
shape (the two generators are one architecture).

Sampling (DESIGN.md "Method families"): the conditions are held-out examples of both
domains ({"a", "b", "y_a"?, "y_b"?} of the test split; labels where the data have them,
e.g. character indices for the fonts), `sample` adds ab = G_ab(a), aba = G_ba(ab),
ba = G_ba(b), bab = G_ab(ba) (and x = ab, the family's primary output) in eval mode;
samples.npz holds a, ab, aba, b, ba, bab (+ y_a, y_b where labelled); grids show
a | ab | aba and b | ba | bab rows.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from gan_jax import image_pool, losses, networks, parallel, regularizers
from gan_jax.methods import _paired, gan

HPARAM_KEYS = ("loss.gan_weight", "loss.cycle_a_weight", "loss.cycle_b_weight")
DIRECTIONS = {"ab": ("a", "b"), "ba": ("b", "a")}  # direction: (source, target domain)


def sub(variables: dict, name: str) -> dict:
  """One network's variables out of a pair's: {collection: tree[name]}."""
  return {col: tree[name] for col, tree in variables.items() if name in tree}


def join(parts: dict) -> dict:
  """The inverse of `sub`: {name: variables} -> {collection: {name: tree}}."""
  out = {}
  for name, variables in parts.items():
    for col, tree in variables.items():
      out.setdefault(col, {})[name] = tree
  return out


def distance(kind: str, x, y) -> jax.Array:
  """Mean per-pixel |x - y| ('l1') or (x - y)^2 ('l2')."""
  return jnp.mean(jnp.abs(x - y)) if kind == "l1" else jnp.mean((x - y) ** 2)


class Unpaired(gan.Gan):
  FAMILY = "unpaired"
  SAMPLE_KEYS = ("a", "ab", "aba", "b", "ba", "bab", "y_a", "y_b")  # y_* where labelled
  CONDITIONS_FROM_DATA = True
  DISTANCE = "l1"

  def __init__(self, config, data_shape, ctx=parallel.Context()):
    self.data_shape = tuple(data_shape)
    self.G, self.D = networks.get(config.model.name).build(config, data_shape, ctx.axis_name)
    self.loss_name = config.loss.name
    self.d_loss_fn, self.g_loss_fn = losses.get(config.loss.name)
    self.weights = {k: float(config.loss[k.split(".")[1]]) for k in HPARAM_KEYS}
    self.identity_weight = float(config.loss.identity_weight)
    self.pool_size = int(config.model.pool_size)
    if self.pool_size < 0:
      raise ValueError(f"model.pool_size={self.pool_size}: use 0 (no pool) or the number "
                       "of generated images each D keeps (50 in CycleGAN).")

  def hparams(self) -> dict:
    return dict(self.weights)

  def term_weights(self) -> dict:
    """The weights of L_G's terms beyond the GAN and cycle terms (compiled in)."""
    return {"identity": self.identity_weight}

  def latent(self, key, n, ctx=parallel.Context()):
    raise ValueError(f"{type(self).__name__} translates images and has no latent z; "
                     "--interpolate is for methods that sample z.")

  # Networks over the pair's variables.
  def translate(self, g_vars, direction: str, x, train: bool, key=None):
    """(G_direction(x), that generator's updated variables)."""
    return _paired.apply(self.G, sub(g_vars, direction), x, train, key)

  def judge(self, d_vars, domain: str, x, train: bool = True):
    """(D_domain(x), that discriminator's updated variables)."""
    return _paired.apply(self.D, sub(d_vars, domain), x, train)

  def init(self, key, batch):
    a, b = jnp.asarray(batch["a"][:2]), jnp.asarray(batch["b"][:2])
    if a.shape[1:] != b.shape[1:]:
      raise ValueError(f"{type(self).__name__} needs A and B images of one shape; got "
                       f"{a.shape[1:]} and {b.shape[1:]}. Set data.image_size and "
                       "data.channels so both domains match.")
    keys = jax.random.split(key, 6)
    dv = {s: dict(self.D.init(keys[4 + i], a, train=False)) for i, s in enumerate("ab")}
    d_vars = join(dv)
    if self.pool_size:
      d_vars["pool"] = {d: image_pool.init(self.pool_size, a.shape[1:]) for d in DIRECTIONS}
    return self.init_g(keys[:4], a), d_vars

  def init_g(self, keys, a):
    """G's variables from 4 keys: one generator per direction (params, dropout)."""
    return join({d: dict(self.G.init({"params": keys[i], "dropout": keys[i + 2]}, a,
                                     train=False)) for i, d in enumerate(DIRECTIONS)})

  def generate(self, g_vars, batch, key, ctx, train: bool):
    """({"ab": G_ab(a), "ba": G_ba(b)}, G's variables with updated collections)."""
    k_ab, k_ba = jax.random.split(key)
    ab, v_ab = self.translate(g_vars, "ab", batch["a"], train, k_ab)
    ba, v_ba = self.translate(g_vars, "ba", batch["b"], train, k_ba)
    return {"ab": ab, "ba": ba}, join({"ab": v_ab, "ba": v_ba})

  def d_loss(self, d_params, d_collections, batch, fake, key, hp, ctx, d_update, reg_config):
    pools = d_collections.get("pool")
    variables = {**{k: v for k, v in d_collections.items() if k != "pool"}, "params": d_params}
    k_pool, k_reg = jax.random.split(key)
    new_pools, parts, total, metrics = {}, {}, 0.0, {}
    for i, (direction, (_, domain)) in enumerate(DIRECTIONS.items()):
      generated = fake[direction]
      if pools is not None:
        generated, new_pools[direction] = image_pool.query_global(
            pools[direction], generated, jax.random.fold_in(k_pool, i), ctx)
      real_out, v = self.judge(variables, domain, batch[domain])
      fake_out, v = _paired.apply(self.D, v, generated, train=True)
      adversarial = self.d_loss_fn(real_out, fake_out)
      d_fn = lambda x, v=v: _paired.apply(self.D, v, x, train=True)[0]
      penalty, terms = regularizers.total_penalty(
          reg_config, hp, d_fn, batch[domain], generated, jax.random.fold_in(k_reg, i), ctx,
          d_update)
      parts[domain] = v
      total = total + adversarial + penalty
      metrics.update({f"d_{domain}_loss": adversarial, f"d_{domain}_real": jnp.mean(real_out),
                      f"d_{domain}_fake": jnp.mean(fake_out),
                      **{f"{k}_{domain}": t for k, t in terms.items()}})
      if losses.estimates_wasserstein(self.loss_name):
        metrics[f"wasserstein_{domain}"] = -adversarial
    metrics["d_loss"] = metrics["d_a_loss"] + metrics["d_b_loss"]
    collections = {k: v for k, v in join(parts).items() if k != "params"}
    if pools is not None:
      collections["pool"] = new_pools
    return total, (collections, metrics)

  def g_terms(self, g_vars, d_vars, batch, key):
    """(unweighted loss terms {"adversarial", "cycle_a", "cycle_b", "identity"?}, G's
    updated variables): everything L_G weighs, from one pass of each generator (the
    identity term only when its weight is not 0)."""
    keys = jax.random.split(key, 5)
    fake, g_vars_new = self.generate(g_vars, batch, keys[0], None, train=True)
    aba, _ = self.translate(g_vars, "ba", fake["ab"], True, keys[1])
    bab, _ = self.translate(g_vars, "ab", fake["ba"], True, keys[2])
    adversarial = sum(self.g_loss_fn(self.judge(d_vars, target, fake[direction])[0])
                      for direction, (_, target) in DIRECTIONS.items())
    terms = {"adversarial": adversarial,
             "cycle_a": distance(self.DISTANCE, aba, batch["a"]),
             "cycle_b": distance(self.DISTANCE, bab, batch["b"])}
    if self.identity_weight:
      same_b, _ = self.translate(g_vars, "ab", batch["b"], True, keys[3])
      same_a, _ = self.translate(g_vars, "ba", batch["a"], True, keys[4])
      terms["identity"] = (distance(self.DISTANCE, same_b, batch["b"])
                           + distance(self.DISTANCE, same_a, batch["a"]))
    return terms, g_vars_new

  def g_loss(self, g_params, g_collections, d_vars, batch, key, hp, ctx):
    d_vars = {k: v for k, v in d_vars.items() if k != "pool"}
    terms, g_vars = self.g_terms({**g_collections, "params": g_params}, d_vars, batch, key)
    loss = (hp["loss.gan_weight"] * terms["adversarial"]
            + hp["loss.cycle_a_weight"] * terms["cycle_a"]
            + hp["loss.cycle_b_weight"] * terms["cycle_b"]
            + sum(w * terms[k] for k, w in self.term_weights().items() if k in terms))
    metrics = {"g_loss": loss, **{f"g_{k}": v for k, v in terms.items()}}
    return loss, ({k: v for k, v in g_vars.items() if k != "params"}, metrics)

  # Sampling.
  def conditions(self, n: int, seed: int, data=None, **options) -> dict:
    """Up to n held-out examples of each domain {"a", "b", "y_a"?, "y_b"?} chosen by `seed`
    (host arrays; all of them, in order, when the split has fewer)."""
    del options
    if data is None:
      raise ValueError(f"{type(self).__name__} samples from held-out data; pass the split.")
    return data.examples(None if n >= data.size else n, seed, labels=True)

  def sample(self, g_vars, conditions: dict) -> dict:
    """{"ab", "aba", "ba", "bab", "x" = ab} in eval mode."""
    go = lambda direction, x: self.translate(g_vars, direction, x, False)[0]
    ab, ba = go("ab", conditions["a"]), go("ba", conditions["b"])
    return {"x": ab, "ab": ab, "aba": go("ba", ab), "ba": ba, "bab": go("ab", ba)}

  def grid(self, record: dict):
    """Rows of (input | translation | cycle) triples, A -> B -> A rows then B -> A -> B
    rows: up to 4 rows of each with 3 triples per row."""
    n = min(len(record["ab"]), 12)
    per_row = 3 if n >= 3 else 1
    n = n // per_row * per_row
    rows = []
    for source, there, back in (("a", "ab", "aba"), ("b", "ba", "bab")):
      rows.append(np.stack([np.asarray(record[k][:n]) for k in (source, there, back)], axis=1))
    cells = np.concatenate(rows).reshape(-1, *np.shape(record["ab"])[1:])
    return cells, 2 * n // per_row

  def discriminate(self, d_vars, x):
    raise ValueError(f"{type(self).__name__} has two discriminators (one per domain); D "
                     "scores under sample grids are for unconditional methods.")
