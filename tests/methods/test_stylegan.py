"""StyleGAN2 (gan_jax/methods/stylegan.py, gan_jax/networks/stylegan.py): the
modulation maths, truncation, style mixing, w_avg, lazy R1 and path length
regularisation in the state, pmap, and a launch.py run."""
import copy
import json
import os
import subprocess
import sys
import textwrap

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gan_jax import methods, parallel, train
from gan_jax.networks import stylegan as nets
from tests.conftest import ROOT, experiment_config

SHAPE = (16, 16, 1)  # s0 = 4: 4, 8, 16; num_ws = 6


@pytest.fixture(scope="module")
def built():
  config = experiment_config("stylegan.py:smoke")
  method = methods.get("stylegan").build(config, SHAPE)
  batch = {"x": jnp.asarray(np.random.default_rng(0).uniform(-1, 1, (8,) + SHAPE),
                            jnp.float32)}
  g_vars, d_vars = jax.jit(method.init)(jax.random.PRNGKey(0), batch)  # one compile
  return config, method, g_vars, d_vars, batch


@pytest.fixture
def tiny(built):
  """(config, a copy of the method (tests change its options), G's and D's variables,
  a batch of 8 random 16x16 images)."""
  config, method, *rest = built
  return (config, copy.copy(method), *rest)


def test_modulated_conv_equals_grouped_conv_and_demodulation_gives_unit_std():
  k = jax.random.split(jax.random.PRNGKey(0), 3)
  x = jax.random.normal(k[0], (3, 6, 6, 4))
  weight = jax.random.normal(k[1], (3, 3, 4, 5))
  styles = jax.random.normal(k[2], (3, 4)) + 1.0

  def grouped(xi, si):  # the paper's Eq. 1-3: each sample's own demodulated weight
    w = weight * si[None, None, :, None]
    w = w / jnp.sqrt(jnp.sum(w ** 2, axis=(0, 1, 2), keepdims=True) + 1e-8)
    return nets.conv(xi[None], w)[0]
  out = nets.modulated_conv(x, weight, styles)
  assert float(jnp.max(jnp.abs(out - jax.vmap(grouped)(x, styles)))) < 1e-5
  # Without demodulation: the plain convolution of x scaled per input channel.
  plain = nets.modulated_conv(x, weight, styles, demodulate=False)
  assert float(jnp.max(jnp.abs(plain - nets.conv(x * styles[:, None, None], weight)))) < 1e-5
  # Unit-variance input: every output channel has unit std (interior pixels, no padding).
  x = jax.random.normal(k[0], (4000, 3, 3, 8))
  y = nets.modulated_conv(x, jax.random.normal(k[1], (3, 3, 8, 6)) * 3.0,
                          jax.random.normal(k[2], (4000, 8)))[:, 1, 1]
  np.testing.assert_allclose(np.std(np.asarray(y), axis=0), 1.0, atol=0.05)
  assert float(jnp.std(plain)) > 1.5  # the unnormalised conv is not unit std


def test_layout_of_the_networks():
  assert nets.resolutions(28) == [7, 14, 28] and nets.resolutions(32) == [4, 8, 16, 32]
  assert nets.num_ws(28) == 6 and nets.num_ws(64) == 10
  assert [s[0] for s in nets.noise_shapes(16)] == [4, 8, 8, 16, 16]


def test_truncation_psi_zero_gives_w_avg_for_every_z(tiny):
  _, method, g_vars, _, _ = tiny
  w_avg = jnp.linspace(-1.0, 1.0, method.G.w_dim)
  g_vars = {**g_vars, "stats": {"w_avg": w_avg}}
  z = jax.random.normal(jax.random.PRNGKey(1), (5, method.z_dim))
  mapping = jax.jit(lambda psi: method.G.apply(g_vars, z, psi=psi, method="mapping"))
  w = mapping(0.0)
  np.testing.assert_allclose(w, jnp.broadcast_to(w_avg, w.shape), atol=1e-6)
  np.testing.assert_allclose(mapping(0.5), (mapping(1.0) + w_avg) / 2, atol=1e-5)
  method.truncation = 0.0  # sampling: every z gives the same image
  assert method.sampling_protocol()["truncation"] == 0.0  # what eval.json records
  x = np.asarray(jax.jit(method.sample)(g_vars, {"z": z})["x"])
  assert np.max(np.abs(x - x[:1])) < 1e-6 and np.std(x[0]) > 1e-3


