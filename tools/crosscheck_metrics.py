"""Our Inception features and scores against the published tools themselves: the table
"Against the reference implementations" of docs/metrics.md.

pytorch-fid and torch-fidelity need torchvision, which has no wheel for the CPU torch
of the project's venv, so the references run in a second environment that has them
and no JAX; three steps, all on the CPU:

  python tools/crosscheck_metrics.py ours --out /tmp/x/ours.npz
  REF/bin/python tools/crosscheck_metrics.py reference --ours /tmp/x/ours.npz --out /tmp/x/ref.json
  python tools/crosscheck_metrics.py table --ours /tmp/x/ours.npz --reference /tmp/x/ref.json \
      --doc docs/metrics.md

with REF a venv holding `torch==2.14.1 torchvision==0.29.1 pytorch-fid torch-fidelity prdc`.

Inputs: 1,000 Fashion-MNIST test images ("real") and 1,000 training images blurred with
sigma 1 px ("generated"), as uint8. Feature networks: InceptionV3 with random weights
(pytorch-fid's state-dict layout, the same arrays loaded into the Flax port and into
pytorch-fid's own network; no published weights exist offline) and the domain
classifier (128-d). Each score is computed by us on our features, by the reference on
the same features, and by the reference end to end on its own network's features.
"""
from __future__ import annotations

import argparse
import json
import os
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)  # this checkout's gan_jax (the `ours` and `table` steps)
N = 1000
KID = dict(subsets=100, subset_size=500, seed=2020)
TF_CHECK = 100  # images compared through torch-fidelity's own extractor (its 'tf' resize)
SECTION = "crosscheck"


def _random_inception_state(seed: int = 0) -> dict:
  sys.path.insert(0, os.path.join(ROOT, "tests", "metrics"))
  import torch_inception
  from gan_jax.metrics import inception
  return torch_inception.random_state({k: s for k, (_, s) in inception.torch_names().items()},
                                      seed)


def our_scores(real_feat, fake_feat, fake_probs) -> dict:
  from gan_jax.metrics import fid, inception_score, kid, prdc
  is_mean, is_std = inception_score.inception_score(fake_probs, splits=10)
  kid_mean, kid_std = kid.kernel_inception_distance(
      real_feat, fake_feat, num_subsets=KID["subsets"], subset_size=KID["subset_size"],
      seed=KID["seed"])
  return {"is": is_mean, "is_std": is_std, "fid": fid.fid_from_features(real_feat, fake_feat),
          "kid": kid_mean, "kid_std": kid_std, **prdc.prdc(real_feat, fake_feat)}


def ours(args):
  """Inputs, weights, our features and our scores -> one .npz."""
  from scipy import ndimage
  from gan_jax import config as config_lib, data
  from gan_jax.metrics import feature_nets, inception
  c = config_lib.base()
  config_lib.set_data(c, "fashion_mnist")
  c.data.batch_size = 64
  real, _ = data.get_source(c, split="test").arrays(N, seed=0)
  train, _ = data.get_source(c).arrays(N, seed=1)
  blurred = ndimage.gaussian_filter(train, sigma=(0, 1, 1, 0))
  to_uint8 = lambda x: np.clip(np.floor((x + 1) * 127.5 + 0.5), 0, 255).astype(np.uint8)
  images = {"real": to_uint8(real), "fake": to_uint8(blurred)}
  state = _random_inception_state()
  variables = inception.variables_from_state_dict(state)
  out = {f"images_{k}": v for k, v in images.items()}
  out.update({f"w:{k}": v for k, v in state.items()})
  for name, x in images.items():
    f, _ = inception.extract(variables, x, batch_size=50, mode="pytorch_fid")
    out[f"inception_{name}"] = f
  out["inception_fake_is_logits"] = inception.is_logits(variables, out["inception_fake"])
  f_tf, _ = inception.extract(variables, images["fake"][:TF_CHECK], batch_size=50, mode="tf")
  out["inception_tf_fake"] = f_tf
  out["inception_tf_fake_is_logits"] = inception.is_logits(variables, f_tf)
  net = feature_nets.classifier(args.classifier, "fashion_mnist")
  for name, x in images.items():
    probs, feats = net(x.astype(np.float32) / 127.5 - 1)
    out[f"classifier_{name}"], out[f"classifier_{name}_probs"] = feats, probs
  out["protocol"] = np.array(json.dumps({"classifier": net.name,
                                         "classifier_sha256": net.sha256}))
  os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
  np.savez(args.out, **out)
  print(json.dumps(all_our_scores(out), indent=2))


