"""PyTorch versions of nine gan_jax train steps, for bench/vs_torch.py (CPU) and
bench/accelerator.py (CUDA).

Each `make_<name>(compile=False, device="cpu")` builds the models and optimizers on
`device` and returns a `step()` callable doing one train step on a fixed random batch,
the same computation as the gan_jax step it mirrors. The fixed batch and the initial
weights are drawn on the CPU and then moved, so they are the same on every device; the
noise drawn inside a step comes from `device`'s generator. The steps are asynchronous
on CUDA: whoever times them calls torch.cuda.synchronize(). The steps:

  dcgan   the 28x28 (Fashion-MNIST) DCGAN of gan_jax/networks/dcgan.py, width 64,
          z 100, BatchNorm in G and D, batch 64, non-saturating loss, Adam 2e-4
          (0.5, 0.999). One D update on D(real) and D(G(z1)) (separate batch
          statistics, G under no_grad), then one G update on D(G(z2)), z2 fresh.
  mlp     the toy 2-D networks of gan_jax/networks/mlp.py: 3 hidden layers of 512 ReLU
          units in G and D, z 2, batch 256, non-saturating loss, Adam 1e-4 (0.5, 0.999).
  wgan_gp the DCGAN image step of WGAN-GP (Gulrajani et al., 2017): 5 critic updates
          (each on its own real batch) with the gradient penalty (a double backward),
          a layer-normalised critic (GroupNorm(1, C): statistics over C, H, W, per-
          channel affine, as gan_jax's 'layer'), then one G update; Adam 1e-4 (0.5, 0.9).
  pix2pix the default of experiments/pix2pix.py (gan_jax/networks/pix2pix.py): 32x32
          edges -> images, U-Net of width 16 with skips and dropout 0.5 at its 3 deepest
          decoder levels, 70x70 PatchGAN of width 16 on (input, output), BatchNorm,
          batch 32, non-saturating cGAN loss + 100 x L1, Adam 2e-4 (0.5, 0.999). One D
          update (G's output under no_grad, dropout on), then one G update with a fresh
          forward pass of G.
  segan   the default of experiments/segan.py (gan_jax/networks/segan.py): 16,384-sample
          windows, 11 strided 1-D convs (kernel 31) of width 2 (2 ... 128 channels) with
          PReLU, z at the bottleneck, skips, transposed-conv decoder; D on (x, noisy)
          pairs with BatchNorm and LeakyReLU(0.3); batch 16, least squares + 100 x L1
          on pre-emphasised windows, Adam 2e-4 (0.5, 0.999).
  cyclegan the default of experiments/cyclegan.py (gan_jax/methods/cyclegan.py): 32x32
          Kai <-> Ming glyphs, two ResNet generators (width 16, 6 blocks, reflection
          padding, InstanceNorm2d without affine, the authors' ResnetGenerator) and two
          70x70 PatchGANs (width 16, instance norm), batch 8, least squares, cycle
          weight 10, identity 5, a 50-image pool per D (the authors' ImagePool), Adam 2e-4
          (0.5, 0.999). One D update (both G under no_grad, fakes through the pools, both
          D losses summed), then one G update with fresh forward passes.
  video   the default GAN of experiments/video.py (gan_jax/networks/video.py): 4 past ->
          4 future 32x32 frames stacked on channels, a conv U-Net G of width 32 (3
          stride-2 levels, layer norm with per-channel affine, z 16 through a linear
          layer to the bottleneck), a conv D of width 32 on (past, future), batch 32,
          non-saturating loss + 10 x MSE of the first future frame, Adam 2e-4 (0.5,
          0.999). One D update (G under no_grad), then one G update with a fresh z.
  text_seqgan / text_gumbel  the adversarial step of experiments/text_gan.py on the
          oracle (gan_jax/methods/text_gan.py, gan_jax/networks/text.py): vocabulary
          1,000 (id 0 masked out of G's logits), sequences of 20, batch 64; G an LSTM
          language model (embedding 32, nn.LSTMCell of 32 with flax's one bias per gate,
          Linear to 1,000 logits) run one step at a time in a Python loop; D a CNN
          (embedding 64, Conv1d windows 2-5 with 32 filters each, ReLU, max over time,
          one highway layer, Linear to a logit); non-saturating D loss; G Adam 1e-3 (the
          adversarial rate), D Adam 1e-3, both (0.9, 0.999). One D update on real ids and
          G's fakes (no_grad), then one G update: `text_seqgan` samples 64 sequences by
          inverse CDF, scores each prefix by sigmoid(D) of 4 Monte Carlo completions (all
          19 x 4 x 64 = 4,864 rollouts sampled as one batch, then one D pass) and D's score
          of the whole sequence, and descends REINFORCE's -mean(sum_t Q_t log G(y_t));
          `text_gumbel` feeds straight-through Gumbel-softmax one-hots (tau 1 -> 0.1)
          back into G and through D (one-hot @ embedding), non-saturating G loss. Both add
          the teacher-forced NLL of the real batch x mle_weight = 0, as gan_jax does.
          Parameter counts (asserted): G 73,320, D 125,953.

As in gan_jax, D's parameters get no gradient in the G update (requires_grad off), so
both frameworks do the same arithmetic. Run this file to time each step once:
  python bench/torch_reference.py [--steps 20] [--compile] [--device cuda]
"""
from __future__ import annotations