def test_w_avg_is_an_ema_of_the_batch_mean_w_in_g_updates(tiny):
  _, method, g_vars, _, batch = tiny
  old = jnp.full((method.G.w_dim,), 0.3)
  g_vars = {**g_vars, "stats": {"w_avg": old}}
  key = jax.random.PRNGKey(3)
  generate = jax.jit(lambda train: method.generate(g_vars, batch, key, parallel.Context(),
                                                   train=train)[1], static_argnums=0)
  updated = generate(True)
  z = method.latent(jax.random.split(key, 5)[0], 8)
  mean = jnp.mean(jax.jit(method.G.apply, static_argnames="method")(
      g_vars, z, method="mapping"), axis=0)
  np.testing.assert_allclose(updated["stats"]["w_avg"], mean + 0.995 * (old - mean), atol=1e-6)
  same = generate(False)
  np.testing.assert_array_equal(same["stats"]["w_avg"], old)


def test_style_mixing_switches_at_the_crossover_layer(tiny):
  w1, w2 = jnp.zeros((2, 6, 3)), jnp.ones((2, 3))
  mixed = nets.mix(w1, w2, 4)
  assert mixed[:, :4].sum() == 0 and bool(jnp.all(mixed[:, 4:] == 1))
  _, method, g_vars, _, _ = tiny
  styles = lambda: jax.jit(lambda key: method.styles(g_vars, key, 4, parallel.Context(),
                                                     train=False)[0])
  cutoffs, draw = [], styles()
  for seed in range(12):
    ws = draw(jax.random.PRNGKey(seed))
    same = np.all(np.isclose(ws, ws[:, :1]), axis=(0, 2))  # layers equal to layer 0's
    cut = int(np.argmin(same)) if not same.all() else 6
    assert same[:cut].all() and not same[cut:].any()  # one switch, at `cut`
    cutoffs.append(cut)
  # probability 0.9: almost always a crossover in 1 .. num_ws - 1
  assert sum(c < 6 for c in cutoffs) >= 9 and min(cutoffs) >= 1
  method.mixing_prob = 0.0
  ws = styles()(jax.random.PRNGKey(0))
  assert bool(jnp.all(ws == ws[:, :1]))
  # Fig. 3's images: cutoff num_ws is the coarse source's image, 0 the fine source's.
  za, zb = jax.random.normal(jax.random.PRNGKey(7), (2, 3, method.z_dim))
  image = jax.jit(lambda z: jnp.clip(method.G.apply(g_vars, z), -1, 1))
  mixed = jax.jit(lambda cutoff: method.mixed(g_vars, za, zb, cutoff))
  np.testing.assert_allclose(mixed(6), image(za), atol=1e-5)
  np.testing.assert_allclose(mixed(0), image(zb), atol=1e-5)
  assert float(jnp.max(jnp.abs(mixed(3) - image(za)))) > 1e-4


def test_lazy_r1_only_on_multiples_of_every_with_the_weight_scaled(tiny):
  config, method, g_vars, d_vars, batch = tiny
  assert config.regularizers.r1.every == 16
  fake = batch["x"][::-1]  # any batch: R1 reads the real one
  hp = {"regularizers.r1.weight": jnp.float32(0.01)}
  reg = config.regularizers.to_dict()

  @jax.jit
  def loss(update):
    return method.d_loss(d_vars["params"], {}, batch, fake, jax.random.PRNGKey(2), hp,
                         parallel.Context(), update, reg)
  on, (_, m_on) = loss(32)
  off, (_, m_off) = loss(33)
  grad = jax.jit(jax.grad(lambda x: jnp.sum(method.D.apply(d_vars, x))))(batch["x"])
  r1 = 0.5 * np.mean(np.sum(np.asarray(grad).reshape(8, -1) ** 2, axis=1))
  assert float(m_off["r1"]) == 0.0 and float(off) == pytest.approx(float(m_off["d_loss"]))
  assert float(m_on["r1"]) == pytest.approx(16 * r1, rel=1e-4)
  assert float(on - off) == pytest.approx(0.01 * 16 * r1, rel=1e-3)


