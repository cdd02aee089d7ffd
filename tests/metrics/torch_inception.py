"""pytorch-fid's FID InceptionV3, re-created in plain torch for the cross-check tests.

pytorch-fid (mseitzer/pytorch-fid, src/pytorch_fid/inception.py) builds torchvision's
InceptionV3 (`torchvision.models.inception_v3(num_classes=1008, aux_logits=False)`) and
swaps in FIDInceptionA, FIDInceptionC, FIDInceptionE_1 and FIDInceptionE_2, whose
forward passes differ from torchvision's only in their pool branch: average pooling
3x3 / stride 1 / padding 1 with count_include_pad=False, and max pooling in
FIDInceptionE_2 (Mixed_7c). Its InceptionV3 wrapper resizes a [0, 1] input with
F.interpolate(size=(299, 299), mode='bilinear', align_corners=False), maps it to
[-1, 1] by 2 x - 1 and returns the global average of Mixed_7c (pool3).

torchvision cannot be imported next to the CPU torch this project tests with, so the
modules are written here against torch.nn, with torchvision's layer names, channel
counts, kernel sizes, strides and paddings (torchvision/models/inception.py), so
pytorch-fid's state dict loads with strict=True. Independent of gan_jax's Flax port:
it shares no code with it, only the weights the tests load into both.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


class BasicConv2d(nn.Module):
  """torchvision's: conv without bias, BatchNorm (eps 0.001), ReLU."""

  def __init__(self, cin, cout, kernel_size, stride=1, padding=0):
    super().__init__()
    self.conv = nn.Conv2d(cin, cout, kernel_size, stride=stride, padding=padding, bias=False)
    self.bn = nn.BatchNorm2d(cout, eps=0.001)

  def forward(self, x):
    return F.relu(self.bn(self.conv(x)))


def _avg_pool(x):  # the FID patch: TF's average pool ignores the zero padding
  return F.avg_pool2d(x, kernel_size=3, stride=1, padding=1, count_include_pad=False)


class FIDInceptionA(nn.Module):
  def __init__(self, cin, pool_features):
    super().__init__()
    self.branch1x1 = BasicConv2d(cin, 64, 1)
    self.branch5x5_1 = BasicConv2d(cin, 48, 1)
    self.branch5x5_2 = BasicConv2d(48, 64, 5, padding=2)
    self.branch3x3dbl_1 = BasicConv2d(cin, 64, 1)
    self.branch3x3dbl_2 = BasicConv2d(64, 96, 3, padding=1)
    self.branch3x3dbl_3 = BasicConv2d(96, 96, 3, padding=1)
    self.branch_pool = BasicConv2d(cin, pool_features, 1)

  def forward(self, x):
    b5 = self.branch5x5_2(self.branch5x5_1(x))
    b3 = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
    return torch.cat([self.branch1x1(x), b5, b3, self.branch_pool(_avg_pool(x))], 1)


class InceptionB(nn.Module):
  def __init__(self, cin):
    super().__init__()
    self.branch3x3 = BasicConv2d(cin, 384, 3, stride=2)
    self.branch3x3dbl_1 = BasicConv2d(cin, 64, 1)
    self.branch3x3dbl_2 = BasicConv2d(64, 96, 3, padding=1)
    self.branch3x3dbl_3 = BasicConv2d(96, 96, 3, stride=2)

  def forward(self, x):
    b3 = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
    return torch.cat([self.branch3x3(x), b3, F.max_pool2d(x, 3, stride=2)], 1)