def all_our_scores(data: dict) -> dict:
  """Our scores from the saved features (so `table` always shows the current code's)."""
  from gan_jax.metrics import inception_score
  return {"inception": our_scores(data["inception_real"], data["inception_fake"],
                                  inception_score.softmax(data["inception_fake_is_logits"])),
          "classifier": our_scores(data["classifier_real"], data["classifier_fake"],
                                   data["classifier_fake_probs"])}


def reference_scores(real_feat, fake_feat, fake_logits=None, fake_probs=None) -> dict:
  """pytorch-fid's FID, torch-fidelity's IS / KID / precision-recall, prdc's P/R/D/C."""
  import prdc
  import torch
  from pytorch_fid.fid_score import calculate_frechet_distance
  from torch_fidelity.metric_isc import isc_features_to_metric
  from torch_fidelity.metric_kid import kid_features_to_metric
  from torch_fidelity.metric_prc import prc_features_to_metric
  real64, fake64 = real_feat.astype(np.float64), fake_feat.astype(np.float64)
  out = {"fid": float(calculate_frechet_distance(
      real64.mean(0), np.cov(real64, rowvar=False), fake64.mean(0),
      np.cov(fake64, rowvar=False)))}
  t_real, t_fake = torch.from_numpy(real_feat), torch.from_numpy(fake_feat)
  kid = kid_features_to_metric(t_fake, t_real, kid_subsets=KID["subsets"],
                               kid_subset_size=KID["subset_size"], rng_seed=KID["seed"],
                               verbose=False)
  out["kid"], out["kid_std"] = kid["kernel_inception_distance_mean"], \
      kid["kernel_inception_distance_std"]
  if fake_logits is not None:  # torch-fidelity's IS from logits (it applies the softmax)
    isc = isc_features_to_metric(torch.from_numpy(fake_logits), splits=10, shuffle=False)
    out["is"], out["is_std"] = isc["inception_score_mean"], isc["inception_score_std"]
  elif fake_probs is not None:  # a classifier's probabilities: log p are its logits
    logits = np.log(np.maximum(fake_probs.astype(np.float64), 1e-300))
    isc = isc_features_to_metric(torch.from_numpy(logits), splits=10, shuffle=False)
    out["is"], out["is_std"] = isc["inception_score_mean"], isc["inception_score_std"]
  prc = prc_features_to_metric(t_fake, t_real, prc_neighborhood=3, verbose=False)
  out["precision (torch-fidelity)"], out["recall (torch-fidelity)"] = prc["precision"], \
      prc["recall"]
  pr, dc = (prdc.compute_prdc(real_feat, fake_feat, nearest_k=k) for k in (3, 5))
  out.update({"precision": pr["precision"], "recall": pr["recall"],
              "density": dc["density"], "coverage": dc["coverage"]})
  return {k: float(v) for k, v in out.items()}