import argparse
import sys
import time

try:
  import torch
  from torch import nn
  import torch.nn.functional as F
except ImportError:
  sys.exit("bench/torch_reference.py needs PyTorch: pip install -e '.[bench]'")


def dcgan_28(width: int = 64, z_dim: int = 100, d_norm: str = "batch"):
  """(G, D) with gan_jax's 28-pixel DCGAN architecture and N(0, 0.02) init."""
  w = width

  class Generator(nn.Module):
    def __init__(self):
      super().__init__()
      self.fc = nn.Linear(z_dim, 7 * 7 * 2 * w, bias=False)
      self.bn0 = nn.BatchNorm2d(2 * w)
      self.up1 = nn.ConvTranspose2d(2 * w, w, 4, 2, 1, bias=False)
      self.bn1 = nn.BatchNorm2d(w)
      self.up2 = nn.ConvTranspose2d(w, 1, 4, 2, 1)

    def forward(self, z):
      x = F.relu(self.bn0(self.fc(z).view(-1, 2 * w, 7, 7)))
      x = F.relu(self.bn1(self.up1(x)))
      return torch.tanh(self.up2(x))

  norm = {"batch": lambda c: nn.BatchNorm2d(c), "layer": lambda c: nn.GroupNorm(1, c),
          "none": lambda c: nn.Identity()}[d_norm]
  d = nn.Sequential(
      nn.Conv2d(1, w, 4, 2, 1), nn.LeakyReLU(0.2),
      nn.Conv2d(w, 2 * w, 4, 2, 1, bias=d_norm != "batch"), norm(2 * w), nn.LeakyReLU(0.2),
      nn.Flatten(), nn.Linear(7 * 7 * 2 * w, 1))
  g = Generator()
  for m in list(g.modules()) + list(d.modules()):
    if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
      nn.init.normal_(m.weight, 0.0, 0.02)
    elif isinstance(m, nn.BatchNorm2d):
      nn.init.normal_(m.weight, 1.0, 0.02)
      nn.init.zeros_(m.bias)
  return g, d


def mlp(width: int = 512, depth: int = 3, z_dim: int = 2, out_dim: int = 2):
  def net(n_in, n_out):
    mods, d = [], n_in
    for _ in range(depth):
      mods += [nn.Linear(d, width), nn.ReLU()]
      d = width
    return nn.Sequential(*mods, nn.Linear(d, n_out))
  return net(z_dim, out_dim), net(out_dim, 1)


def _maybe_compile(module, compile: bool):
  return torch.compile(module) if compile else module


def _gan_step(g, d, real_batches, z_dim, opt_g, opt_d, d_loss_fn, g_loss_fn, penalty=None):
  """One step: len(real_batches) D updates, then one G update (fresh z each time, on
  the real batches' device)."""
  batch, device = real_batches[0].shape[0], real_batches[0].device
  d_params = list(d.parameters())

  def step():
    for real in real_batches:
      with torch.no_grad():
        fake = g(torch.randn(batch, z_dim, device=device))
      loss = d_loss_fn(d(real), d(fake))
      if penalty is not None:
        loss = loss + penalty(d, real, fake)
      opt_d.zero_grad(set_to_none=True)
      loss.backward()
      opt_d.step()
    for p in d_params:
      p.requires_grad_(False)
    loss = g_loss_fn(d(g(torch.randn(batch, z_dim, device=device))))
    opt_g.zero_grad(set_to_none=True)
    loss.backward()
    opt_g.step()
    for p in d_params:
      p.requires_grad_(True)
    return loss
  return step


def _d_nonsaturating(real, fake):
  return F.softplus(-real).mean() + F.softplus(fake).mean()


def _g_nonsaturating(fake):
  return F.softplus(-fake).mean()


def make_dcgan(compile: bool = False, batch: int = 64, device: str = "cpu"):
  """The 28x28 DCGAN step (non-saturating loss, Adam 2e-4, betas (0.5, 0.999))."""
  torch.manual_seed(0)
  g, d = (net.to(device) for net in dcgan_28())
  opt_g = torch.optim.Adam(g.parameters(), 2e-4, betas=(0.5, 0.999))
  opt_d = torch.optim.Adam(d.parameters(), 2e-4, betas=(0.5, 0.999))
  real = [(torch.rand(batch, 1, 28, 28) * 2 - 1).to(device)]
  return _gan_step(_maybe_compile(g, compile), _maybe_compile(d, compile), real, 100,
                   opt_g, opt_d, _d_nonsaturating, _g_nonsaturating)


def make_mlp(compile: bool = False, batch: int = 256, device: str = "cpu"):
  """The toy 2-D MLP step (non-saturating loss, Adam 1e-4, betas (0.5, 0.999))."""
  torch.manual_seed(0)
  g, d = (net.to(device) for net in mlp())
  opt_g = torch.optim.Adam(g.parameters(), 1e-4, betas=(0.5, 0.999))
  opt_d = torch.optim.Adam(d.parameters(), 1e-4, betas=(0.5, 0.999))
  real = [torch.randn(batch, 2).to(device)]
  return _gan_step(_maybe_compile(g, compile), _maybe_compile(d, compile), real, 2,
                   opt_g, opt_d, _d_nonsaturating, _g_nonsaturating)