class FIDInceptionC(nn.Module):
  def __init__(self, cin, c7):
    super().__init__()
    self.branch1x1 = BasicConv2d(cin, 192, 1)
    self.branch7x7_1 = BasicConv2d(cin, c7, 1)
    self.branch7x7_2 = BasicConv2d(c7, c7, (1, 7), padding=(0, 3))
    self.branch7x7_3 = BasicConv2d(c7, 192, (7, 1), padding=(3, 0))
    self.branch7x7dbl_1 = BasicConv2d(cin, c7, 1)
    self.branch7x7dbl_2 = BasicConv2d(c7, c7, (7, 1), padding=(3, 0))
    self.branch7x7dbl_3 = BasicConv2d(c7, c7, (1, 7), padding=(0, 3))
    self.branch7x7dbl_4 = BasicConv2d(c7, c7, (7, 1), padding=(3, 0))
    self.branch7x7dbl_5 = BasicConv2d(c7, 192, (1, 7), padding=(0, 3))
    self.branch_pool = BasicConv2d(cin, 192, 1)

  def forward(self, x):
    b7 = self.branch7x7_3(self.branch7x7_2(self.branch7x7_1(x)))
    bd = x
    for i in range(1, 6):
      bd = getattr(self, f"branch7x7dbl_{i}")(bd)
    return torch.cat([self.branch1x1(x), b7, bd, self.branch_pool(_avg_pool(x))], 1)


class InceptionD(nn.Module):
  def __init__(self, cin):
    super().__init__()
    self.branch3x3_1 = BasicConv2d(cin, 192, 1)
    self.branch3x3_2 = BasicConv2d(192, 320, 3, stride=2)
    self.branch7x7x3_1 = BasicConv2d(cin, 192, 1)
    self.branch7x7x3_2 = BasicConv2d(192, 192, (1, 7), padding=(0, 3))
    self.branch7x7x3_3 = BasicConv2d(192, 192, (7, 1), padding=(3, 0))
    self.branch7x7x3_4 = BasicConv2d(192, 192, 3, stride=2)

  def forward(self, x):
    b7 = x
    for i in range(1, 5):
      b7 = getattr(self, f"branch7x7x3_{i}")(b7)
    return torch.cat([self.branch3x3_2(self.branch3x3_1(x)), b7,
                      F.max_pool2d(x, 3, stride=2)], 1)


class FIDInceptionE(nn.Module):
  """FIDInceptionE_1 (pool='avg', Mixed_7b) and FIDInceptionE_2 (pool='max', Mixed_7c)."""

  def __init__(self, cin, pool):
    super().__init__()
    self.pool = pool
    self.branch1x1 = BasicConv2d(cin, 320, 1)
    self.branch3x3_1 = BasicConv2d(cin, 384, 1)
    self.branch3x3_2a = BasicConv2d(384, 384, (1, 3), padding=(0, 1))
    self.branch3x3_2b = BasicConv2d(384, 384, (3, 1), padding=(1, 0))
    self.branch3x3dbl_1 = BasicConv2d(cin, 448, 1)
    self.branch3x3dbl_2 = BasicConv2d(448, 384, 3, padding=1)
    self.branch3x3dbl_3a = BasicConv2d(384, 384, (1, 3), padding=(0, 1))
    self.branch3x3dbl_3b = BasicConv2d(384, 384, (3, 1), padding=(1, 0))
    self.branch_pool = BasicConv2d(cin, 192, 1)

  def forward(self, x):
    b3 = self.branch3x3_1(x)
    b3 = torch.cat([self.branch3x3_2a(b3), self.branch3x3_2b(b3)], 1)
    bd = self.branch3x3dbl_2(self.branch3x3dbl_1(x))
    bd = torch.cat([self.branch3x3dbl_3a(bd), self.branch3x3dbl_3b(bd)], 1)
    pooled = _avg_pool(x) if self.pool == "avg" else F.max_pool2d(x, 3, stride=1, padding=1)
    return torch.cat([self.branch1x1(x), b3, bd, self.branch_pool(pooled)], 1)


