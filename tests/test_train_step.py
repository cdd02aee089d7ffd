import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gan_jax import config as config_lib, methods, train_step as step_lib
from gan_jax.data import pipeline, toy


def setup(config):
  source = toy.ToySource(config.data.name, config.data.batch_size, config.seed)
  method = methods.get(config.method).build(config, source.shape)
  state = step_lib.init_state(config, method, jax.random.PRNGKey(config.seed), source.batch(0))
  batches = pipeline.host_batches(source, 0, config.train.n_critic)
  return method, state, batches


def tree_equal(a, b):
  return all(jax.tree.leaves(jax.tree.map(lambda x, y: bool(jnp.array_equal(x, y)), a, b)))


def test_d_update_leaves_g_unchanged_and_g_update_leaves_d_unchanged(make_config):
  config = make_config("wgan.py:smoke,data=grid25")
  method, state, batches = setup(config)
  d_update, g_update = step_lib.make_updates(config, method)
  batch = jax.tree.map(lambda x: x[0], next(batches))
  after_d, _ = jax.jit(d_update, static_argnums=3)(state, batch, jax.random.PRNGKey(1), 0)
  assert tree_equal(after_d.g, state.g) and tree_equal(after_d.g_opt, state.g_opt)
  assert not tree_equal(after_d.d["params"], state.d["params"])
  after_g, _ = jax.jit(g_update)(after_d, batch, jax.random.PRNGKey(2))
  assert tree_equal(after_g.d, after_d.d) and tree_equal(after_g.d_opt, after_d.d_opt)
  assert not tree_equal(after_g.g["params"], after_d.g["params"])


def test_d_objective_has_zero_gradient_wrt_g(make_config):
  config = make_config("gan.py:smoke")
  method, state, batches = setup(config)
  batch = jax.tree.map(lambda x: x[0], next(batches))
  grad_g = jax.grad(lambda g: step_lib.d_objective(
      g, state.d["params"], state, batch, jax.random.PRNGKey(3), step_lib.parallel.Context(),
      0, method, {})[0])(state.g["params"])
  leaves = jax.tree.leaves(grad_g)
  assert leaves and all(float(jnp.abs(x).max()) == 0.0 for x in leaves)


@pytest.mark.parametrize("n_critic,n_gen", [(5, 1), (1, 2)])
def test_updates_per_step_show_in_optimizer_counts(make_config, n_critic, n_gen):
  config = make_config("wgan.py:smoke,data=grid25", **{"train.n_critic": n_critic, "train.n_gen": n_gen,
                                           "optim.d.schedule": "constant",
                                           "optim.g.schedule": "constant"})
  method, state, batches = setup(config)
  step = jax.jit(step_lib.keyed(step_lib.make_train_step(config, method)))
  for _ in range(3):
    state, metrics = step(state, next(batches))
  assert int(state.d_opt.count) == 3 * n_critic and int(state.g_opt.count) == 3 * n_gen
  assert int(state.step) == 3 and int(state.nonfinite_step) == -1
  assert {"d_loss", "g_loss", "gradient_penalty", "wasserstein"} <= set(metrics)


def without_g_kernel(state):
  """`state` with G's kernel A = 0: a linear G(z) = A z + c then makes every fake c."""
  g = jax.tree.map(lambda x: x, state.g)
  g["params"]["Dense_0"]["kernel"] = jnp.zeros_like(g["params"]["Dense_0"]["kernel"])
  return state.replace(g=g)


def linear_config(make_config, lr=0.1, optimizer="sgd", **overrides):
  """G(z) = A z + c and D(x) = w.x + b (depth 0), the Wasserstein loss."""
  return make_config("gan.py:smoke", **{
      "loss.name": "wasserstein", "model.depth": 0, "optim.d.name": optimizer,
      "optim.g.name": optimizer, "optim.d.lr": lr, "optim.g.lr": lr, **overrides})


