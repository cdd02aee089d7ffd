"""Time to evaluate 10,000 generated samples with the classifier metrics.

  python bench/eval_speed.py [--num 10000] [--config experiments/dcgan.py]

Uses the Fashion-MNIST classifier of the user cache (built first if missing). Times each stage on a freshly
initialised DCGAN (the cost does not depend on training): generation, classifier
probabilities and features, then IS, FID, KID (100 subsets of 1,000), precision /
recall / density / coverage; real reference features are computed once and cached,
so the first call (reported separately) also pays for them.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)


def main():
  p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  p.add_argument("--num", type=int, default=10_000)
  p.add_argument("--config", default="experiments/dcgan.py")
  args = p.parse_args()
  from gan_jax import classifier, config as config_lib, experiment, sampling, train
  from gan_jax.metrics import evaluator as evaluator_lib
  classifier_dir = classifier.ensure("", "fashion_mnist")  # the user's, built if missing
  os.environ["GAN_JAX_CACHE"] = tempfile.mkdtemp()  # cold real-feature cache for call 1
  config = config_lib.apply_overrides(experiment.load_config(os.path.join(ROOT, args.config)),
                                      {"eval.num_samples": args.num,
                                       "eval.classifier": classifier_dir})
  run = train.Run(config)
  state = run.init_state()
  ev = evaluator_lib.Evaluator(config, run.method, run.source)
  t = {}
  start = time.perf_counter()
  ev(state, 0)
  t["first call (reference features + compile)"] = time.perf_counter() - start
  start = time.perf_counter()
  z = sampling.latents(run.method, args.num, 0)
  samples = sampling.generate(run.method, sampling.generator_variables(state), z)
  t["generate"] = time.perf_counter() - start
  net = ev.nets["classifier"]
  start = time.perf_counter()
  probs, features = net(samples)
  t["classifier probabilities + features"] = time.perf_counter() - start
  ref = ev.reference("classifier")
  from gan_jax.metrics import fid, inception_score, kid, prdc
  for name, fn in [("IS", lambda: inception_score.inception_score(probs)),
                   ("FID", lambda: fid.fid_from_features(ref["features"], features)),
                   ("KID", lambda: kid.kernel_inception_distance(ref["features"], features)),
                   ("PR + DC", lambda: prdc.prdc(ref["features"], features))]:
    start = time.perf_counter()
    fn()
    t[name] = time.perf_counter() - start
  start = time.perf_counter()
  ev(state, 0)
  t["whole evaluation (warm)"] = time.perf_counter() - start
  print(f"{args.num} samples, {config.data.name}, {os.cpu_count()} CPU cores\n")
  print("| stage | seconds |\n| --- | --- |")
  for k, v in t.items():
    print(f"| {k} | {v:.2f} |")
  print(f"\n{args.num / t['whole evaluation (warm)']:.0f} samples/s end to end (warm)")


if __name__ == "__main__":
  main()
