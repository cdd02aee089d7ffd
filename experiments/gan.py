"""A GAN with any loss pair, on toy data by default.

Args (comma list): ``loss=minimax|nonsaturating|lsgan|hinge``, ``data=grid25|ring8|
swissroll|pdf1d|gauss1d|fashion_mnist|...``, ``smoke``. The networks are the WGAN-GP toy
MLPs (3 hidden layers of 512 ReLU units), Adam 1e-4, beta1 0.5, batch 256.
E.g. ``--config experiments/gan.py:loss=minimax,data=ring8``.

``net=pacgan`` (2-D data): the PacGAN protocol of the 2-D grid and ring (Lin et al.,
2018, the authors' code): G 4 x 400 Dense-BatchNorm-ReLU, D 3 maxout layers of 200 units
x 5 pieces (gan_jax/networks/pacgan_mlp.py), weights N(0, 0.02), Adam 1e-4 with beta1
0.8, batch 100 (x m with ``pack=m``), z ~ N(0, I_2). The paper trains 400 epochs of
100,000 points, 400,000 steps, the default here too (`--config.train.steps` sets
fewer; experiments/figures/mode_table.py's `--budget cpu` is what fits 2 CPU cores).

``net=unrolled`` (2-D data): the unrolled GAN paper's mixture setup (Metz et al., 2017,
App. A.1): G 2 x 128 ReLU, D 1 x 128 ReLU on its input / 4 (gan_jax/networks/
unrolled_mlp.py), orthogonal weights x 0.8, z ~ N(0, I_256), Adam 1e-4 with beta1 0.5
for both, 25,000 steps; batch 512 as in the authors' demo notebook. The paper's G loss
is the minimax one: pass ``loss=minimax`` for its Fig. 1. One step here is a D and a G
update; the paper counts either one as a step, so 25,000 steps here are twice its
updates (a deviation of budget, stated in the figure's docs).

Mode-collapse remedies (off by default; any combination):
- ``pack=<m>``: PacGAN (Lin et al., 2018), D decides on packs of m samples (model.pack);
  the batch grows to m x 256 samples (m x 100 with net=pacgan) so D still makes as many
  decisions, as in the paper.
- ``unroll=<k>``: unrolled GAN (Metz et al., 2017), G's loss through k unrolled D
  updates (train.unroll; k = 5 in the authors' 2-D notebook).
- ``minibatch=disc|stddev``: minibatch discrimination (Salimans et al., 2016) or the
  minibatch stddev layer (Karras et al., 2018) in D (model.minibatch).
"""
from gan_jax import config as config_lib

# The papers' 2-D protocols: (network, width, depth, z dim), batch, steps, Adam's beta1
# (lr 1e-4 for both nets in both papers). PacGAN: 400 epochs of 100,000 points at batch 100.
PAPER_NETS = {
    "pacgan": dict(model=("pacgan_mlp", 400, 4, 2), batch=100, steps=400_000, b1=0.8),
    "unrolled": dict(model=("unrolled_mlp", 128, 2, 256), batch=512, steps=25_000, b1=0.5),
}


def get_config(arg=None):
  arg = config_lib.parse_arg(arg, loss="nonsaturating", data="grid25", path="", net="mlp",
                             smoke=False, **config_lib.MODE_ARGS)
  c = config_lib.base()
  images = config_lib.set_data(c, arg.data, arg.path)
  c.loss.name = arg.loss
  c.data.batch_size = 64 if images else 256
  c.model.width, c.model.depth = (64, 3) if images else (512, 3)
  c.train.steps = 10_000
  c.log.every, c.sample.every, c.eval.every, c.ckpt.every = 100, 1000, 1000, 1000
  for net in ("g", "d"):
    c.optim[net] = config_lib.optimizer("adam", lr=1e-4, b1=0.5, b2=0.999)
  if arg.net != "mlp":
    if arg.net not in PAPER_NETS:
      raise ValueError(f"Unknown net={arg.net!r}; use mlp (the WGAN-GP toy MLPs), "
                       f"{' or '.join(PAPER_NETS)}.")
    if images:
      raise ValueError(f"net={arg.net} is a paper's MLP pair for the 2-D mixtures; use it "
                       "with toy data (data=grid25|ring8), not images.")
    p = PAPER_NETS[arg.net]
    c.model.name, c.model.width, c.model.depth, c.model.z_dim = p["model"]
    c.data.batch_size, c.train.steps = p["batch"], p["steps"]
    c.log.every, c.sample.every, c.eval.every, c.ckpt.every = 500, 5000, 5000, 5000
    for net in ("g", "d"):
      c.optim[net] = config_lib.optimizer("adam", lr=1e-4, b1=p["b1"], b2=0.999)
  if arg.smoke:
    config_lib.smoke(c)
  config_lib.set_modes(c, arg)
  c.lock()
  return c


def get_sweep(arg=None):
  """Every loss x 3 seeds (one vmapped group per loss)."""
  from gan_jax import sweep
  return sweep.product(sweep.axis("loss.name", ["minimax", "nonsaturating", "least_squares",
                                                "hinge"]), sweep.seeds(3))