def test_linear_models_match_hand_computed_sgd_step(make_config):
  """G(z) = A z + c, D(x) = w.x + b, Wasserstein loss, SGD. With A = 0 every fake is
  c, so D's gradient is (c - mean(real), 0) and G's gradient w.r.t. c is -w."""
  lr = 0.1
  config = linear_config(make_config, lr)
  method, state, batches = setup(config)
  state = without_g_kernel(state)
  g = state.g
  batch = next(batches)
  c0 = np.asarray(g["params"]["Dense_0"]["bias"])
  w0 = np.asarray(state.d["params"]["Dense_0"]["kernel"])[:, 0]
  b0 = float(state.d["params"]["Dense_0"]["bias"][0])
  new, _ = jax.jit(step_lib.keyed(step_lib.make_train_step(config, method)))(state, batch)
  w1 = w0 - lr * (c0 - batch["x"][0].mean(0))
  np.testing.assert_allclose(new.d["params"]["Dense_0"]["kernel"][:, 0], w1, rtol=1e-5)
  assert float(new.d["params"]["Dense_0"]["bias"][0]) == pytest.approx(b0)
  np.testing.assert_allclose(new.g["params"]["Dense_0"]["bias"], c0 + lr * w1, rtol=1e-5)


def test_ema_tracks_g_params(make_config):
  config = make_config("gan.py:smoke", **{"ema.decay": 0.5})
  method, state, batches = setup(config)
  step = jax.jit(step_lib.keyed(step_lib.make_train_step(config, method)))
  before = state.ema
  new, _ = step(state, next(batches))
  expected = jax.tree.map(lambda e, p: 0.5 * e + 0.5 * p, before, new.g["params"])
  for a, b in zip(jax.tree.leaves(new.ema), jax.tree.leaves(expected)):
    np.testing.assert_allclose(a, b, rtol=1e-6)
  assert make_config("gan.py:smoke").ema.decay == 0 and setup(make_config("gan.py:smoke"))[1].ema is None


def test_same_seed_same_numbers(make_config):
  config = make_config("wgan.py:smoke,data=grid25")
  results = []
  for _ in range(2):
    method, state, batches = setup(config)
    step = jax.jit(step_lib.keyed(step_lib.make_train_step(config, method)))
    for _ in range(3):
      state, metrics = step(state, next(batches))
    results.append(state)
  assert tree_equal(results[0], results[1])