def reference(args):
  """The reference tools on our features and on their own network's features."""
  import pytorch_fid
  import pytorch_fid.inception as pfi
  import torch
  import torch_fidelity
  from torch_fidelity.feature_extractor_inceptionv3 import FeatureExtractorInceptionV3
  with np.load(args.ours, allow_pickle=False) as f:
    data = {k: f[k] for k in f.files}
  state = {k[2:]: torch.from_numpy(v) for k, v in data.items() if k.startswith("w:")}
  # pytorch-fid's own InceptionV3 (torchvision's network with the FID blocks, its resize
  # and normalisation), with our random weights in place of its download.
  pfi.load_state_dict_from_url = lambda *a, **k: state
  net = pfi.InceptionV3([pfi.InceptionV3.BLOCK_INDEX_BY_DIM[2048]]).eval()
  torch_feats = {}
  with torch.no_grad():
    for name in ("real", "fake"):
      x = torch.from_numpy(np.repeat(data[f"images_{name}"], 3, -1).transpose(0, 3, 1, 2))
      torch_feats[name] = np.concatenate([
          net(batch.float() / 255)[0].flatten(1).numpy() for batch in x.split(50)])
  fc_w = state["fc.weight"].numpy().astype(np.float64)
  # torch-fidelity's extractor ('tf' resize, (x - 128) / 128) on the same weights.
  pth = os.path.join(os.path.dirname(os.path.abspath(args.out)), "random_inception.pth")
  torch.save(state, pth)
  fidelity = FeatureExtractorInceptionV3("inception-v3-compat", ["2048", "logits_unbiased"],
                                         feature_extractor_weights_path=pth)
  with torch.no_grad():
    x = torch.from_numpy(np.repeat(data["images_fake"][:TF_CHECK], 3, -1).transpose(0, 3, 1, 2))
    tf_feat, tf_logits = (t.numpy() for t in fidelity(x.contiguous()))
  rel = lambda a, b: float(np.abs(a - b).max() / np.abs(b).max())
  result = {
      "versions": {"torch": torch.__version__, "pytorch_fid": pytorch_fid.__version__,
                   "torch_fidelity": torch_fidelity.__version__,
                   "prdc": __import__("importlib.metadata").metadata.version("prdc")},
      "network": {
          "pytorch_fid pool3 vs ours (pytorch_fid mode)": rel(
              np.concatenate([data["inception_real"], data["inception_fake"]]),
              np.concatenate([torch_feats["real"], torch_feats["fake"]])),
          "torch-fidelity pool3 vs ours (tf mode)": rel(data["inception_tf_fake"], tf_feat),
          "torch-fidelity logits_unbiased vs ours (tf mode)": rel(
              data["inception_tf_fake_is_logits"], tf_logits)},
      "same_features": {
          "inception": reference_scores(data["inception_real"], data["inception_fake"],
                                        fake_logits=data["inception_fake_is_logits"]),
          "classifier": reference_scores(data["classifier_real"], data["classifier_fake"],
                                         fake_probs=data["classifier_fake_probs"])},
      "end_to_end": {"inception": reference_scores(
          torch_feats["real"], torch_feats["fake"],
          fake_logits=torch_feats["fake"].astype(np.float64) @ fc_w.T)}}
  with open(args.out, "w") as f:
    json.dump(result, f, indent=2)
  print(json.dumps(result, indent=2))