def test_path_length_penalty_is_eq_4_with_the_official_normalisation(tiny):
  """stylegan2-ada-pytorch's pl terms: y ~ N(0, I) / sqrt(H W), g = d sum(G(w) * y) / d w,
  length = sqrt(mean over layers of sum over w_dim of g^2), a <- a + 0.01 (mean - a),
  penalty = pl_every * E[(length - a)^2]."""
  _, method, g_vars, _, batch = tiny
  method.pl_every = 4
  a_old = jnp.float32(0.5)
  g_vars = {**g_vars, "path_length": {"mean": a_old, "updates": jnp.zeros((), jnp.int32)}}
  key = jax.random.PRNGKey(4)
  penalty, a = jax.jit(lambda: method.path_length_penalty(g_vars, batch, key,
                                                          parallel.Context()))()
  k_ws, k_y = jax.random.split(key)
  ws, noise, _ = method.styles(g_vars, k_ws, 8, parallel.Context(), train=False)
  y = jax.random.normal(k_y, (8,) + SHAPE) / 16.0  # sqrt(16 * 16)
  g = jax.grad(lambda v: jnp.sum(method.synthesis(g_vars, v, noise) * y))(ws)
  lengths = np.sqrt(np.mean(np.sum(np.asarray(g, np.float64) ** 2, axis=2), axis=1))
  expected_a = 0.5 + 0.01 * (lengths.mean() - 0.5)
  assert float(a) == pytest.approx(expected_a, rel=1e-5)
  assert float(penalty) == pytest.approx(4 * np.mean((lengths - expected_a) ** 2), rel=1e-4)


def test_path_length_mean_lives_in_the_checkpoint_and_resumes(tmp_path):
  config = experiment_config("stylegan.py:smoke", **{
      "train.steps": 3, "stylegan.pl_weight": 2.0, "stylegan.pl_every": 2,
      "data.image_size": 8, "eval.every": 0, "sample.every": 0, "log.every": 1,
      "ckpt.every": 1, "eval.metrics": ()})
  config.unlock()
  config.regularizers = {}  # R1's compile is not under test here
  config.lock()
  workdir = str(tmp_path / "run")
  first = train.train(config, workdir, progress=False, stop_after=1)
  saved, _, step = train.Run(config).restore(workdir)
  assert step == 1 and int(saved.g["path_length"]["updates"]) == 1
  a1 = float(first.g["path_length"]["mean"])
  assert a1 > 0 and float(saved.g["path_length"]["mean"]) == a1
  last = train.train(config, workdir, progress=False)
  assert int(last.g["path_length"]["updates"]) == 3
  rows = [json.loads(line) for line in open(os.path.join(workdir, "metrics.jsonl"))]
  # the EMA (decay 0.01, from 0) moves on the lazy updates, the 1st and the 3rd, only
  a = [r["path_length"] for r in rows]
  pl = [r["pl_penalty"] for r in rows]
  assert a[0] == a1 and a[1] == a1 and a[2] != a1 and float(last.g["path_length"]["mean"]) == a[2]
  assert pl[0] > 0 and pl[1] == 0.0 and pl[2] > 0


SCRIPT = textwrap.dedent("""
    import sys
    import jax, numpy as np
    sys.path.insert(0, {root!r})
    from tests.conftest import experiment_config
    from gan_jax import methods, parallel, train_step as step_lib
    from gan_jax.data import images, pipeline
    config = experiment_config("stylegan.py:smoke", **{{
        "optim.d.name": "sgd", "optim.g.name": "sgd",
        "stylegan.pl_weight": 2.0, "stylegan.pl_every": 2, "data.batch_size": 8}})
    config.unlock()
    config.regularizers = {{}}  # per-sample input gradients: test_parallel.py's cases
    config.lock()
    pixels = np.random.default_rng(0).integers(0, 256, (32, 8, 8, 1), np.uint8)
    source = images.ImageSource(pixels, None, 8, 0)
    method = methods.get("stylegan").build(config, source.shape)
    initial = jax.device_get(step_lib.init_state(config, method, jax.random.PRNGKey(0),
                                                 source.batch(0)))
    finals = []
    for n in (1, 2):
      method = methods.get("stylegan").build(config, source.shape, parallel.context(n))
      step = parallel.compile_step(step_lib.keyed(step_lib.make_train_step(
          config, method, parallel.context(n))), n)
      state = parallel.replicate(initial, n)
      batches = pipeline.host_batches(source, 0, 1)
      state, metrics = step(state, parallel.put_batch(next(batches), n))  # PL due
      finals.append(jax.device_get(parallel.unreplicate(state, n)))
    print("PL", float(finals[0].g["path_length"]["mean"]))
    print("MAXDIFF", max(float(np.max(np.abs(a - b))) for a, b in
                         zip(jax.tree.leaves(finals[0]), jax.tree.leaves(finals[1]))))
""")


