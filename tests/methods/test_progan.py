"""Progressive growing (gan_jax/methods/progan.py, gan_jax/networks/progan.py): the
schedule, the fade-in's continuity, one parameter tree for every stage, the state's
stage and alpha, Adam's reset, the drift term, sampling at the stored stage, and a
16-px run through its three stages."""
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from gan_jax import parallel, train
from gan_jax.methods import progan
from gan_jax.networks import progan as nets


@pytest.fixture(scope="module")
def setup():
  """(config, run, method, fresh state) of the 16-px smoke config."""
  from tests.conftest import experiment_config
  config = experiment_config("progan.py:smoke,size=16", **{"eval.metrics": ()})
  run = train.Run(config)
  return config, run, run.method, run.init_state()


def test_schedule_stages_and_alpha(setup):
  # smoke: batch 16, 64 images (4 steps) per stabilisation and per fade; 16 px: 3 stages
  _, _, m, _ = setup
  assert [m.stage(t) for t in range(22)] == [0] * 4 + [1] * 8 + [2] * 10
  alphas = [float(m._phase(t)[1]) for t in range(22)]
  assert alphas[:4] == [1.0] * 4
  assert alphas[4:8] == [0.0, 0.25, 0.5, 0.75] and alphas[8:12] == [1.0] * 4
  assert alphas[12:16] == [0.0, 0.25, 0.5, 0.75] and alphas[16:] == [1.0] * 6
  # the step's array version agrees with the host's
  h, a = jax.vmap(lambda t: m._phase(t, jnp))(jnp.arange(22))
  assert np.array_equal(np.asarray(h), [int(m._phase(t)[0]) for t in range(22)])
  assert np.allclose(np.asarray(a), alphas)


def test_fade_in_starts_where_the_previous_stage_ends():
  """At alpha = 0 the new block has no say: G and D equal the previous stage's; at
  alpha = 1 they differ."""
  G, D = nets.Generator(16, 1, width=8, fmap_base=32), nets.Discriminator(16, 8, 32)
  z = jax.random.normal(jax.random.PRNGKey(0), (4, 8))
  x = jax.random.uniform(jax.random.PRNGKey(1), (4, 16, 16, 1), minval=-1, maxval=1)
  g_vars, d_vars = jax.jit(lambda: (G.init(jax.random.PRNGKey(2), z, train=False),
                                    D.init(jax.random.PRNGKey(3), x, train=False)))()

  @jax.jit
  def outputs(g_vars, d_vars):  # at each stage s > 0: alpha 0, alpha 1, stage s - 1
    g = {s: (G.apply(g_vars, z, stage=s, alpha=0.0), G.apply(g_vars, z, stage=s, alpha=1.0),
             G.apply(g_vars, z, stage=s - 1)) for s in (1, 2)}
    d = {s: (D.apply(d_vars, x, stage=s, alpha=0.0), D.apply(d_vars, x, stage=s - 1))
         for s in (1, 2)}
    return g, d, G.apply(g_vars, z, stage=0)
  g, d, out = outputs(g_vars, d_vars)
  for s in (1, 2):
    new0, new1, old = g[s]
    assert new0.shape == old.shape == (4, 16, 16, 1)
    np.testing.assert_allclose(new0, old, atol=1e-5)
    assert float(jnp.max(jnp.abs(new1 - old))) > 1e-2
    np.testing.assert_allclose(*d[s], atol=1e-5)
  # stage 0 is 4x4 blocks of 4x4 pixels
  out = np.asarray(out)
  assert np.array_equal(out, np.repeat(np.repeat(out[:, ::4, ::4], 4, 1), 4, 2))
  # every resolution's layers exist from init; channels min(8, 64 / r): 8, 8, 4
  names = set(g_vars["params"])
  assert {"to_rgb_4", "to_rgb_8", "to_rgb_16", "conv_16_up", "dense_4"} <= names
  assert {"from_rgb_4", "from_rgb_8", "from_rgb_16", "out"} <= set(d_vars["params"])
  assert g_vars["params"]["conv_16"]["conv"]["kernel"].shape == (3, 3, 4, 4)
  # equalised learning rate: weights N(0, 1), biases 0
  kernels = np.concatenate([np.ravel(v) for p, v in
                            jax.tree_util.tree_leaves_with_path(g_vars["params"])
                            if "kernel" in jax.tree_util.keystr(p)])
  assert abs(kernels.std() - 1.0) < 0.1
  assert all(float(jnp.max(jnp.abs(v))) == 0 for p, v in
             jax.tree_util.tree_leaves_with_path(g_vars["params"])
             if "bias" in jax.tree_util.keystr(p))


def test_pixel_norm_gives_unit_mean_square_per_pixel():
  x = jax.random.normal(jax.random.PRNGKey(0), (2, 3, 3, 5)) * 7.0
  np.testing.assert_allclose(jnp.mean(nets.pixel_norm(x) ** 2, -1), 1.0, rtol=1e-5)


