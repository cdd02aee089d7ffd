"""WGAN paper, Example 1 and Figure 1 (Arjovsky et al., 2017), measured.

P0 = (0, U[0, 1]) and P_theta = (theta, U[0, 1]): two distributions on parallel vertical
segments, disjoint for every theta != 0. Exactly,

  JS(P0, P_theta) = log 2 for theta != 0 and 0 for theta = 0   (flat: no gradient in theta)
  W(P0, P_theta)  = |theta|                                    (continuous, useful gradient)

For every theta we train, from scratch,

- a discriminator D = sigmoid(MLP) on the minimax D loss (`losses.d_minimax`), then
  estimate JS = log 2 + 1/2 (E_P0 log D + E_Ptheta log(1 - D)) = log 2 - d_minimax / 2
  (Goodfellow et al., 2014, Thm. 1: at the optimal D this is the JS divergence);
- a critic f (the same MLP) on the Wasserstein loss with the gradient penalty, lambda 10
  (`losses.d_wasserstein` + `regularizers.gradient_penalty`, Gulrajani et al., 2017,
  Eq. 3), then estimate W = E_P0 f - E_Ptheta f (Kantorovich-Rubinstein duality).

Estimates use fresh samples. All theta values train as one program: the per-theta
training (a `lax.scan` over steps) is `jax.vmap`-ed over theta and jit-compiled once.

Writes ``js_vs_wasserstein.png`` and ``js_vs_wasserstein.json`` (theta, both estimates,
the exact curves and the max abs errors).

  python -m experiments.figures.js_vs_wasserstein --out DIR [--smoke]
"""
from __future__ import annotations

import os

import jax
import jax.numpy as jnp
import numpy as np
import optax

from experiments.figures import _common
from gan_jax import config as config_lib, losses, parallel, regularizers, train_step, viz
from gan_jax.networks import mlp

NAME = "js_vs_wasserstein"
# 21 even steps of 0.1, and +-0.02, +-0.05: JS jumps to log 2 at any separation.
FULL = dict(thetas=np.unique(np.round(np.r_[np.linspace(-1.0, 1.0, 21),
                                            -0.05, -0.02, 0.02, 0.05], 6)),
            steps=2000, batch=256, width=64, depth=3, eval_samples=8192)
SMOKE = dict(thetas=np.array([-1.0, -0.5, 0.0, 0.5, 1.0]), steps=500, batch=64, width=32,
             depth=2, eval_samples=2048)
LR, GP_LAMBDA, SEED = 1e-3, 10.0, 0


def segments(key, theta, n: int):
  """n points of P0 = (0, u) and n of P_theta = (theta, u), u ~ U[0, 1]: [n, 2] each."""
  k0, k1 = jax.random.split(key)
  u0, u1 = jax.random.uniform(k0, (n, 1)), jax.random.uniform(k1, (n, 1))
  return (jnp.concatenate([jnp.zeros_like(u0), u0], 1),
          jnp.concatenate([jnp.full_like(u1, theta), u1], 1))


def exact_js(thetas):
  return np.where(np.asarray(thetas) == 0.0, 0.0, np.log(2.0))


def exact_w(thetas):
  return np.abs(np.asarray(thetas))