def markdown(ours_scores: dict, ref: dict, protocol: dict) -> str:
  v = ref["versions"]
  lines = [
      "## Against the reference implementations", "",
      f"{N} Fashion-MNIST test images against {N} training images blurred with sigma 1 px, "
      "both as uint8. Ours: gan_jax's metrics on gan_jax's features. Reference: the "
      f"published code itself (pytorch-fid {v['pytorch_fid']} `calculate_frechet_distance`; "
      f"torch-fidelity {v['torch_fidelity']} `isc_features_to_metric` (samples_shuffle off), "
      f"`kid_features_to_metric`, `prc_features_to_metric`; prdc {v['prdc']} "
      f"`compute_prdc`; torch {v['torch']}) on the same features, and end to end on the "
      "features of pytorch-fid's own InceptionV3 (torchvision's network with its FID "
      "blocks, resize and normalisation). InceptionV3 carries random weights in "
      "pytorch-fid's layout, the same arrays in both networks (the published weights "
      "cannot be fetched here); the classifier is "
      f"{protocol['classifier']} (`{protocol['classifier_sha256'][:16]}...`). KID: "
      f"{KID['subsets']} subsets of {KID['subset_size']}, seed {KID['seed']} in both; "
      "precision/recall k = 3, density/coverage k = 5; IS over 10 splits.", "",
      "Produced by `tools/crosscheck_metrics.py` (its docstring has the three commands).", "",
      "Feature networks, max |ours - reference| / max |reference|:", "",
      "| comparison | relative difference |", "| --- | --- |"]
  lines += [f"| {k} | {val:.1e} |" for k, val in ref["network"].items()]
  lines += ["", "| features | score | ours | reference, same features | rel. diff | "
            "reference, end to end | rel. diff |", "|" + " --- |" * 7]
  diffs = []  # (relative difference, where)
  for group in ("inception", "classifier"):
    same = ref["same_features"][group]
    e2e = ref["end_to_end"].get(group, {})
    for key, theirs in same.items():
      mine_key = key.split(" (")[0]
      mine = ours_scores[group][mine_key]
      diff = abs(mine - theirs) / max(abs(theirs), 1e-12)
      diffs.append((diff, f"{group} {key}, same features"))
      cells = [f"{mine:.6g}", f"{theirs:.6g}", f"{diff:.1e}"]
      if key in e2e:
        d2 = abs(mine - e2e[key]) / max(abs(e2e[key]), 1e-12)
        diffs.append((d2, f"{group} {key}, end to end"))
        cells += [f"{e2e[key]:.6g}", f"{d2:.1e}"]
      else:
        cells += ["", ""]
      lines.append(f"| {group} | {key} | " + " | ".join(cells) + " |")
  diffs.sort(reverse=True)
  lines += ["", f"Largest relative difference: {diffs[0][0]:.1e} ({diffs[0][1]}); the next "
            f"largest: {diffs[1][0]:.1e} ({diffs[1][1]}). Precision and recall follow "
            "Kynkäänniemi et al. (2019, k = 3, closed balls: a sample on a ball's surface "
            "counts, as in their code and torch-fidelity's), density and coverage Naeem "
            "et al. (2020, k = 5; prdc compares with '<', which differs only for samples "
            "exactly on a surface). Our IS does not shuffle the samples before splitting "
            "(improved-gan); torch-fidelity's default shuffles them (seed 2020), which moves "
            "the mean by less than its std. The random-weight Inception features are "
            "nearly constant (norms ~16, distances ~1.3): torch-fidelity's float32 "
            "`torch.cdist` then decides a few borderline neighbours differently from prdc, "
            "whose distances scikit-learn computes in float64; we centre the features "
            "before taking float32 distances and agree with prdc (before that, we agreed "
            "with torch-fidelity instead).", ""]
  return "\n".join(lines)


def table(args):
  from gan_jax.metrics import sanity
  with np.load(args.ours, allow_pickle=False) as f:
    data = {k: f[k] for k in f.files if not k.startswith(("w:", "images_"))}
  scores, protocol = all_our_scores(data), json.loads(str(data["protocol"]))
  with open(args.reference) as f:
    ref = json.load(f)
  text = markdown(scores, ref, protocol)
  sanity.write_section(args.doc, SECTION, text)
  print(text)


def main(argv=None):
  p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  sub = p.add_subparsers(dest="step", required=True)
  a = sub.add_parser("ours")
  a.add_argument("--out", required=True)
  a.add_argument("--classifier", default="", help="classifier dir ('' = the cached one)")
  b = sub.add_parser("reference")
  b.add_argument("--ours", required=True)
  b.add_argument("--out", required=True)
  c = sub.add_parser("table")
  c.add_argument("--ours", required=True)
  c.add_argument("--reference", required=True)
  c.add_argument("--doc", default=os.path.join(ROOT, "docs", "metrics.md"))
  args = p.parse_args(argv)
  {"ours": ours, "reference": reference, "table": table}[args.step](args)


if __name__ == "__main__":
  main()