def test_the_state_holds_stage_and_alpha_and_adam_resets_at_each_phase(setup, make_config):
  _, _, m, state = setup
  assert int(state.g["growth"]["stage"]) == 0 and float(state.d["growth"]["alpha"]) == 1.0
  is_adam = lambda x: isinstance(x, optax.ScaleByAdamState)
  adam = lambda opt: [x for x in jax.tree.leaves(opt, is_leaf=is_adam) if is_adam(x)][0]
  ones = lambda opt: jax.tree.map(lambda x: jax.tree.map(jnp.ones_like, x) if is_adam(x)
                                  else x, opt, is_leaf=is_adam)
  # as after 4 steps of stage 0 (every Adam moment and count 1)
  state = state.replace(step=jnp.asarray(4, jnp.int32), d_opt=ones(state.d_opt),
                        g_opt=ones(state.g_opt))
  begin = jax.jit(m.at_stage(1).begin_step)
  fresh = begin(state)  # step 4: the first of stage 1's fade
  assert int(fresh.g["growth"]["stage"]) == 1 and float(fresh.g["growth"]["alpha"]) == 0.0
  assert int(fresh.d["growth"]["stage"]) == 1
  for opt in (fresh.d_opt, fresh.g_opt):
    assert int(adam(opt).count) == 0
    assert all(float(jnp.max(jnp.abs(x))) == 0 for x in jax.tree.leaves((adam(opt).mu,
                                                                         adam(opt).nu)))
  lr = lambda s: float(s.d_opt.hyperparams["learning_rate"])
  assert lr(fresh) == lr(state) == pytest.approx(1e-3)  # the learning rate stays
  later = begin(state.replace(step=state.step + 1))  # step 5: no reset
  assert int(adam(later.d_opt).count) == 1 and float(later.g["growth"]["alpha"]) == 0.25
  off = progan.ProGan(make_config("progan.py:smoke,size=16",
                                  **{"growth.reset_optimizer": False}), m.data_shape)
  assert int(adam(jax.jit(off.at_stage(1).begin_step)(state).d_opt).count) == 1


def test_drift_adds_its_weight_times_mean_squared_real_score(setup):
  config, run, m, state = setup
  state = m.at_stage(1).begin_step(state.replace(step=jnp.asarray(6, jnp.int32)))
  batch = run.source.batch(0)
  fake = jnp.zeros_like(batch["x"])
  key = jax.random.PRNGKey(0)
  collections = {"growth": state.d["growth"]}

  @jax.jit
  def loss(drift):
    hp = {**state.hparams, "loss.drift": drift}
    return m.at_stage(1).d_loss(state.d["params"], collections, batch, fake, key, hp,
                                parallel.Context(), 0, config.regularizers.to_dict())
  (l0, _), (l1, (_, m1)) = loss(jnp.asarray(0.0)), loss(jnp.asarray(0.001))
  assert float(m1["drift"]) > 0 and float(m1["alpha"]) == 0.5 and float(m1["stage"]) == 1
  assert float(l1 - l0) == pytest.approx(0.001 * float(m1["drift"]), abs=1e-6)
  # the drift is E[D(x)^2] on the (faded) reals, not on the fakes or unsquared
  real = m.fade_reals(jnp.asarray(batch["x"]), 1, 0.5)
  scores = m.D.apply({"params": state.d["params"]}, real, stage=1, alpha=0.5)
  assert float(m1["drift"]) == pytest.approx(float(jnp.mean(scores ** 2)), rel=1e-4)


def test_reals_fade_like_gs_output(setup):
  """The authors' process_reals: at stage s with alpha, the reals are
  (1 - alpha) up2(pool2(x_s)) + alpha x_s, x_s the reals pooled to the stage's size,
  shown at full size (nearest upsampling)."""
  _, _, m, _ = setup  # 16 px: stages 4, 8, 16
  x = jax.random.uniform(jax.random.PRNGKey(0), (2, 16, 16, 1), minval=-1, maxval=1)
  pool = lambda v, f: v.reshape(2, 16 // f, f, 16 // f, f, 1).mean(axis=(2, 4))
  up = lambda v, f: jnp.repeat(jnp.repeat(v, f, 1), f, 2)
  np.testing.assert_allclose(m.fade_reals(x, 2, 1.0), x, atol=1e-6)
  np.testing.assert_allclose(m.fade_reals(x, 0, 1.0), up(pool(x, 4), 4), atol=1e-6)
  x8, x4 = up(pool(x, 2), 2), up(pool(x, 4), 4)
  np.testing.assert_allclose(m.fade_reals(x, 1, 0.0), x4, atol=1e-6)
  np.testing.assert_allclose(m.fade_reals(x, 1, 1.0), x8, atol=1e-6)
  np.testing.assert_allclose(m.fade_reals(x, 1, 0.25), 0.75 * x4 + 0.25 * x8, atol=1e-6)
  np.testing.assert_allclose(m.fade_reals(x, 2, 0.25), 0.75 * x8 + 0.25 * x, atol=1e-6)


def test_sampling_follows_the_stage_in_the_state(setup):
  _, run, m, state = setup
  sample = jax.jit(m.sample)
  z = {"z": np.asarray(jax.random.normal(jax.random.PRNGKey(0), (3, m.z_dim)))}
  for stage, block in ((0, 4), (1, 2), (2, 1)):
    g = {**state.g, "growth": {"stage": jnp.asarray(stage), "alpha": jnp.asarray(1.0)}}
    x = np.asarray(sample(g, z)["x"])
    assert x.shape == (3, 16, 16, 1) and x.min() >= -1 and x.max() <= 1
    raw = jax.jit(lambda p, z: m.G.apply(p, z, stage=stage))({"params": g["params"]}, z["z"])
    np.testing.assert_allclose(x, np.clip(raw, -1, 1), atol=1e-6)
    blocky = np.repeat(np.repeat(x[:, ::block, ::block], block, 1), block, 2)
    assert np.array_equal(x, blocky) and (block == 1 or not np.array_equal(x, x[:, ::-1]))
  assert m.describe(g) == "16x16, alpha 1.00"


def test_bad_growth_config_names_the_key(make_config):
  with pytest.raises(ValueError, match=r"growth.fade_images=0 must be an integer >= 1"):
    train.Run(make_config("progan.py:smoke", **{"growth.fade_images": 0}))
  with pytest.raises(ValueError, match=r"loss.drift=-1.0 must be >= 0"):
    train.Run(make_config("progan.py:smoke", **{"loss.drift": -1.0}))
