"""Pictures: toy-data snapshots with D's surface, image grids, loss curves (PNG files)."""
from __future__ import annotations

import os

import numpy as np
from PIL import Image


def _pyplot():
  """matplotlib.pyplot on the Agg backend, imported on first use: most processes
  (a training step, sampling, the tests' launch.py children) draw nothing with it, and
  importing it costs about a second of start-up."""
  import matplotlib
  matplotlib.use("Agg")
  import matplotlib.pyplot as plt
  return plt


def toy_limits(real: np.ndarray, fake: np.ndarray, margin: float = 0.5):
  both = np.concatenate([real, np.clip(fake, -8, 8)])
  return both.min(0) - margin, both.max(0) + margin


def toy_grid(low, high, n: int = 120) -> np.ndarray:
  """Grid points [n*n, 2] (2-D) or [n, 1] (1-D) covering [low, high]."""
  if len(low) == 1:
    return np.linspace(low[0], high[0], n)[:, None].astype(np.float32)
  xs = np.linspace(low[0], high[0], n)
  ys = np.linspace(low[1], high[1], n)
  return np.stack(np.meshgrid(xs, ys), -1).reshape(-1, 2).astype(np.float32)


def toy_figure(real, fake, grid, d_values, title: str = "", ax=None, pdf=None):
  """Generated points over real ones with D's output as a surface behind them (the look
  of WGAN-GP Fig. 1); in 1-D, histograms with D's output on a second axis."""
  own = ax is None
  if own:
    fig, ax = _pyplot().subplots(figsize=(5, 5) if real.shape[1] == 2 else (6, 3.5))
  if real.shape[1] == 2:
    n = int(round(np.sqrt(len(grid))))
    gx, gy = grid[:, 0].reshape(n, n), grid[:, 1].reshape(n, n)
    ax.contourf(gx, gy, np.asarray(d_values).reshape(n, n), levels=30, cmap="coolwarm",
                alpha=0.8)
    ax.scatter(real[:, 0], real[:, 1], s=2, c="orange", label="real")
    ax.scatter(fake[:, 0], fake[:, 1], s=2, c="green", alpha=0.5, label="generated")
    ax.set_xlim(grid[:, 0].min(), grid[:, 0].max())
    ax.set_ylim(grid[:, 1].min(), grid[:, 1].max())
    ax.set_aspect("equal")
  else:
    bins = np.linspace(grid.min(), grid.max(), 80)
    ax.hist(real[:, 0], bins, density=True, alpha=0.5, color="orange", label="real")
    ax.hist(np.clip(fake[:, 0], bins[0], bins[-1]), bins, density=True, alpha=0.5,
            color="green", label="generated")
    if pdf is not None:
      ax.plot(grid[:, 0], pdf(grid[:, 0]), "k-", lw=1, label="exact pdf")
    twin = ax.twinx()
    twin.plot(grid[:, 0], d_values, "b--", lw=1)
    twin.set_ylabel("D(x)", color="b")
  ax.set_title(title, fontsize=9)
  ax.legend(loc="upper right", fontsize=7, markerscale=3)
  if own:
    fig.tight_layout()
    return fig


def save_figure(fig, path: str) -> np.ndarray:
  """Writes `fig` as PNG and returns its pixels (HWC uint8) for TensorBoard."""
  os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
  fig.savefig(path, dpi=100)
  fig.canvas.draw()
  pixels = np.asarray(fig.canvas.buffer_rgba())[..., :3].copy()
  _pyplot().close(fig)
  return pixels


def image_grid(images: np.ndarray, rows: int | None = None, pad: int = 2) -> np.ndarray:
  """[N, H, W, C] in [-1, 1] -> one HWC uint8 grid image."""
  images = np.asarray(images)
  n, h, w, c = images.shape
  rows = rows or int(np.ceil(np.sqrt(n)))
  cols = int(np.ceil(n / rows))
  pixels = ((np.clip(images, -1, 1) + 1) * 127.5).round().astype(np.uint8)
  grid = np.full((rows * (h + pad) + pad, cols * (w + pad) + pad, c), 255, np.uint8)
  for i in range(n):
    r, col = divmod(i, cols)
    grid[pad + r * (h + pad):pad + r * (h + pad) + h,
         pad + col * (w + pad):pad + col * (w + pad) + w] = pixels[i]
  return grid


def annotated_grid(images: np.ndarray, scores: np.ndarray, title: str = "") -> "matplotlib.figure.Figure":
  """Image grid with D's score written under each cell."""
  n = len(images)
  cols = int(np.ceil(np.sqrt(n)))
  rows = int(np.ceil(n / cols))
  fig, axes = _pyplot().subplots(rows, cols, figsize=(cols * 0.9, rows * 1.05))
  for i, ax in enumerate(np.ravel(axes)):
    ax.axis("off")
    if i < n:
      img = (np.clip(images[i], -1, 1) + 1) / 2
      ax.imshow(img[..., 0] if img.shape[-1] == 1 else img, cmap="gray", vmin=0, vmax=1)
      ax.set_title(f"{float(scores[i]):.2f}", fontsize=6, pad=1)
  fig.suptitle(title, fontsize=8)
  fig.tight_layout(pad=0.2)
  return fig


def save_image(pixels: np.ndarray, path: str, scale: int = 1, title: str = "") -> None:
  """Writes `pixels` [H, W, C] uint8 as a PNG, `scale` x larger; `title`: a line of text
  on a white strip above the picture (e.g. a growing GAN's stage)."""
  os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
  img = Image.fromarray(pixels[..., 0] if pixels.shape[-1] == 1 else pixels)
  if scale > 1:
    img = img.resize((img.width * scale, img.height * scale), Image.NEAREST)
  if title:
    from PIL import ImageDraw
    titled = Image.new(img.mode, (img.width, img.height + 14), "white")
    titled.paste(img, (0, 14))
    ImageDraw.Draw(titled).text((2, 1), title, fill="black")
    img = titled
  img.save(path)


def loss_curves(rows: list[dict], path: str) -> None:
  """D loss, G loss and (where logged) the Wasserstein estimate against steps."""
  rows = [r for r in rows if "d_loss" in r]
  if not rows:
    return
  steps = [r["step"] for r in rows]
  keys = [k for k in ("d_loss", "g_loss", "wasserstein") if k in rows[-1]]
  fig, axes = _pyplot().subplots(1, len(keys), figsize=(4 * len(keys), 3))
  for ax, k in zip(np.atleast_1d(axes), keys):
    ax.plot(steps, [float(r.get(k, np.nan)) for r in rows])
    ax.set_title(k)
    ax.set_xlabel("step")
  fig.tight_layout()
  save_figure(fig, path)


if __name__ == "__main__":  # python -m gan_jax.viz DIR: redraw DIR/loss_curves.png
  import sys
  from gan_jax import writers
  for workdir in sys.argv[1:]:
    loss_curves(writers.read_metrics(workdir), os.path.join(workdir, "loss_curves.png"))
    print(f"Wrote {os.path.join(workdir, 'loss_curves.png')}")