def gradient_penalty(d, real, fake):
  """E[(||grad D(x_hat)||_2 - 1)^2], x_hat = eps x + (1 - eps) G(z) (WGAN-GP, Eq. 3)."""
  eps = torch.rand(real.shape[0], 1, 1, 1, device=real.device)
  x_hat = (eps * real + (1 - eps) * fake).requires_grad_(True)
  grad, = torch.autograd.grad(d(x_hat).sum(), x_hat, create_graph=True)
  norm = torch.sqrt(grad.flatten(1).pow(2).sum(1) + 1e-12)
  return 10.0 * ((norm - 1.0) ** 2).mean()


def make_wgan_gp(compile: bool = False, batch: int = 64, n_critic: int = 5,
                 device: str = "cpu"):
  """The WGAN-GP DCGAN step: n_critic critic updates with the penalty, one G update."""
  torch.manual_seed(0)
  g, d = (net.to(device) for net in dcgan_28(d_norm="layer"))
  opt_g = torch.optim.Adam(g.parameters(), 1e-4, betas=(0.5, 0.9))
  opt_d = torch.optim.Adam(d.parameters(), 1e-4, betas=(0.5, 0.9))
  real = [(torch.rand(batch, 1, 28, 28) * 2 - 1).to(device) for _ in range(n_critic)]
  return _gan_step(_maybe_compile(g, compile), _maybe_compile(d, compile), real, 100,
                   opt_g, opt_d, lambda r, f: f.mean() - r.mean(), lambda f: -f.mean(),
                   penalty=gradient_penalty)


def unet(size: int = 32, channels: int = 1, width: int = 16, dropout_layers: int = 3):
  """gan_jax's U-Net (networks/pix2pix.py; the authors' UnetGenerator): n = log2(size)
  stride-2 4x4 convs down to 1x1, mirrored transposed convs up, skips by concatenation."""
  n = size.bit_length() - 1
  widths = [min(width * 2 ** i, 8 * width) for i in range(n)]

  class UNet(nn.Module):
    def __init__(self):
      super().__init__()
      self.down = nn.ModuleList(
          nn.Conv2d(channels if i == 0 else widths[i - 1], widths[i], 4, 2, 1,
                    bias=not 0 < i < n - 1) for i in range(n))
      self.down_bn = nn.ModuleList(nn.BatchNorm2d(widths[i]) if 0 < i < n - 1
                                   else nn.Identity() for i in range(n))
      up_in = lambda i: widths[i] * (1 if i == n - 1 else 2)
      self.up = nn.ModuleList(
          nn.ConvTranspose2d(up_in(i), channels if i == 0 else widths[i - 1], 4, 2, 1,
                             bias=i == 0) for i in range(n))
      self.up_bn = nn.ModuleList(nn.Identity() if i == 0 else nn.BatchNorm2d(widths[i - 1])
                                 for i in range(n))
      self.drop = [n - 1 - dropout_layers <= i <= n - 2 for i in range(n)]

    def forward(self, a):
      x, encoded = a, []
      for i in range(n):
        x = self.down_bn[i](self.down[i](F.leaky_relu(x, 0.2) if i else x))
        encoded.append(x)
      for i in reversed(range(n)):
        x = self.up[i](F.relu(x))
        if i == 0:
          return torch.tanh(x)
        x = self.up_bn[i](x)
        if self.drop[i]:
          x = F.dropout(x, 0.5, self.training)
        x = torch.cat([encoded[i - 1], x], 1)

  return UNet()


def patchgan(in_channels: int = 2, width: int = 16, strided: int = 3):
  """The 70x70 PatchGAN (strided = 3): 4x4 convs with padding 1, BatchNorm after all but
  the first and the last, LeakyReLU(0.2)."""
  mods, c = [], in_channels
  plan = [(min(width * 2 ** i, 8 * width), 2) for i in range(strided)]
  plan.append((min(width * 2 ** strided, 8 * width), 1))
  for i, (w, s) in enumerate(plan):
    mods += [nn.Conv2d(c, w, 4, s, 1, bias=i == 0)] + ([nn.BatchNorm2d(w)] if i else [])
    mods.append(nn.LeakyReLU(0.2))
    c = w
  return nn.Sequential(*mods, nn.Conv2d(c, 1, 4, 1, 1))