def test_linear_schedule_decays_to_zero_and_keeps_the_base_rate_an_array(make_config):
  config = make_config("wgan.py:smoke,data=grid25")
  assert config.optim.d.schedule == "linear"
  _, d_tx = step_lib.optimizers(config)
  total = config.train.steps * config.train.n_critic
  params = {"w": jnp.ones(3)}
  opt = d_tx.init(params)
  assert float(opt[0].hyperparams["learning_rate"]) == pytest.approx(config.optim.d.lr)
  sizes = []
  for _ in range(total + 1):
    updates, opt = d_tx.update({"w": jnp.ones(3)}, opt, params)
    sizes.append(float(jnp.abs(updates["w"]).max()))
  assert sizes[0] == pytest.approx(config.optim.d.lr, rel=1e-3)
  assert sizes[total // 2] == pytest.approx(config.optim.d.lr / 2, rel=0.05)
  assert sizes[-1] == 0.0


def test_linear_after_schedule_holds_the_rate_then_decays_to_zero(make_config):
  """CycleGAN's schedule: the base rate for the first half (decay_start 0.5), then a
  linear fall to 0 at the last update; Adam's first steps are ~lr in size."""
  config = make_config("cyclegan.py:smoke", **{"train.steps": 20})
  assert config.optim.g.schedule == "linear_after" and config.optim.g.decay_start == 0.5
  g_tx, _ = step_lib.optimizers(config)
  params = {"w": jnp.ones(3)}
  opt = g_tx.init(params)
  sizes = []
  for _ in range(21):
    updates, opt = g_tx.update({"w": jnp.ones(3)}, opt, params)
    sizes.append(float(jnp.abs(updates["w"]).max()))
  lr = config.optim.g.lr
  np.testing.assert_allclose(sizes[:11], lr, rtol=1e-3)  # updates 0..10: constant
  np.testing.assert_allclose(sizes[15], lr / 2, rtol=1e-3)  # halfway through the decay
  assert sizes[20] == 0.0
  with pytest.raises(ValueError, match="decay_start=1.5"):
    step_lib.optimizer(config_lib.optimizer("adam", 1e-3, schedule="linear_after",
                                            decay_start=1.5), 10)


def test_drop_after_schedule_lowers_the_rate_where_text_gans_adversarial_phase_starts(
    make_config):
  """text_gan's G: Adam 0.01 for the MLE pretraining updates (0 .. pretrain_steps - 1),
  then `adv_lr` from the first adversarial update on."""
  config = make_config("text_gan.py:smoke,adv_lr=0.001", **{"train.steps": 6})
  assert config.train.pretrain_steps == 3 and config.optim.g.schedule == "drop_after"
  g_tx, _ = step_lib.optimizers(config)
  params = {"w": jnp.ones(3)}
  opt = g_tx.init(params)
  sizes = []
  for _ in range(6):
    updates, opt = g_tx.update({"w": jnp.ones(3)}, opt, params)
    sizes.append(float(jnp.abs(updates["w"]).max()))
  np.testing.assert_allclose(sizes[:3], 0.01, rtol=1e-3)
  np.testing.assert_allclose(sizes[3:], 0.001, rtol=1e-3)
  with pytest.raises(ValueError, match="drop_factor=-1"):
    step_lib.optimizer(config_lib.optimizer("adam", 1e-3, schedule="drop_after",
                                            drop_factor=-1.0), 10)


class _NanOnEvenUpdates:
  """The wrapped method, with a metric that is NaN on every even-numbered D update."""

  def __init__(self, method):
    self.method = method

  def __getattr__(self, name):
    return getattr(self.method, name)

  def d_loss(self, *args):
    loss, (collections, metrics) = self.method.d_loss(*args)
    d_update = args[7]
    metrics = {**metrics, "probe": jnp.where(d_update % 2 == 0, jnp.nan, 0.0)}
    return loss, (collections, metrics)


def test_a_non_finite_value_in_any_update_names_its_step(make_config):
  # With n_critic 2, D update 0 of each step has a NaN metric and update 1 a finite one:
  # checking only the last update's metrics would miss it.
  config = make_config("wgan.py:smoke,data=grid25", **{"train.n_critic": 2})
  method, state, batches = setup(config)
  step = jax.jit(step_lib.keyed(step_lib.make_train_step(config, _NanOnEvenUpdates(method))))
  state, metrics = step(state, next(batches))
  assert float(metrics["probe"]) == 0.0 and int(state.nonfinite_step) == 0
  # Non-finite parameters count too, even when every loss is finite.
  method, state, batches = setup(config)
  d = jax.tree.map(lambda x: x, state.d)
  d["params"]["Dense_3"]["bias"] = jnp.full_like(d["params"]["Dense_3"]["bias"], jnp.inf)
  state = state.replace(d=d)
  step = jax.jit(step_lib.keyed(step_lib.make_train_step(config, method)))
  state, _ = step(state.replace(step=jnp.asarray(4, jnp.int32)), next(batches))
  assert int(state.nonfinite_step) == 4


def g_grad(config, method, state, batch, key=jax.random.PRNGKey(7)):
  """G's gradient in the G update of `config` (with its train.unroll)."""
  objective = step_lib.g_objective(config, method)
  return jax.jit(jax.grad(lambda g: objective(g, {}, state, batch, key)[0]))(state.g["params"])


def test_unroll_zero_is_the_plain_g_gradient_and_unrolling_changes_it(make_config):
  config = make_config("gan.py:smoke")
  method, state, batches = setup(config)
  batch = jax.tree.map(lambda x: x[0], next(batches))
  key = jax.random.PRNGKey(7)
  plain = jax.grad(lambda g: method.g_loss(g, {}, state.d, batch, key, state.hparams,
                                           step_lib.parallel.Context())[0])(state.g["params"])
  assert config.train.unroll == 0 and tree_equal(g_grad(config, method, state, batch), plain)
  unrolled = g_grad(make_config("gan.py:smoke,unroll=2"), method, state, batch)
  assert not tree_equal(unrolled, plain)


@pytest.mark.parametrize("k", [1, 3])
def test_unrolled_g_gradient_matches_hand_unrolled_sgd(make_config, k):
  """Linear G with A = 0 (every fake is c), linear D, Wasserstein loss, SGD at rate lr.
  Each unrolled D step moves w by -lr (c - mean(real)), so w_k = w - k lr (c - r) and
  G's loss -w_k.c - b has gradient -w_k + k lr c w.r.t. c; without unrolling, -w."""
  lr = 0.1
  config = linear_config(make_config, lr, **{"train.unroll": k})
  method, state, batches = setup(config)
  state = without_g_kernel(state)
  batch = jax.tree.map(lambda x: x[0], next(batches))
  c = np.asarray(state.g["params"]["Dense_0"]["bias"])
  w = np.asarray(state.d["params"]["Dense_0"]["kernel"])[:, 0]
  r = np.asarray(batch["x"]).mean(0)
  w_k = w - k * lr * (c - r)
  grad_c = np.asarray(g_grad(config, method, state, batch)["Dense_0"]["bias"])
  np.testing.assert_allclose(grad_c, -w_k + k * lr * c, rtol=1e-5, atol=1e-6)
  assert np.abs(grad_c - (-w)).max() > 0.01  # the plain step's gradient


def test_unrolled_d_continues_d_adam_state(make_config):
  """After one real step (Adam count 1, moments set), the surrogate after 2 unrolled
  updates equals 2 more Adam steps by hand from those moments (a fresh Adam state
  would move w by ~lr sign(g) at the first step instead)."""
  lr, b1, b2, k = 0.01, 0.5, 0.999, 2
  config = linear_config(make_config, lr, "adam", **{"train.unroll": k})
  method, state, batches = setup(config)
  state, _ = jax.jit(step_lib.keyed(step_lib.make_train_step(config, method)))(
      state, next(batches))
  state = without_g_kernel(state)
  batch = jax.tree.map(lambda x: x[0], next(batches))
  _, d_tx = step_lib.optimizers(config)
  surrogate = step_lib.unrolled_d(state.g["params"], state, batch, jax.random.PRNGKey(7),
                                  step_lib.parallel.Context(), method, {}, d_tx, k, 1)
  adam = state.d_opt.inner_state[0]
  count, mu, nu = int(adam.count), adam.mu["Dense_0"]["kernel"], adam.nu["Dense_0"]["kernel"]
  mu, nu = np.asarray(mu)[:, 0], np.asarray(nu)[:, 0]
  assert count == 1 and np.abs(mu).min() > 0
  w = np.asarray(state.d["params"]["Dense_0"]["kernel"])[:, 0]
  grad_w = np.asarray(state.g["params"]["Dense_0"]["bias"]) - np.asarray(batch["x"]).mean(0)
  for t in range(count + 1, count + k + 1):
    mu, nu = b1 * mu + (1 - b1) * grad_w, b2 * nu + (1 - b2) * grad_w ** 2
    w = w - lr * (mu / (1 - b1 ** t)) / (np.sqrt(nu / (1 - b2 ** t) + 1e-16) + 1e-8)
  np.testing.assert_allclose(surrogate["params"]["Dense_0"]["kernel"][:, 0], w, rtol=1e-5)


def test_unrolled_g_gradient_is_finite_where_a_d_unit_is_dead(make_config, monkeypatch):
  """The smoke D has ReLU units dead on the whole batch: their weights' gradients are
  exactly 0, so Adam's second moment stays 0 there; G's gradient through the unrolled
  Adam is finite thanks to eps_root (NaN with step_lib.EPS_ROOT = 0)."""
  config = make_config("gan.py:smoke,unroll=1")
  method, state, batches = setup(config)
  batch = jax.tree.map(lambda x: x[0], next(batches))
  d_grads = jax.grad(lambda d: step_lib.d_objective(
      state.g["params"], d, state, batch, jax.random.PRNGKey(7), step_lib.parallel.Context(),
      0, method, {})[0])(state.d["params"])
  assert sum(int(jnp.sum(x == 0)) for x in jax.tree.leaves(d_grads)) > 0
  finite = lambda tree: all(bool(jnp.all(jnp.isfinite(x))) for x in jax.tree.leaves(tree))
  assert finite(g_grad(config, method, state, batch))
  monkeypatch.setattr(step_lib, "EPS_ROOT", 0.0)
  assert not finite(g_grad(config, method, state, batch))
