"""Our FID, KID, IS, precision/recall and density/coverage against the reference
implementations, on the same features.

- precision / recall / density / coverage: clovaai's `prdc` package itself (the
  reference code of Naeem et al., 2020; pure numpy + scikit-learn).
- FID: pytorch-fid's `calculate_frechet_distance`, KID: torch-fidelity's
  `kid_features_to_metric`, IS: torch-fidelity's `isc_features_to_metric`. Both packages
  import torchvision, which has no wheel for the CPU torch installed here, so their
  formulas are restated below from their source (pytorch-fid src/pytorch_fid/fid_score.py,
  torch-fidelity torch_fidelity/metric_kid.py and metric_isc.py), step for step. The
  packages themselves are compared in docs/metrics.md (tools/crosscheck_metrics.py).
"""
import numpy as np
import prdc as prdc_reference
import pytest
from scipy import linalg, special

from gan_jax.metrics import fid, inception_score, kid, prdc


@pytest.fixture(scope="module")
def features():
  """1,000 'real' and 1,000 'generated' 64-d features: correlated Gaussians, the fakes
  shifted, shrunk and missing a cluster, so every score is away from its ideal."""
  rng = np.random.default_rng(0)
  mix = rng.standard_normal((64, 64)) / 8
  real = rng.standard_normal((1000, 64)) @ mix + np.where(rng.random((1000, 1)) < 0.3, 2, 0)
  fake = 0.8 * rng.standard_normal((1000, 64)) @ mix + 0.3
  return real.astype(np.float32), fake.astype(np.float32)


def pytorch_fid_frechet(act1, act2, eps=1e-6):
  """pytorch-fid: mu = mean, sigma = np.cov(rowvar=False); sqrtm of sigma1 sigma2 (with
  eps on the diagonals if that is not finite), real part; ||mu1 - mu2||^2 + Tr(sigma1)
  + Tr(sigma2) - 2 Tr(covmean)."""
  mu1, mu2 = act1.mean(0), act2.mean(0)
  s1, s2 = np.cov(act1, rowvar=False), np.cov(act2, rowvar=False)
  covmean = linalg.sqrtm(s1 @ s2)
  if not np.isfinite(covmean).all():
    offset = np.eye(len(s1)) * eps
    covmean = linalg.sqrtm((s1 + offset) @ (s2 + offset))
  covmean = np.real(covmean)
  return float((mu1 - mu2) @ (mu1 - mu2) + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean))


def torch_fidelity_kid(features_1, features_2, subsets, subset_size, seed):
  """torch-fidelity: RandomState(rng_seed); per subset, rows of features_1 (the
  generated input) then of features_2 without replacement; kernel (x.y / d + 1)^3;
  unbiased MMD^2 = (sum of off-diagonal K_XX + K_YY) / (m (m - 1)) - 2 sum K_XY / m^2;
  mean and std over subsets."""
  rng = np.random.RandomState(seed)
  mmds = []
  for _ in range(subsets):
    x = features_1[rng.choice(len(features_1), subset_size, replace=False)].astype(np.float64)
    y = features_2[rng.choice(len(features_2), subset_size, replace=False)].astype(np.float64)
    d, m = x.shape[1], subset_size
    k_xx, k_yy, k_xy = ((a @ b.T / d + 1) ** 3 for a, b in ((x, x), (y, y), (x, y)))
    off = (k_xx.sum() - np.trace(k_xx) + k_yy.sum() - np.trace(k_yy)) / (m * (m - 1))
    mmds.append(off - 2 * k_xy.sum() / (m * m))
  return float(np.mean(mmds)), float(np.std(mmds))


def torch_fidelity_isc(logits, splits=10):
  """torch-fidelity with samples_shuffle=False: p = softmax, log p = log_softmax (float64);
  per chunk [i N // splits, (i + 1) N // splits): exp(mean_x sum_y p (log p - log mean p));
  mean and std over chunks. (Its default shuffles the rows first, with rng_seed 2020.)"""
  p, log_p = special.softmax(logits, axis=1), special.log_softmax(logits, axis=1)
  n, scores = len(logits), []
  for i in range(splits):
    rows = slice(i * n // splits, (i + 1) * n // splits)
    q = p[rows].mean(0, keepdims=True)
    scores.append(np.exp((p[rows] * (log_p[rows] - np.log(q))).sum(1).mean()))
  return float(np.mean(scores)), float(np.std(scores))


def test_precision_recall_density_coverage_equal_the_prdc_package(features):
  real, fake = features
  ours = prdc.prdc(real, fake)
  ref_pr = prdc_reference.compute_prdc(real, fake, nearest_k=3)
  ref_dc = prdc_reference.compute_prdc(real, fake, nearest_k=5)
  reference = {"precision": ref_pr["precision"], "recall": ref_pr["recall"],
               "density": ref_dc["density"], "coverage": ref_dc["coverage"]}
  for name, value in reference.items():
    # prdc compares with '<' (open balls) where Kynkaenniemi's code uses '<=': they can
    # differ only by samples exactly on a ball's surface, none here.
    assert ours[name] == pytest.approx(value, abs=1e-12), name
  # Shrunk fakes missing a cluster: precise, low recall, dense, partly covering.
  assert ours["precision"] > 0.9 and ours["recall"] < 0.2 and ours["density"] > 1.5
  assert 0.3 < ours["coverage"] < 0.9


def test_fid_equals_pytorch_fid(features):
  real, fake = (f.astype(np.float64) for f in features)
  assert fid.fid_from_features(real, fake) == pytest.approx(pytorch_fid_frechet(real, fake),
                                                            rel=1e-6)


def test_kid_equals_torch_fidelity(features):
  real, fake = features
  ours = kid.kernel_inception_distance(real, fake, num_subsets=20, subset_size=500, seed=2020)
  reference = torch_fidelity_kid(fake, real, 20, 500, 2020)  # input1 = generated
  assert ours == pytest.approx(reference, rel=1e-9)
  assert ours[0] > 10 * ours[1] / np.sqrt(20)  # a clear difference, not noise


def test_inception_score_equals_torch_fidelity(features):
  logits = np.random.default_rng(1).standard_normal((1000, 12)) * 3
  ours = inception_score.inception_score(inception_score.softmax(logits), splits=10)
  assert ours == pytest.approx(torch_fidelity_isc(logits, splits=10), rel=1e-9)


def test_a_common_offset_changes_nothing(features):
  """Features that share a large common part (norms ~1000x the distances, as from a
  network with near-constant outputs) still give prdc's numbers: distances are taken
  after centring, not from ||a||^2 + ||b||^2 - 2 a.b of the raw float32 features."""
  real, fake = features
  shifted = [(f.astype(np.float64) + 300.0).astype(np.float32) for f in (real, fake)]
  ref_pr = prdc_reference.compute_prdc(*shifted, nearest_k=3)  # sklearn: float64 inside
  ref_dc = prdc_reference.compute_prdc(*shifted, nearest_k=5)
  ours = prdc.prdc(*shifted)
  assert ours == pytest.approx({"precision": ref_pr["precision"], "recall": ref_pr["recall"],
                                "density": ref_dc["density"], "coverage": ref_dc["coverage"]},
                               abs=2e-3)