def make_pix2pix(compile: bool = False, batch: int = 32, size: int = 32, device: str = "cpu"):
  """The pix2pix step (L1 + cGAN, lambda 100, Adam 2e-4, betas (0.5, 0.999))."""
  torch.manual_seed(0)
  g, d = unet(size), patchgan()
  for m in list(g.modules()) + list(d.modules()):
    if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
      nn.init.normal_(m.weight, 0.0, 0.02)
  g, d = g.to(device), d.to(device)
  opt_g = torch.optim.Adam(g.parameters(), 2e-4, betas=(0.5, 0.999))
  opt_d = torch.optim.Adam(d.parameters(), 2e-4, betas=(0.5, 0.999))
  a = ((torch.rand(batch, 1, size, size) > 0.8).float() * 2 - 1).to(device)
  b = (torch.rand(batch, 1, size, size) * 2 - 1).to(device)
  g, d = _maybe_compile(g, compile), _maybe_compile(d, compile)
  d_params = list(d.parameters())

  def step():
    with torch.no_grad():
      fake = g(a)
    loss = _d_nonsaturating(d(torch.cat([a, b], 1)), d(torch.cat([a, fake], 1)))
    opt_d.zero_grad(set_to_none=True)
    loss.backward()
    opt_d.step()
    for p in d_params:
      p.requires_grad_(False)
    fake = g(a)
    loss = _g_nonsaturating(d(torch.cat([a, fake], 1))) + 100.0 * (fake - b).abs().mean()
    opt_g.zero_grad(set_to_none=True)
    loss.backward()
    opt_g.step()
    for p in d_params:
      p.requires_grad_(True)
    return loss
  return step


def segan_nets(width: int = 2, depth: int = 11, kernel: int = 31):
  """gan_jax's SEGAN networks (networks/segan.py): G, 1-D conv encoder (stride 2, PReLU
  per channel, init 0) with skips and z concatenated at the bottleneck, transposed-conv
  decoder ending in tanh; D on (x, noisy) pairs: convs -> BatchNorm -> LeakyReLU(0.3),
  then a 1x1 conv and a linear layer. Paddings give lengths T / 2 and 2 T as 'SAME'."""
  widths = [width * m for m in (1, 2, 2, 4, 4, 8, 8, 16, 16, 32, 64)[:depth]]
  pad = kernel // 2

  class G(nn.Module):
    def __init__(self):
      super().__init__()
      self.enc = nn.ModuleList(nn.Conv1d(1 if i == 0 else widths[i - 1], widths[i], kernel,
                                         2, pad) for i in range(depth))
      self.enc_act = nn.ModuleList(nn.PReLU(c, init=0.0) for c in widths)
      outs = widths[:-1][::-1] + [1]
      ins = [2 * widths[-1]] + [2 * c for c in widths[:-1][::-1]]
      self.dec = nn.ModuleList(nn.ConvTranspose1d(i, o, kernel, 2, pad, output_padding=1)
                               for i, o in zip(ins, outs))
      self.dec_act = nn.ModuleList(nn.PReLU(c, init=0.0) for c in outs[:-1])

    def forward(self, x, z):
      h, skips = x[:, None], []
      for i, (conv, act) in enumerate(zip(self.enc, self.enc_act)):
        h = conv(h)
        if i < depth - 1:
          skips.append(h)
        h = act(h)
      h = torch.cat([z, h], 1)
      for j, conv in enumerate(self.dec):
        h = conv(h)
        if j == depth - 1:
          return torch.tanh(h[:, 0])
        h = torch.cat([self.dec_act[j](h), skips[-(j + 1)]], 1)

  mods, c = [], 2
  for w in widths:
    mods += [nn.Conv1d(c, w, kernel, 2, pad, bias=False), nn.BatchNorm1d(w), nn.LeakyReLU(0.3)]
    c = w
  d = nn.Sequential(*mods, nn.Conv1d(c, 1, 1), nn.Flatten(), nn.LazyLinear(1))
  return G(), d, widths


