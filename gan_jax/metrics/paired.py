"""Scores of paired translation: outputs x against their targets b (the same held-out
examples), each image pair compared on the [0, 1] scale ((v + 1) / 2 of [-1, 1]).

- ``l1``, ``l2``: mean |x - b| and mean (x - b)^2 over pixels and images.
- ``psnr``: the mean over images of 10 log10(1 / MSE_i) dB (peak 1; the per-image mean
  of SR papers, e.g. Ledig et al., 2017, Table 2); an identical pair counts as
  `PSNR_CAP` dB.
- ``ssim``: the mean over images of SSIM (Wang et al., 2004) from
  `skimage.metrics.structural_similarity` with the paper's settings: 11 x 11 Gaussian
  window, sigma 1.5, K1 0.01, K2 0.03, population covariances, data range 1; channels
  averaged for RGB.
- With a domain classifier (`features_and_probs` of `metrics.feature_nets`):
  ``fid``: FID between its features of x and of b (Heusel et al., 2017; both sets are
  the same examples, so FID measures realism with the inputs held fixed);
  ``accuracy``: the share of outputs it labels with the example's label y: the
  "FCN-score" of Isola et al. (2017, Sec. 4.2), whose FCN was trained on real
  photographs and applied to outputs; here a classifier trained on real targets
  (Fashion-MNIST classes, or the Ming glyphs' characters); ``real_accuracy``: the same
  on the targets b (the upper bound, the paper's "ground truth" row); and
  ``input_accuracy``: on the inputs a when they have the targets' shape (e.g. Kai
  glyphs: what recognition the translation adds).
Images are resized (bilinear, antialiased) to the classifier's input size first when
they differ (32 -> 28 for Fashion-MNIST at 32 px).
"""
from __future__ import annotations

import numpy as np
from skimage import metrics as sk_metrics

PSNR_CAP = 100.0
SSIM = {"gaussian_weights": True, "sigma": 1.5, "use_sample_covariance": False,
        "K1": 0.01, "K2": 0.03, "data_range": 1.0}


def _unit(images) -> np.ndarray:
  return (np.asarray(images, np.float64) + 1.0) / 2.0


def _check(x: np.ndarray, b: np.ndarray) -> None:
  if x.shape != b.shape or x.ndim != 4:
    raise ValueError(f"Outputs {x.shape} and targets {b.shape} must be image batches "
                     "[N, H, W, C] of the same shape.")


def psnr(x, b) -> np.ndarray:
  """Per-image PSNR [N] in dB of images in [-1, 1] (peak 1 on the [0, 1] scale)."""
  x, b = _unit(x), _unit(b)
  _check(x, b)
  mse = np.mean((x - b) ** 2, axis=(1, 2, 3))
  with np.errstate(divide="ignore"):
    return np.minimum(10.0 * np.log10(1.0 / mse), PSNR_CAP)


def ssim(x, b) -> np.ndarray:
  """Per-image SSIM [N] of images in [-1, 1] (settings in `SSIM`)."""
  x, b = _unit(x), _unit(b)
  _check(x, b)
  size = min(x.shape[1:3])
  win = min(11, size if size % 2 else size - 1)  # odd, at most the image
  rgb = x.shape[-1] > 1
  return np.array([sk_metrics.structural_similarity(
      xi if rgb else xi[..., 0], bi if rgb else bi[..., 0], win_size=win,
      channel_axis=-1 if rgb else None, **SSIM) for xi, bi in zip(x, b)])


def pixel_scores(x, b) -> dict:
  """{"l1", "l2", "psnr", "ssim"} of outputs x against targets b ([N, H, W, C] in [-1, 1])."""
  xu, bu = _unit(x), _unit(b)
  _check(xu, bu)
  return {"l1": float(np.mean(np.abs(xu - bu))), "l2": float(np.mean((xu - bu) ** 2)),
          "psnr": float(np.mean(psnr(x, b))), "ssim": float(np.mean(ssim(x, b)))}


def resize_for(images: np.ndarray, shape) -> np.ndarray:
  """Images [N, H, W, C] resized (bilinear, antialiased) to a network's (H', W', C)."""
  import jax
  images = np.asarray(images, np.float32)
  if shape is None or tuple(images.shape[1:]) == tuple(shape):
    return images
  if images.shape[-1] != shape[-1]:
    raise ValueError(f"Images with {images.shape[-1]} channels cannot go to a network that "
                     f"takes {shape[-1]}.")
  out = jax.image.resize(images, (len(images), *shape), "linear", antialias=True)
  return np.clip(np.asarray(out), -1.0, 1.0)


def network_scores(net, record: dict) -> dict:
  """FID and accuracies of a record {"x", "b", "a", "y"?} with a FeatureNet `net`."""
  from gan_jax.metrics import fid
  shape = net.input_shape
  probs_x, feats_x = net(resize_for(record["x"], shape), "outputs")
  probs_b, feats_b = net(resize_for(record["b"], shape), "targets")
  out = {"fid": fid.fid_from_features(feats_b, feats_x)}
  y = record.get("y")
  if y is not None and int(np.max(y)) < probs_x.shape[1]:
    y = np.asarray(y)
    out["accuracy"] = float(np.mean(probs_x.argmax(1) == y))
    out["real_accuracy"] = float(np.mean(probs_b.argmax(1) == y))
    a = np.asarray(record["a"])
    if a.shape == np.shape(record["b"]):
      out["input_accuracy"] = float(np.mean(net(resize_for(a, shape), "inputs")[0].argmax(1) == y))
  return out


def protocol(net=None) -> dict:
  out = {"pairs": "outputs G(a) vs targets b of the same held-out examples",
         "scale": "[0, 1]", "psnr": f"mean of per-image PSNR, peak 1, capped at {PSNR_CAP} dB",
         "ssim": f"skimage.metrics.structural_similarity {SSIM}, window min(11, image)"}
  if net is not None:
    out.update({"feature_network": net.name, "weights_sha256": net.sha256,
                "input_shape": list(net.input_shape) if net.input_shape else None,
                "resize": "bilinear, antialiased, to the network's input shape",
                "fid": "Frechet distance of the network's features, outputs vs targets",
                "accuracy": "argmax class of the output == the example's label y"})
  return out


def scores(record: dict, net=None) -> tuple[dict, dict]:
  """(scores, protocol) of a sample record {"a", "b", "x", "y"?}; `net` a FeatureNet
  of the target domain or None (pixel scores only)."""
  out = pixel_scores(record["x"], record["b"])
  if net is not None:
    out.update(network_scores(net, record))
  out["num_pairs"] = int(len(record["x"]))
  return out, protocol(net)