def make_estimator(width: int, depth: int, steps: int, batch: int, eval_samples: int):
  """`estimate(keys [T, 2], thetas [T]) -> (js [T], w [T])`, jit(vmap) over theta."""
  net = mlp.Discriminator(width=width, depth=depth)
  tx = train_step.optimizer(config_lib.optimizer("adam", lr=LR, b1=0.5, b2=0.9), steps)
  apply = lambda params, x: net.apply({"params": params}, x)

  def js_loss(params, real, fake, key):
    del key
    return losses.d_minimax(apply(params, real), apply(params, fake))

  def w_loss(params, real, fake, key):
    f = lambda x: apply(params, x)
    penalty = regularizers.gradient_penalty(f, real, fake, key, parallel.Context())
    return losses.d_wasserstein(f(real), f(fake)) + GP_LAMBDA * penalty

  def fit(loss_fn, key, theta):
    k_init, k_run = jax.random.split(key)
    params = net.init(k_init, jnp.zeros((1, 2)))["params"]

    def body(carry, k):
      params, opt = carry
      k_data, k_loss = jax.random.split(k)
      real, fake = segments(k_data, theta, batch)
      grads = jax.grad(loss_fn)(params, real, fake, k_loss)
      updates, opt = tx.update(grads, opt, params)
      return (optax.apply_updates(params, updates), opt), None

    (params, _), _ = jax.lax.scan(body, (params, tx.init(params)), jax.random.split(k_run, steps))
    return params

  def estimate(key, theta):
    k_js, k_w, k_eval = jax.random.split(key, 3)
    d_params, f_params = fit(js_loss, k_js, theta), fit(w_loss, k_w, theta)
    real, fake = segments(k_eval, theta, eval_samples)
    js = jnp.log(2.0) - 0.5 * losses.d_minimax(apply(d_params, real), apply(d_params, fake))
    w = -losses.d_wasserstein(apply(f_params, real), apply(f_params, fake))
    return js, w

  return jax.jit(jax.vmap(estimate))


def plot(thetas, js, w, path: str):
  import matplotlib.pyplot as plt
  fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4))
  fine = np.linspace(thetas.min(), thetas.max(), 401)
  a.plot(fine[fine < 0], np.full((fine < 0).sum(), np.log(2)), "k-", lw=1, label="exact JS")
  a.plot(fine[fine > 0], np.full((fine > 0).sum(), np.log(2)), "k-", lw=1)
  a.plot([0], [0], "ko", mfc="none")
  a.plot(thetas, js, "o", color="C3", label="estimated (trained D)")
  a.set_title("Jensen-Shannon: log 2 for every theta != 0")
  b.plot(fine, exact_w(fine), "k-", lw=1, label="exact W = |theta|")
  b.plot(thetas, w, "o", color="C0", label="estimated (critic with GP)")
  b.set_title("Wasserstein-1: grows as |theta|")
  for ax in (a, b):
    ax.set_xlabel("theta")
    ax.legend(loc="lower right" if ax is a else "upper center", fontsize=8)
  fig.suptitle("P0 = (0, U[0,1]) vs P_theta = (theta, U[0,1]) (Arjovsky et al., 2017, Fig. 1)",
               fontsize=10)
  fig.tight_layout()
  viz.save_figure(fig, path)


def main(argv=None):
  args = _common.parse_args(NAME, __doc__, argv)
  clock = _common.Clock()
  s = SMOKE if args.smoke else FULL
  thetas = np.asarray(s["thetas"], np.float32)
  estimate = make_estimator(s["width"], s["depth"], s["steps"], s["batch"], s["eval_samples"])
  keys = jax.random.split(jax.random.PRNGKey(SEED), len(thetas))
  js, w = (np.asarray(v, np.float64) for v in estimate(keys, jnp.asarray(thetas)))
  plot(thetas, js, w, os.path.join(args.out, f"{NAME}.png"))
  js_err, w_err = np.abs(js - exact_js(thetas)), np.abs(w - exact_w(thetas))
  numbers = {
      "theta": thetas, "js_estimate": js, "w_estimate": w,
      "js_exact": exact_js(thetas), "w_exact": exact_w(thetas),
      "js_max_abs_error": float(js_err.max()), "w_max_abs_error": float(w_err.max()),
      "js_max_abs_error_theta_nonzero": float(js_err[thetas != 0].max()),
      "protocol": {"net": f"MLP {s['depth']}x{s['width']} ReLU", "steps": s["steps"],
                   "batch": s["batch"], "optimizer": f"adam {LR} (0.5, 0.9)",
                   "gp_lambda": GP_LAMBDA, "eval_samples": s["eval_samples"], "seed": SEED,
                   "smoke": args.smoke},
      "seconds": clock.seconds()}
  path = _common.write_json(args.out, NAME, numbers)
  print(f"JS max abs error {js_err.max():.2e} (theta != 0: "
        f"{numbers['js_max_abs_error_theta_nonzero']:.2e}), W max abs error {w_err.max():.4f}")
  print(f"Wrote {path} in {clock.seconds()} s.")


if __name__ == "__main__":
  main()
