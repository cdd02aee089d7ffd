"""StyleGAN2's style mixing grid (Karras et al., 2019, Fig. 3) and truncation sweep
(Karras et al., 2020, Fig. 11 / 2019, Fig. 8), from a trained ``experiments/stylegan.py``
run.

- ``stylegan_mixing.png``: the top row holds the images of the column sources (the fine
  styles), the left column those of the row sources (the coarse styles). Each row
  block copies a row source's styles of the layers below the crossover and takes the
  rest from the column source: the first block (crossover `COARSE`: the layers at the
  smallest resolution) keeps a row source's coarse layout, the second (`MIDDLE`) its
  coarse and middle styles as well.
- ``stylegan_truncation.png``: rows psi = 1, 0.7, 0.5, 0.3, 0 (w_avg + psi (w - w_avg),
  w_avg the EMA kept in the state during training), the same z in every column; the
  row psi = 0 is the "average" image w_avg gives.

The numbers (``stylegan_mixing.json``): per row block, the mean absolute pixel
difference of the mixed images to their coarse (row) and their fine (column) sources;
per psi, the samples' mean per-pixel standard deviation over z (diversity; 0 at psi = 0).

  python -m experiments.figures.stylegan_mixing --out DIR --run WORKDIR [--seed S]
  python -m experiments.figures.stylegan_mixing --out DIR --smoke   # trains a 20-step run
"""
from __future__ import annotations

import os
import shutil

import jax
import jax.numpy as jnp
import numpy as np

from experiments.figures import _common
from gan_jax import train, viz

NAME = "stylegan_mixing"
ROWS, COLS = 3, 6          # row (coarse) and column (fine) sources
PSIS = (1.0, 0.7, 0.5, 0.3, 0.0)
TRUNCATION_COLS = 10


def crossovers(num_ws: int) -> tuple[int, int]:
  """(COARSE, MIDDLE): the ws index where the second and the third resolution start."""
  return 2, min(4, num_ws - 1)


def trained_run(args):
  if args.run:
    return args.run, _common.saved_config(args.run)
  config = _common.experiment_config("stylegan.py:smoke", {"eval.metrics": ()})
  workdir = os.path.join(args.out, "runs", NAME)
  shutil.rmtree(workdir, ignore_errors=True)
  train.train(config, workdir, progress=False)
  return workdir, config


def mixing_grid(method, g_vars, z_rows, z_cols, cutoffs):
  """(images [(1 + blocks x rows) x (1 + cols)], distances): the Fig. 3 layout with a
  blank corner; distances[b] = (to the coarse source, to the fine source)."""
  mixed = jax.jit(method.mixed)  # the crossover is traced: one compile
  psi1 = lambda z: np.asarray(mixed(g_vars, z, z, method.num_ws))
  row_img, col_img = psi1(z_rows), psi1(z_cols)
  blank = np.ones_like(col_img[:1])
  cells, distances = [np.concatenate([blank, col_img])], []
  for cutoff in cutoffs:
    to_coarse, to_fine = [], []
    for i in range(len(z_rows)):
      zr = jnp.repeat(z_rows[i:i + 1], len(z_cols), axis=0)
      out = np.asarray(mixed(g_vars, zr, z_cols, cutoff))
      to_coarse.append(np.abs(out - row_img[i]).mean())
      to_fine.append(np.abs(out - col_img).mean())
      cells.append(np.concatenate([row_img[i:i + 1], out]))
    distances.append({"cutoff": cutoff, "to_coarse_source": float(np.mean(to_coarse)),
                      "to_fine_source": float(np.mean(to_fine))})
  return np.concatenate(cells), distances


def truncation_rows(method, g_vars, z, psis):
  """Images [len(psis) x N] (psi-major) and each row's mean per-pixel std over z."""
  apply = jax.jit(lambda psi: jnp.clip(method.G.apply(g_vars, z, psi=psi), -1, 1))
  rows = [np.asarray(apply(psi)) for psi in psis]
  return np.concatenate(rows), [float(r.std(axis=0).mean()) for r in rows]


def main(argv=None):
  def extra(p):
    p.add_argument("--run", default="", help="a trained experiments/stylegan.py workdir")
    p.add_argument("--seed", type=int, default=0, help="the latents' seed")
  args = _common.parse_args(NAME, __doc__, argv, extra)
  clock = _common.Clock()
  workdir, config = trained_run(args)
  run = train.Run(config)
  state, _, step = run.restore(workdir)
  method, g_vars = run.method, run.generator_variables(state)
  keys = jax.random.split(jax.random.PRNGKey(args.seed), 3)
  z_rows = method.latent(keys[0], ROWS)
  z_cols = method.latent(keys[1], COLS)
  cutoffs = crossovers(method.num_ws)
  grid, distances = mixing_grid(method, g_vars, z_rows, z_cols, cutoffs)
  scale = max(1, 64 // grid.shape[1])
  viz.save_image(viz.image_grid(grid, rows=1 + len(cutoffs) * ROWS),
                 os.path.join(args.out, f"{NAME}.png"), scale=scale)
  z = method.latent(keys[2], TRUNCATION_COLS)
  images, diversity = truncation_rows(method, g_vars, z, PSIS)
  viz.save_image(viz.image_grid(images, rows=len(PSIS)),
                 os.path.join(args.out, "stylegan_truncation.png"), scale=scale)
  numbers = {"mixing": distances, "truncation": {"psi": list(PSIS), "diversity": diversity},
             "protocol": {"run": workdir, "step": step, "seed": args.seed, "rows": ROWS,
                          "cols": COLS, "num_ws": method.num_ws, "ema": config.ema.decay > 0,
                          "noise": "the fixed draw (noise_mode='const')",
                          "smoke": args.smoke},
             "seconds": clock.seconds()}
  path = _common.write_json(args.out, NAME, numbers)
  for d in distances:
    print(f"crossover {d['cutoff']}: |mixed - coarse source| {d['to_coarse_source']:.3f}, "
          f"|mixed - fine source| {d['to_fine_source']:.3f}")
  print("diversity by psi: " + ", ".join(f"{p}: {v:.3f}" for p, v in zip(PSIS, diversity)))
  print(f"Wrote {path} in {clock.seconds()} s.")


if __name__ == "__main__":
  main()