class FIDInceptionV3(nn.Module):
  """[N, 3, H, W] in [0, 1] -> (pool3 [N, 2048], logits [N, 1008] = fc(pool3))."""

  def __init__(self):
    super().__init__()
    self.Conv2d_1a_3x3 = BasicConv2d(3, 32, 3, stride=2)
    self.Conv2d_2a_3x3 = BasicConv2d(32, 32, 3)
    self.Conv2d_2b_3x3 = BasicConv2d(32, 64, 3, padding=1)
    self.Conv2d_3b_1x1 = BasicConv2d(64, 80, 1)
    self.Conv2d_4a_3x3 = BasicConv2d(80, 192, 3)
    self.Mixed_5b = FIDInceptionA(192, 32)
    self.Mixed_5c = FIDInceptionA(256, 64)
    self.Mixed_5d = FIDInceptionA(288, 64)
    self.Mixed_6a = InceptionB(288)
    self.Mixed_6b = FIDInceptionC(768, 128)
    self.Mixed_6c = FIDInceptionC(768, 160)
    self.Mixed_6d = FIDInceptionC(768, 160)
    self.Mixed_6e = FIDInceptionC(768, 192)
    self.Mixed_7a = InceptionD(768)
    self.Mixed_7b = FIDInceptionE(1280, "avg")
    self.Mixed_7c = FIDInceptionE(2048, "max")
    self.fc = nn.Linear(2048, 1008)

  def forward(self, x):
    x = F.interpolate(x, size=(299, 299), mode="bilinear", align_corners=False)
    x = 2 * x - 1
    x = self.Conv2d_2b_3x3(self.Conv2d_2a_3x3(self.Conv2d_1a_3x3(x)))
    x = F.max_pool2d(x, 3, stride=2)
    x = F.max_pool2d(self.Conv2d_4a_3x3(self.Conv2d_3b_1x1(x)), 3, stride=2)
    for name in ("5b", "5c", "5d", "6a", "6b", "6c", "6d", "6e", "7a", "7b", "7c"):
      x = getattr(self, f"Mixed_{name}")(x)
    pool3 = F.adaptive_avg_pool2d(x, 1).flatten(1)
    return pool3, self.fc(pool3)


def load(state: dict) -> FIDInceptionV3:
  """The network in eval mode with `state` ({state-dict key: numpy array}) loaded
  strictly, so a missing or extra key fails."""
  model = FIDInceptionV3().eval()
  model.load_state_dict({k: torch.from_numpy(np.asarray(v)) for k, v in state.items()},
                        strict=True)
  return model


def random_state(names_and_shapes: dict, seed: int = 0) -> dict:
  """pytorch-fid's state dict layout filled with random values the network stays finite
  on: He-scaled convolutions, BN scale near 1, running variances >= 0.5."""
  rng = np.random.default_rng(seed)
  state = {}
  for name, shape in names_and_shapes.items():
    a = rng.standard_normal(shape, dtype=np.float32)
    if name.endswith("conv.weight"):
      a *= np.sqrt(2.0 / np.prod(shape[1:]))
    elif name.endswith("running_var"):
      a = np.abs(a) + 0.5
    elif name == "fc.weight":
      a /= np.sqrt(shape[1])
    elif name.endswith("bn.weight"):
      a = 1.0 + 0.1 * a
    else:
      a *= 0.1
    state[name] = a
  state["Conv2d_1a_3x3.bn.num_batches_tracked"] = np.array(5, np.int64)
  return state


def tf1_bilinear(x: np.ndarray, size: int) -> np.ndarray:
  """TF1 resize_bilinear(align_corners=False) of NCHW x, as torch-fidelity's
  interpolate_bilinear_2d_like_tensorflow1x (method 'slow') restates it: source
  = target * in / out, floor and next pixel (clamped), linear blend."""
  def axis(n_in):
    src = np.arange(size, dtype=np.float32) * np.float32(n_in / size)
    lo = src.astype(np.int64)
    return lo, np.minimum(lo + 1, n_in - 1), (src - lo).astype(np.float32)
  (ylo, yhi, dy), (xlo, xhi, dx) = axis(x.shape[2]), axis(x.shape[3])
  top = x[:, :, ylo][:, :, :, xlo] + (x[:, :, ylo][:, :, :, xhi] - x[:, :, ylo][:, :, :, xlo]) * dx
  bottom = (x[:, :, yhi][:, :, :, xlo]
            + (x[:, :, yhi][:, :, :, xhi] - x[:, :, yhi][:, :, :, xlo]) * dx)
  return top + (bottom - top) * dy[:, None]