def make_segan(compile: bool = False, batch: int = 16, window: int = 16384,
               device: str = "cpu"):
  """The default experiments/segan.py step: width 2, 11 layers, kernel 31, pre-emphasis
  0.95, least squares (with the 1/2) + 100 x L1, Adam 2e-4 (0.5, 0.999). One D update on
  (clean, noisy) and (G(noisy, z1), noisy) pairs, then one G update with z2."""
  torch.manual_seed(0)
  g, d, widths = segan_nets()
  d(torch.zeros(2, 2, window))  # materialises the lazy linear layer
  for m in list(g.modules()) + list(d.modules()):
    if isinstance(m, (nn.Conv1d, nn.ConvTranspose1d, nn.Linear)):
      nn.init.trunc_normal_(m.weight, 0.0, 0.02, -0.04, 0.04)
  g, d = g.to(device), d.to(device)
  opt_g = torch.optim.Adam(g.parameters(), 2e-4, betas=(0.5, 0.999))
  opt_d = torch.optim.Adam(d.parameters(), 2e-4, betas=(0.5, 0.999))
  pre = lambda x: torch.cat([x[:, :1], x[:, 1:] - 0.95 * x[:, :-1]], 1)
  noisy = pre(torch.rand(batch, window) - 0.5).to(device)
  clean = pre(torch.rand(batch, window) - 0.5).to(device)
  z_shape = (batch, widths[-1], window // 2 ** len(widths))
  g, d = _maybe_compile(g, compile), _maybe_compile(d, compile)
  d_params = list(d.parameters())
  pair = lambda x: torch.stack([x, noisy], 1)

  def step():
    with torch.no_grad():
      fake = g(noisy, torch.randn(z_shape, device=device))
    loss = 0.5 * ((d(pair(clean)) - 1) ** 2).mean() + 0.5 * (d(pair(fake)) ** 2).mean()
    opt_d.zero_grad(set_to_none=True)
    loss.backward()
    opt_d.step()
    for p in d_params:
      p.requires_grad_(False)
    fake = g(noisy, torch.randn(z_shape, device=device))
    loss = 0.5 * ((d(pair(fake)) - 1) ** 2).mean() + 100.0 * (fake - clean).abs().mean()
    opt_g.zero_grad(set_to_none=True)
    loss.backward()
    opt_g.step()
    for p in d_params:
      p.requires_grad_(True)
    return loss
  return step


def resnet_generator(channels: int = 1, width: int = 16, blocks: int = 6):
  """The authors' ResnetGenerator (pytorch-CycleGAN-and-pix2pix) with instance norm:
  c7s1-w, d2w, d4w, `blocks` residual blocks, u2w, uw, c7s1-channels, tanh."""
  w = width
  norm = lambda c: nn.InstanceNorm2d(c)  # affine=False, no running statistics

  class Block(nn.Module):
    def __init__(self, c):
      super().__init__()
      self.body = nn.Sequential(nn.ReflectionPad2d(1), nn.Conv2d(c, c, 3), norm(c),
                                nn.ReLU(True), nn.ReflectionPad2d(1), nn.Conv2d(c, c, 3),
                                norm(c))

    def forward(self, x):
      return x + self.body(x)

  return nn.Sequential(
      nn.ReflectionPad2d(3), nn.Conv2d(channels, w, 7), norm(w), nn.ReLU(True),
      nn.Conv2d(w, 2 * w, 3, 2, 1), norm(2 * w), nn.ReLU(True),
      nn.Conv2d(2 * w, 4 * w, 3, 2, 1), norm(4 * w), nn.ReLU(True),
      *[Block(4 * w) for _ in range(blocks)],
      nn.ConvTranspose2d(4 * w, 2 * w, 3, 2, 1, output_padding=1), norm(2 * w), nn.ReLU(True),
      nn.ConvTranspose2d(2 * w, w, 3, 2, 1, output_padding=1), norm(w), nn.ReLU(True),
      nn.ReflectionPad2d(3), nn.Conv2d(w, channels, 7), nn.Tanh())


def patchgan_instance(in_channels: int = 1, width: int = 16):
  """The authors' 70x70 NLayerDiscriminator with instance norm (biases everywhere)."""
  mods, c = [], in_channels
  for i, (w, s) in enumerate([(width, 2), (2 * width, 2), (4 * width, 2), (8 * width, 1)]):
    mods += [nn.Conv2d(c, w, 4, s, 1)] + ([nn.InstanceNorm2d(w)] if i else [])
    mods.append(nn.LeakyReLU(0.2, True))
    c = w
  return nn.Sequential(*mods, nn.Conv2d(c, 1, 4, 1, 1))


class ImagePool:
  """The authors' util/image_pool.py: fill to `size`, then with probability 1/2 return a
  stored image and store the new one in its place."""

  def __init__(self, size: int = 50):
    self.size, self.images = size, []

  def query(self, images):
    out = []
    for image in images:
      image = image.unsqueeze(0)
      if len(self.images) < self.size:
        self.images.append(image)
        out.append(image)
      elif torch.rand(()) > 0.5:
        slot = int(torch.randint(0, self.size, ()))
        out.append(self.images[slot].clone())
        self.images[slot] = image
      else:
        out.append(image)
    return torch.cat(out, 0)


def make_cyclegan(compile: bool = False, batch: int = 8, size: int = 32, device: str = "cpu"):
  """The CycleGAN step (LSGAN, lambda 10, identity 0.5 lambda, pools of 50)."""
  torch.manual_seed(0)
  g_ab, g_ba = resnet_generator(), resnet_generator()
  d_a, d_b = patchgan_instance(), patchgan_instance()
  for m in [m for net in (g_ab, g_ba, d_a, d_b) for m in net.modules()]:
    if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
      nn.init.normal_(m.weight, 0.0, 0.02)
  g_ab, g_ba, d_a, d_b = (net.to(device) for net in (g_ab, g_ba, d_a, d_b))
  opt_g = torch.optim.Adam(list(g_ab.parameters()) + list(g_ba.parameters()), 2e-4,
                           betas=(0.5, 0.999))
  opt_d = torch.optim.Adam(list(d_a.parameters()) + list(d_b.parameters()), 2e-4,
                           betas=(0.5, 0.999))
  a = ((torch.rand(batch, 1, size, size) > 0.8).float() * 2 - 1).to(device)
  b = ((torch.rand(batch, 1, size, size) > 0.8).float() * 2 - 1).to(device)
  g_ab, g_ba, d_a, d_b = (_maybe_compile(n, compile) for n in (g_ab, g_ba, d_a, d_b))
  pool_ab, pool_ba = ImagePool(), ImagePool()
  d_params = list(d_a.parameters()) + list(d_b.parameters())
  mse = lambda x, t: ((x - t) ** 2).mean()

  def step():
    with torch.no_grad():
      ab, ba = pool_ab.query(g_ab(a)), pool_ba.query(g_ba(b))
    loss = (0.5 * (mse(d_b(b), 1.0) + mse(d_b(ab), 0.0))
            + 0.5 * (mse(d_a(a), 1.0) + mse(d_a(ba), 0.0)))
    opt_d.zero_grad(set_to_none=True)
    loss.backward()
    opt_d.step()
    for p in d_params:
      p.requires_grad_(False)
    ab, ba = g_ab(a), g_ba(b)
    loss = (mse(d_b(ab), 1.0) + mse(d_a(ba), 1.0)
            + 10.0 * ((g_ba(ab) - a).abs().mean() + (g_ab(ba) - b).abs().mean())
            + 5.0 * ((g_ab(b) - b).abs().mean() + (g_ba(a) - a).abs().mean()))
    opt_g.zero_grad(set_to_none=True)
    loss.backward()
    opt_g.step()
    for p in d_params:
      p.requires_grad_(True)
    return loss
  return step


class _LayerNorm(nn.Module):
  """gan_jax's 'layer' norm: statistics over C, H, W per sample, per-channel affine."""

  def __init__(self, channels: int):
    super().__init__()
    self.norm = nn.GroupNorm(1, channels, eps=1e-5)

  def forward(self, x):
    return self.norm(x)


def video_nets(past: int = 4, future: int = 4, width: int = 32, depth: int = 3,
               z_dim: int = 16, size: int = 32):
  """(G, D) of gan_jax/networks/video.py (channels first)."""
  bottleneck = size // 2 ** depth

  class G(nn.Module):
    def __init__(self):
      super().__init__()
      widths = [width * 2 ** i for i in range(depth)]
      self.down = nn.ModuleList(nn.Conv2d(past if i == 0 else widths[i - 1], widths[i], 4, 2, 1)
                                for i in range(depth))
      self.down_norm = nn.ModuleList(_LayerNorm(w) for w in widths)
      self.code = nn.Linear(z_dim, bottleneck ** 2 * width)
      up_out = [width * 2 ** max(i - 1, 0) for i in range(depth)]
      up_in = [widths[-1] + width if i == depth - 1 else 2 * up_out[i + 1]
               for i in range(depth)]
      self.up = nn.ModuleList(nn.ConvTranspose2d(up_in[i], up_out[i], 4, 2, 1)
                              for i in range(depth))
      self.up_norm = nn.ModuleList(_LayerNorm(c) for c in up_out)
      self.out = nn.Conv2d(up_out[0], future, 3, 1, 1)

    def forward(self, x, z):
      skips = []
      for conv, norm in zip(self.down, self.down_norm):
        x = F.leaky_relu(norm(conv(x)), 0.2)
        skips.append(x)
      code = F.relu(self.code(z)).view(-1, width, bottleneck, bottleneck)
      x = torch.cat([x, code], 1)
      for i in reversed(range(depth)):
        x = F.relu(self.up_norm[i](self.up[i](x)))
        if i > 0:
          x = torch.cat([x, skips[i - 1]], 1)
      return torch.tanh(self.out(x))

  class D(nn.Module):
    def __init__(self):
      super().__init__()
      widths = [width * 2 ** i for i in range(depth)]
      self.convs = nn.ModuleList(nn.Conv2d(past + future if i == 0 else widths[i - 1],
                                           widths[i], 4, 2, 1) for i in range(depth))
      self.norms = nn.ModuleList(nn.Identity() if i == 0 else _LayerNorm(widths[i])
                                 for i in range(depth))
      self.head = nn.Linear(widths[-1] * bottleneck ** 2, 1)

    def forward(self, x):
      for conv, norm in zip(self.convs, self.norms):
        x = F.leaky_relu(norm(conv(x)), 0.2)
      return self.head(x.flatten(1))[:, 0]

  return G(), D()


def make_video(compile: bool = False, batch: int = 32, size: int = 32, device: str = "cpu"):
  """The default experiments/video.py GAN step (non-saturating + 10 x MSE of the first
  future frame, Adam 2e-4 (0.5, 0.999))."""
  torch.manual_seed(0)
  g, d = video_nets(size=size)
  g, d = g.to(device), d.to(device)
  opt_g = torch.optim.Adam(g.parameters(), 2e-4, betas=(0.5, 0.999))
  opt_d = torch.optim.Adam(d.parameters(), 2e-4, betas=(0.5, 0.999))
  past = (torch.rand(batch, 4, size, size) * 2 - 1).to(device)
  future = (torch.rand(batch, 4, size, size) * 2 - 1).to(device)
  g, d = _maybe_compile(g, compile), _maybe_compile(d, compile)
  d_params = list(d.parameters())
  z = lambda: torch.randn(batch, 16, device=device)

  def step():
    with torch.no_grad():
      fake = g(past, z())
    loss = _d_nonsaturating(d(torch.cat([past, future], 1)), d(torch.cat([past, fake], 1)))
    opt_d.zero_grad(set_to_none=True)
    loss.backward()
    opt_d.step()
    for p in d_params:
      p.requires_grad_(False)
    fake = g(past, z())
    loss = (_g_nonsaturating(d(torch.cat([past, fake], 1)))
            + 10.0 * ((fake[:, :1] - future[:, :1]) ** 2).mean())
    opt_g.zero_grad(set_to_none=True)
    loss.backward()
    opt_g.step()
    for p in d_params:
      p.requires_grad_(True)
    return loss
  return step


# ---------------------------------------------------------------- text GANs

TEXT_PARAMS = {"g": 73_320, "d": 125_953}  # gan_jax's counts (experiments/text_gan.py, oracle)
_NEG = -1e9  # gan_jax/networks/text.py's masked logit


def text_nets(vocab: int = 1000, embed: int = 32, hidden: int = 32, d_embed: int = 64,
              filters: int = 32, windows=(2, 3, 4, 5), mask_pad: bool = True):
  """(G, D) of gan_jax/networks/text.py. G's forward is ONE LSTM step, ((h, c), x [B, E])
  -> ((h, c), logits [B, V]), as the flax module; D maps ids [B, L] or (soft) one-hots
  [B, L, V] (x @ embedding) to logits [B]."""

  class G(nn.Module):
    def __init__(self):
      super().__init__()
      self.embedding = nn.Embedding(vocab, embed)
      self.cell = nn.LSTMCell(embed, hidden)
      # flax's LSTMCell has one bias per gate (on its hidden-state Dense), PyTorch's two
      # (b_ih + b_hh): b_ih becomes a zero buffer, so the parameters are flax's
      del self.cell.bias_ih
      self.cell.register_buffer("bias_ih", torch.zeros(4 * hidden))
      self.out = nn.Linear(hidden, vocab)
      self.register_buffer("pad", torch.arange(vocab) == 0)
      nn.init.normal_(self.embedding.weight, 0.0, 0.1)

    def forward(self, state, x):
      h, c = self.cell(x, state)
      logits = self.out(h)
      if mask_pad:
        logits = logits.masked_fill(self.pad, _NEG)
      return (h, c), logits

  class D(nn.Module):
    def __init__(self):
      super().__init__()
      self.windows = windows
      self.embedding = nn.Embedding(vocab, d_embed)
      nn.init.normal_(self.embedding.weight, 0.0, 0.1)
      self.convs = nn.ModuleList(nn.Conv1d(d_embed, filters, w) for w in windows)
      width = filters * len(windows)
      self.gate, self.transform = nn.Linear(width, width), nn.Linear(width, width)
      self.head = nn.Linear(width, 1)

    def forward(self, x):
      e = self.embedding(x) if not x.is_floating_point() else x @ self.embedding.weight
      e = e.transpose(1, 2)  # [B, E, L]
      h = torch.cat([F.relu(conv(e)).amax(-1) for conv, w in zip(self.convs, self.windows)
                     if w <= e.shape[-1]], 1)
      gate = torch.sigmoid(self.gate(h))  # highway
      h = gate * F.relu(self.transform(h)) + (1.0 - gate) * h
      return self.head(h)[:, 0]

  return G(), D()


def _text_state(n: int, hidden: int, device):
  return (torch.zeros(n, hidden, device=device), torch.zeros(n, hidden, device=device))


def text_teacher_logits(g, table, tokens, hidden: int = 32):
  """[B, L, V] logits of x_t given x_<t (x_0's input: id 0), as TextGAN.logits."""
  inputs = torch.cat([torch.zeros_like(tokens[:, :1]), tokens[:, :-1]], 1)
  x = F.embedding(inputs, table)
  state, out = _text_state(tokens.shape[0], hidden, tokens.device), []
  for t in range(tokens.shape[1]):
    state, logits = g(state, x[:, t])
    out.append(logits)
  return torch.stack(out, 1)


def text_log_likelihood(g, table, tokens):
  logp = F.log_softmax(text_teacher_logits(g, table, tokens), -1)
  return logp.gather(-1, tokens[..., None])[..., 0]


def text_sample(g, table, n: int, length: int, prefix=None, prefix_len=None,
                hidden: int = 32):
  """int64 [n, L] drawn from G by TextGAN.sample_tokens' inverse CDF (one uniform per row
  and step); positions < prefix_len keep the prefix's tokens (rollouts)."""
  device, vocab = table.device, table.shape[0]
  state, prev, out = _text_state(n, hidden, device), torch.zeros(n, dtype=torch.long,
                                                                  device=device), []
  for t in range(length):
    state, logits = g(state, F.embedding(prev, table))
    u = torch.rand(n, device=device)
    cdf = torch.cumsum(torch.softmax(logits, -1), -1)
    token = (cdf <= u[:, None] * cdf[:, -1:]).sum(-1).clamp_(max=vocab - 1)
    if prefix is not None:
      token = torch.where(t < prefix_len, prefix[:, t], token)
    out.append(token)
    prev = token
  return torch.stack(out, 1)


def text_gumbel(g, table, n: int, length: int, tau: float, straight_through: bool = True,
                hidden: int = 32):
  """float [n, L, V] relaxed one-hots, each fed back as the next input (y @ table), as
  TextGAN.gumbel_sample; straight-through: hard forward, soft backward."""
  device, vocab = table.device, table.shape[0]
  u = torch.rand(length, n, vocab, device=device).clamp_(min=torch.finfo(torch.float32).tiny)
  noise = -torch.log(-torch.log(u))  # jax.random.gumbel's
  state, x, ys = _text_state(n, hidden, device), table[0].expand(n, -1), []
  for t in range(length):
    state, logits = g(state, x)
    y = torch.softmax((logits + noise[t]) / tau, -1)
    if straight_through:
      hard = F.one_hot(y.argmax(-1), vocab).to(y.dtype)
      y = hard + y - y.detach()
    ys.append(y)
    x = y @ table
  return torch.stack(ys, 1)


def _make_text(estimator: str, compile: bool, batch: int, length: int, rollouts: int,
               device: str):
  """The adversarial step of experiments/text_gan.py (method=`estimator`, oracle): one D
  update on G's samples, then one G update; G Adam 1e-3 (the adversarial rate adv_lr),
  D Adam 1e-3, both (0.9, 0.999); mle_weight 0 (the NLL on the real batch is computed
  and enters G's loss x 0, as in gan_jax, whose weight is a runtime hyperparameter)."""
  torch.manual_seed(0)
  g, d = text_nets()
  counts = {k: sum(p.numel() for p in net.parameters()) for k, net in (("g", g), ("d", d))}
  assert counts == TEXT_PARAMS, f"parameter counts {counts}, gan_jax's {TEXT_PARAMS}"
  g, d = g.to(device), d.to(device)
  opt_g = torch.optim.Adam(g.parameters(), 1e-3, betas=(0.9, 0.999))
  opt_d = torch.optim.Adam(d.parameters(), 1e-3, betas=(0.9, 0.999))
  real = torch.randint(1, 1000, (batch, length)).to(device)  # oracle ids (0: padding)
  table = g.embedding.weight
  g, d = _maybe_compile(g, compile), _maybe_compile(d, compile)
  d_params = list(d.parameters())
  mle_weight, count = 0.0, [0]
  # tau of TextGAN.temperature: 1 -> 0.1 geometric over the 2,000 adversarial steps
  tau = lambda: 1.0 * 0.1 ** min(count[0] / 2000, 1.0)

  def fakes():
    if estimator == "gumbel":
      return text_gumbel(g, table, batch, length, tau())
    return text_sample(g, table, batch, length)

  def step():
    with torch.no_grad():
      fake = fakes()
    loss = _d_nonsaturating(d(real), d(fake))
    opt_d.zero_grad(set_to_none=True)
    loss.backward()
    opt_d.step()
    for p in d_params:
      p.requires_grad_(False)
    if estimator == "gumbel":
      adv = _g_nonsaturating(d(fakes()))
    else:  # REINFORCE, Q from `rollouts` completions of each prefix, all in one batch
      with torch.no_grad():
        tokens = text_sample(g, table, batch, length)
        final = torch.sigmoid(d(tokens))
        prefix_len = torch.arange(1, length, device=device).repeat_interleave(rollouts * batch)
        prefix = tokens.repeat((length - 1) * rollouts, 1)  # rows (L-1, R, B), as jnp.tile
        done = text_sample(g, table, prefix.shape[0], length, prefix, prefix_len)
        q = torch.sigmoid(d(done)).view(length - 1, rollouts, batch).mean(1).T
        q = torch.cat([q, final[:, None]], 1)
      adv = -(text_log_likelihood(g, table, tokens) * q).sum(1).mean()
    nll = -text_log_likelihood(g, table, real).mean(1).mean()
    loss = adv + mle_weight * nll
    opt_g.zero_grad(set_to_none=True)
    loss.backward()
    opt_g.step()
    for p in d_params:
      p.requires_grad_(True)
    count[0] += 1
    return loss
  step.param_counts = counts
  return step


def make_text_seqgan(compile: bool = False, batch: int = 64, length: int = 20,
                     rollouts: int = 4, device: str = "cpu"):
  """experiments/text_gan.py:method=seqgan's adversarial step (REINFORCE, 4 rollouts)."""
  return _make_text("seqgan", compile, batch, length, rollouts, device)


def make_text_gumbel(compile: bool = False, batch: int = 64, length: int = 20,
                     device: str = "cpu"):
  """experiments/text_gan.py:method=gumbel's adversarial step (straight-through)."""
  return _make_text("gumbel", compile, batch, length, 0, device)


STEPS = {"dcgan": make_dcgan, "mlp": make_mlp, "wgan_gp": make_wgan_gp,
         "pix2pix": make_pix2pix, "segan": make_segan, "cyclegan": make_cyclegan,
         "video": make_video, "text_seqgan": make_text_seqgan,
         "text_gumbel": make_text_gumbel}


def main():
  p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  p.add_argument("--steps", type=int, default=20)
  p.add_argument("--compile", action="store_true")
  p.add_argument("--device", default="cpu", help="cpu or cuda")
  args = p.parse_args()
  sync = torch.cuda.synchronize if args.device.startswith("cuda") else lambda: None
  print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {args.device}")
  for name, make in STEPS.items():
    step = make(compile=args.compile, device=args.device)
    for _ in range(3):
      step()
    sync()
    t0 = time.perf_counter()
    for _ in range(args.steps):
      step()
    sync()
    print(f"{name}: {args.steps / (time.perf_counter() - t0):.2f} steps/s")


if __name__ == "__main__":
  main()
