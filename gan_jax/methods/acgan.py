"""Auxiliary classifier GAN (Odena et al., 2017, "Conditional Image Synthesis with
Auxiliary Classifier GANs", Sec. 3).

G(z, c) takes one-hot(c) concatenated to z; D(x) does not read the label but returns
both the adversarial logit and class logits (a class head on its last features). With
L_C = E[log P(C = c | x_real)] + E[log P(C = c | x_fake)] (paper, Eq. 2) and
lambda = `loss.class_weight` (1 in the paper, where the terms are simply added):

  D minimises  d_adv(real, fake) + lambda * (NLL_real + NLL_fake)   (maximises L_S + L_C)
  G minimises  g_adv(fake)       + lambda * NLL_fake                (maximises L_C - L_S)

NLL = `class_nll`, the mean cross-entropy of the class logits against the labels
(the fake images' labels are those G was given). lambda enters the step as the array
hparam "loss.class_weight", so a sweep can vmap over it.

The known bias: since G is rewarded for images D classifies confidently, and D learns
to classify generated images too, AC-GAN favours easy-to-classify samples and loses
intra-class diversity (Odena et al., Sec. 4.4 report it; Shu et al., 2017, and Gong et
al., 2019, "Twin Auxiliary Classifiers GAN", explain it as minimising a conditional
entropy). The "conditional" eval group measures it (intra-class recall, intra-FID,
classifier confidence).
"""
from __future__ import annotations

import jax.numpy as jnp
import optax

from gan_jax import parallel
from gan_jax.methods import _conditional, gan

HPARAM_KEYS = ("loss.class_weight",)


def class_nll(logits, labels):
  """Mean negative log-likelihood -E[log softmax(logits)[label]]: logits [B, K],
  labels [B] int -> scalar."""
  return jnp.mean(optax.softmax_cross_entropy_with_integer_labels(logits, labels))


class AcGan(_conditional.ConditionalGan):
  G_CONDITION = "concat"
  D_CONDITION = "classes"

  def __init__(self, config, data_shape, ctx=parallel.Context()):
    super().__init__(config, data_shape, ctx)
    self.class_weight = float(config.loss.class_weight)
    if self.class_weight < 0:
      raise ValueError(f"loss.class_weight must be >= 0, got {self.class_weight}.")

  def hparams(self) -> dict:
    return {"loss.class_weight": self.class_weight}

  def critic(self, variables, x, batch):
    """The adversarial logit only (what the regularizers see); labels are not read."""
    (out, _), variables = gan.apply(self.D, variables, x, train=True)
    return out, variables

  def d_loss(self, d_params, d_collections, batch, fake, key, hp, ctx, d_update, reg_config):
    variables = {**d_collections, "params": d_params}
    (real_out, real_logits), variables = gan.apply(self.D, variables, batch["x"], train=True)
    (fake_out, fake_logits), variables = gan.apply(self.D, variables, fake, train=True)
    loss, (collections, metrics) = self.adversarial_d_loss(
        variables, batch, fake, real_out, fake_out, key, hp, ctx, d_update, reg_config)
    nll_real = class_nll(real_logits, batch["y"])
    nll_fake = class_nll(fake_logits, batch["y"])
    metrics = {**metrics, "d_class_nll_real": nll_real, "d_class_nll_fake": nll_fake,
               "d_class_acc_real": jnp.mean(real_logits.argmax(-1) == batch["y"])}
    return loss + hp["loss.class_weight"] * (nll_real + nll_fake), (collections, metrics)

  def g_loss(self, g_params, g_collections, d_vars, batch, key, hp, ctx):
    fake, g_vars = self.generate({**g_collections, "params": g_params}, batch, key, ctx,
                                 train=True)
    (fake_out, fake_logits), _ = gan.apply(self.D, d_vars, fake, train=True)
    adversarial = self.g_loss_fn(fake_out)
    nll = class_nll(fake_logits, batch["y"])
    collections = {k: v for k, v in g_vars.items() if k != "params"}
    return (adversarial + hp["loss.class_weight"] * nll,
            (collections, {"g_loss": adversarial, "g_class_nll": nll}))

  def discriminate(self, d_vars, x, y=None):
    """D's adversarial logit in eval mode (it does not read y)."""
    return self.D.apply(d_vars, x, train=False)[0]


def build(config, data_shape, ctx=parallel.Context()):
  return AcGan(config, data_shape, ctx)
