"""UNIT (Liu, Breuel & Kautz, 2017, "Unsupervised image-to-image translation networks"):
a shared latent space. Encoders E_a, E_b map images to codes h (the mean of a Gaussian
q(z | x) of unit variance: z = h + N(0, I)); generators G_a, G_b decode z to either
domain; the last layer of the encoders and the first of the generators are shared
(`networks/unit.py`), so a code means the same in both domains. Translation A -> B is
G_b(E_a(a)). G's loss (the paper's VAE, GAN and cycle-consistency terms, weighted as in
the authors' later code, the UNIT_Trainer of the MUNIT repository):

  L_G = gan_weight [loss_g(D_b(G_b(z_a))) + loss_g(D_a(G_a(z_b)))]           (GAN)
        + recon_weight [|G_a(z_a) - a|_1 + |G_b(z_b) - b|_1]                  (VAE)
        + kl_weight [mean(h_a^2) + mean(h_b^2)]
        + cycle_a_weight |G_a(z_aba) - a|_1 + cycle_b_weight |G_b(z_bab) - b|_1 (cycle)
        + kl_cycle_weight [mean(h_ab^2) + mean(h_ba^2)]

with z_a = h_a + n (one draw for the reconstruction and the translation), h_ab =
E_b(G_b(z_a)) (the translation re-encoded by its own domain's encoder), z_aba = h_ab + n'
(a fresh draw). The KL of q(z | x) = N(h, I) from the prior N(0, I) is 1/2 |h|^2; the
authors' code weighs mean(h^2) (a per-element mean), as here. Their weights: gan 1,
reconstruction 10, KL 0.01, cycle 10, cycle KL 0.01. The paper's lambda_0..4 = 10, 0.1,
100, 0.1, 100 have these ratios but for one term: its cycle loss adds a second KL of the
first-pass codes (as does the 2017 code), so those carry 0.02 there, 0.01 here. GAN loss:
least squares (the later code; one 70x70 PatchGAN per domain instead of its 3-scale D,
so the adversarial term has about a third of its relative weight); Adam 1e-4, betas (0.5,
0.999) (their weight decay 1e-4 and halving of the rate every 100k steps are left out).
D is the family's (`_unpaired.py`): real images against translations of noisy codes,
one D per domain.

Sampling and scores are the family's (`samples.npz`: a, ab, aba, b, ba, bab); samples
use the codes' means (no noise), as the authors' translation does.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp

from gan_jax import parallel, precision
from gan_jax.methods import _unpaired
from gan_jax.networks import unit as unit_nets

HPARAM_KEYS = _unpaired.HPARAM_KEYS
# loss key -> the authors' code's weight (used where a config leaves it out)
TERM_WEIGHTS = {"recon_weight": 10.0, "kl_weight": 0.01, "kl_cycle_weight": 0.01}


def kl(h) -> jax.Array:
  """The authors' KL term of N(h, I) against N(0, I): mean(h^2) (1/2 |h|^2 per element,
  times 2, averaged)."""
  return jnp.mean(h ** 2)


class Unit(_unpaired.Unpaired):
  DISTANCE = "l1"

  def __init__(self, config, data_shape, ctx=parallel.Context()):
    super().__init__(config, data_shape, ctx)
    if self.identity_weight or self.pool_size:
      raise ValueError("UNIT has no identity term or image pool: set loss.identity_weight=0 "
                       "and model.pool_size=0 (its within-domain term is loss.recon_weight).")
    self.extra = {k: float(config.loss.get(k, w)) for k, w in TERM_WEIGHTS.items()}
    for k, w in self.extra.items():
      if w < 0:
        raise ValueError(f"loss.{k}={w}: UNIT's term weights must be >= 0 (the authors': "
                         f"{TERM_WEIGHTS[k]}).")

  def term_weights(self) -> dict:
    return {"recon": self.extra["recon_weight"], "kl": self.extra["kl_weight"],
            "kl_cycle": self.extra["kl_cycle_weight"]}

  def init_g(self, keys, a):
    return dict(self.G.init(keys[0], a, train=False))

  def encode(self, g_vars, x, domain: str, train: bool = True):
    """The code h = E_domain(x) (the mean of q(z | x))."""
    return precision.apply(self.G, g_vars, x, domain, train,
                           method=unit_nets.UnitGenerator.encode)

  def decode(self, g_vars, z, domain: str, train: bool = True):
    return precision.apply(self.G, g_vars, z, domain, train,
                           method=unit_nets.UnitGenerator.decode)

  def translate(self, g_vars, direction: str, x, train: bool, key=None):
    """(G_target(z), g_vars) with z = E_source(x) + N(0, I) in training, the mean else."""
    source, target = _unpaired.DIRECTIONS[direction]
    h = self.encode(g_vars, x, source, train)
    z = h + jax.random.normal(key, h.shape, h.dtype) if train else h
    return self.decode(g_vars, z, target, train), g_vars

  def generate(self, g_vars, batch, key, ctx, train: bool):
    k_ab, k_ba = jax.random.split(key)
    return {"ab": self.translate(g_vars, "ab", batch["a"], train, k_ab)[0],
            "ba": self.translate(g_vars, "ba", batch["b"], train, k_ba)[0]}, g_vars

  def g_terms(self, g_vars, d_vars, batch, key):
    """(unweighted terms {"adversarial", "recon", "kl", "cycle_a", "cycle_b",
    "kl_cycle"}, g_vars) of the module docstring's L_G."""
    keys = jax.random.split(key, 4)
    noisy = lambda h, k: h + jax.random.normal(k, h.shape, h.dtype)
    a, b = batch["a"], batch["b"]
    h_a, h_b = self.encode(g_vars, a, "a"), self.encode(g_vars, b, "b")
    z_a, z_b = noisy(h_a, keys[0]), noisy(h_b, keys[1])
    ab, ba = self.decode(g_vars, z_a, "b"), self.decode(g_vars, z_b, "a")
    h_ab, h_ba = self.encode(g_vars, ab, "b"), self.encode(g_vars, ba, "a")
    aba = self.decode(g_vars, noisy(h_ab, keys[2]), "a")
    bab = self.decode(g_vars, noisy(h_ba, keys[3]), "b")
    l1 = lambda x, y: _unpaired.distance("l1", x, y)
    terms = {
        "adversarial": (self.g_loss_fn(self.judge(d_vars, "b", ab)[0])
                        + self.g_loss_fn(self.judge(d_vars, "a", ba)[0])),
        "recon": l1(self.decode(g_vars, z_a, "a"), a) + l1(self.decode(g_vars, z_b, "b"), b),
        "kl": kl(h_a) + kl(h_b),
        "cycle_a": l1(aba, a), "cycle_b": l1(bab, b),
        "kl_cycle": kl(h_ab) + kl(h_ba)}
    return terms, g_vars


def build(config, data_shape, ctx=parallel.Context()):
  return Unit(config, data_shape, ctx)