def test_two_devices_equal_one():
  """Noise, z, the crossover, the minibatch stddev, w_avg and the path lengths are all
  the global batch's: 2 devices compute what one does (SGD: see test_parallel.py)."""
  env = dict(os.environ, XLA_FLAGS=os.environ.get("XLA_FLAGS", "")
             + " --xla_force_host_platform_device_count=2", JAX_PLATFORMS="cpu")
  out = subprocess.run([sys.executable, "-c", SCRIPT.format(root=ROOT)], env=env,
                       capture_output=True, text=True, timeout=600)
  assert out.returncode == 0, out.stderr[-3000:]
  values = dict(line.split() for line in out.stdout.splitlines() if line[:2] in ("PL", "MA"))
  assert float(values["PL"]) > 0 and float(values["MAXDIFF"]) <= 1e-5, out.stdout


def test_launch_train_then_truncation_zero_and_figures(tmp_path, smoke_classifier):
  """launch.py trains the smoke config and scores its last step (the experiment's smoke
  test: tests/test_experiments.py, ELSEWHERE); --mode sample's samples.npz; its G at
  psi = 0 gives one image for every z (w_avg, fixed noise); the mixing and truncation
  figures of the run."""
  workdir = str(tmp_path / "run")
  base = [sys.executable, os.path.join(ROOT, "launch.py"), "--config",
          os.path.join(ROOT, "experiments", "stylegan.py:smoke"), "--workdir", workdir,
          "--config.train.steps=4", "--config.eval.every=0", "--config.sample.every=0"]
  out = subprocess.run(base, capture_output=True, text=True, timeout=600, cwd=ROOT)
  assert out.returncode == 0, out.stderr[-3000:]
  rows = [json.loads(line) for line in open(os.path.join(workdir, "metrics.jsonl"))]
  losses = [r for r in rows if "d_loss" in r]
  scores = [r for r in rows if "eval/fid" in r]
  assert losses[-1]["step"] == 4 and np.isfinite(losses[-1]["d_loss"])
  assert scores[-1]["step"] == 4 and np.isfinite(scores[-1]["eval/fid"])
  with np.load(train.sample(experiment_config("stylegan.py:smoke"), workdir, 16)) as samples:
    assert samples["x"].shape == (16, 28, 28, 1) and np.all(np.abs(samples["x"]) <= 1)
  # psi = 0: every z gives one image (w_avg, fixed noise)
  config = experiment_config("stylegan.py:smoke", **{"sample.truncation": 0.0})
  run = train.Run(config)
  state, _, step = run.restore(workdir)
  assert step == 4 and float(np.abs(state.g["stats"]["w_avg"]).max()) > 0
  x = np.asarray(jax.jit(run.method.sample)(run.generator_variables(state),
                                            run.conditions(8, 0))["x"])
  assert x.shape == (8, 28, 28, 1)
  assert np.max(np.abs(x - x[:1])) < 1e-6 and np.std(x[0]) > 1e-3
  # The figures of the run (experiments/figures/stylegan_mixing.py): psi = 0 leaves no
  # diversity, and each mixed row block has the grid's shape.
  from experiments.figures import stylegan_mixing
  out = tmp_path / "figures"
  stylegan_mixing.main(["--out", str(out), "--run", workdir])
  numbers = json.load(open(out / "stylegan_mixing.json"))
  diversity = numbers["truncation"]["diversity"]
  assert numbers["truncation"]["psi"][-1] == 0.0 and diversity[-1] < 1e-6 < diversity[0]
  assert [d["cutoff"] for d in numbers["mixing"]] == [2, 4] and numbers["protocol"]["step"] == 4
  assert all(d["to_coarse_source"] > 0 and d["to_fine_source"] > 0 for d in numbers["mixing"])
  for name in ("stylegan_mixing.png", "stylegan_truncation.png"):
    assert os.path.getsize(out / name) > 1000
