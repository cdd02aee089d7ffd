"""N devices compute what one device computes on the same global batch.

Sums over the batch are taken in a different order on 4 devices, so results agree to
float rounding, not bitwise. Adam divides by sqrt(v), which turns rounding noise on a
near-zero first gradient into a full +-lr step; the exactness check of the maths
therefore uses SGD, and Adam is checked on the plain GAN config.
"""
import os
import subprocess
import sys
import textwrap

import pytest

from gan_jax import parallel

CASES = [
    # The gradient penalty draws one eps per sample: the draws must be global.
    ("wgan.py:smoke,data=grid25", {"optim.d.name": "sgd", "optim.g.name": "sgd"}, None),
    # DRAGAN perturbs by the batch's std: the moments must be global.
    ("gan.py:smoke", {"optim.d.name": "sgd", "optim.g.name": "sgd"},
     {"dragan": {"weight": 1.0, "every": 1}}),
    ("gan.py", {}, None),
    # Convolutions, BatchNorm in G and D (statistics over the global batch) and spectral
    # norm in D, on 28x28 images.
    ("dcgan.py:smoke", {"optim.d.name": "sgd", "optim.g.name": "sgd",
                        "model.spectral_norm": True}, None),
    # The mode-collapse remedies: packs cut from each device's shard, minibatch
    # discrimination over the gathered global batch, the unrolled D's gradients averaged.
    ("gan.py:smoke,pack=2,unroll=2,minibatch=disc", {"optim.d.name": "sgd",
                                                     "optim.g.name": "sgd"}, None),
    # The minibatch stddev over the global batch.
    ("gan.py:smoke,minibatch=stddev", {"optim.d.name": "sgd", "optim.g.name": "sgd"}, None),
]

SCRIPT = textwrap.dedent("""
    import sys
    import jax, numpy as np
    sys.path.insert(0, {root!r})
    from tests.conftest import experiment_config
    from tests.networks import helpers
    from gan_jax import methods, parallel, train_step as step_lib
    from gan_jax.data import images, pipeline, toy
    assert jax.local_device_count() == 4
    try:
      parallel.num_devices(0, 62)
    except ValueError as e:
      print("BATCHERROR", e)
    for spec, overrides, regs in {cases!r}:
      config = experiment_config(spec, **overrides)
      if regs:
        config.unlock()
        config.regularizers = regs
      if config.data.name in toy.DISTRIBUTIONS:
        source = toy.ToySource(config.data.name, config.data.batch_size, config.seed)
      else:  # random images: the maths, not the data, is under test
        pixels = np.random.default_rng(0).integers(0, 256, (64, 28, 28, 1), np.uint8)
        source = images.ImageSource(pixels, None, config.data.batch_size, config.seed)
      # One initial state (on the host) for both runs.
      method = methods.get("gan").build(config, source.shape)
      if len(source.shape) == 3:  # numpy-filled variables: jax's initializers compile slowly
        method.init = lambda key, b: (
            helpers.variables(method.G, np.zeros((2, config.model.z_dim), np.float32)),
            helpers.variables(method.D, b["x"][:2]))
      initial = jax.device_get(step_lib.init_state(config, method, jax.random.PRNGKey(0),
                                                   source.batch(0)))
      finals = []
      for n in (1, 4):
        method = methods.get("gan").build(config, source.shape, parallel.context(n))
        step = parallel.compile_step(step_lib.keyed(step_lib.make_train_step(
            config, method, parallel.context(n))), n)
        state = parallel.replicate(initial, n)
        batches = pipeline.host_batches(source, 0, config.train.n_critic)
        for _ in range(3):
          state, metrics = step(state, parallel.put_batch(next(batches), n))
        finals.append(jax.device_get(parallel.unreplicate(state, n)))
      diff = max(float(np.max(np.abs(a - b))) for a, b in
                 zip(jax.tree.leaves(finals[0]), jax.tree.leaves(finals[1])))
      print("MAXDIFF", diff, spec)
""")


def test_four_devices_equal_one():
  root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
  env = dict(os.environ, XLA_FLAGS=os.environ.get("XLA_FLAGS", "")
             + " --xla_force_host_platform_device_count=4",
             JAX_PLATFORMS="cpu")
  out = subprocess.run([sys.executable, "-c", SCRIPT.format(root=root, cases=CASES)],
                       env=env, capture_output=True, text=True, timeout=600)
  assert out.returncode == 0, out.stderr[-3000:]
  assert "data.batch_size=62 does not divide over 4 devices" in out.stdout
  diffs = [float(line.split()[1]) for line in out.stdout.splitlines()
           if line.startswith("MAXDIFF")]
  assert len(diffs) == len(CASES)
  assert max(diffs[:2] + diffs[3:]) <= 1e-6 and diffs[2] <= 1e-5, diffs


def test_more_devices_than_exist_is_a_clear_error():
  with pytest.raises(ValueError, match="only 1 local devices"):
    parallel.num_devices(4, 64)
