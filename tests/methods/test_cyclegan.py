"""The unpaired family (CycleGAN, DiscoGAN, DualGAN): the cycle and identity terms on
generators whose outputs we know, D's loss over the pooled images, the ablation
switches, and the sampling contract."""
import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gan_jax import image_pool, losses, methods, parallel, train_step as step_lib
from gan_jax.methods import _unpaired
from tests.conftest import experiment_config

ABLATIONS = {"full": (2.0, 10.0, 10.0), "cycle_only": (0.0, 10.0, 10.0),
             "gan_only": (2.0, 0.0, 0.0), "forward": (2.0, 10.0, 0.0),
             "backward": (2.0, 0.0, 10.0)}  # (gan, forward cycle, backward cycle) weights


def batch(n=4, size=32, seed=0):
  rng = np.random.default_rng(seed)
  return {k: rng.uniform(-0.5, 0.5, (n, size, size, 1)).astype(np.float32) for k in "ab"}


def build(spec, **overrides):
  return _build(spec, tuple(sorted(overrides.items())))


@functools.lru_cache(maxsize=None)
def _build(spec, overrides):
  """(config, method, fresh state), built once per spec (Flax's eager init compiles each
  layer's ops; the tests share them)."""
  config = experiment_config(spec, **dict(overrides))
  method = methods.get(config.method).build(config, (32, 32, 1))
  state = step_lib.init_state(config, method, jax.random.PRNGKey(0), batch())
  return config, method, state


def g_loss(method, state, hp=None, jit=True):
  """G's loss and its terms on `batch()`; compiled once per method (`jit`), or op by op
  where a test swaps the method's networks for stand-ins."""
  g_params, g_coll = state.g["params"], {k: v for k, v in state.g.items() if k != "params"}
  fn = _compiled_g_loss(method) if jit else functools.partial(method.g_loss,
                                                               ctx=parallel.Context())
  loss, (_, m) = fn(g_params, g_coll, state.d, batch(), jax.random.PRNGKey(1),
                    hp or state.hparams)
  return float(loss), {k: float(v) for k, v in m.items()}


@functools.lru_cache(maxsize=None)
def _compiled_g_loss(method):
  return jax.jit(functools.partial(method.g_loss, ctx=parallel.Context()))


class Shifting:
  """Stands in for the generators: G_ab(x) = x + 0.1, G_ba(x) = x - 0.3 (every pixel)."""
  SHIFT = {"ab": 0.1, "ba": -0.3}

  def __init__(self, method):
    self.method = method

  def __call__(self, g_vars, direction, x, train, key=None):
    return x + self.SHIFT[direction], _unpaired.sub(g_vars, direction)


@pytest.mark.parametrize("variant, distance", [("cyclegan", "l1"), ("discogan", "l2")])
def test_cycle_and_identity_terms_equal_their_hand_computed_values(variant, distance,
                                                                   monkeypatch):
  _, method, state = build(f"cyclegan.py:smoke,variant={variant}",
                           **{"loss.identity_weight": 5.0})
  monkeypatch.setattr(method, "translate", Shifting(method))
  total, m = g_loss(method, state, jit=False)
  # Forward cycle: (a + 0.1) - 0.3 - a = -0.2 at every pixel; backward: b - 0.3 + 0.1 - b.
  # Identity: G_ab(b) - b = 0.1 and G_ba(a) - a = -0.3.
  d = (lambda v: abs(v)) if distance == "l1" else (lambda v: v * v)
  np.testing.assert_allclose(m["g_cycle_a"], d(0.2), rtol=1e-5)
  np.testing.assert_allclose(m["g_cycle_b"], d(0.2), rtol=1e-5)
  np.testing.assert_allclose(m["g_identity"], d(0.1) + d(0.3), rtol=1e-5)
  # The adversarial term: the loss pair's G loss of D_b on a + 0.1 plus D_a on b - 0.3.
  loss_g = losses.get(method.loss_name)[1]
  d_out = lambda domain, x: method.D.apply(_unpaired.sub(state.d, domain), x, train=True,
                                           mutable=["batch_stats"])[0]
  adversarial = loss_g(d_out("b", batch()["a"] + 0.1)) + loss_g(d_out("a", batch()["b"] - 0.3))
  np.testing.assert_allclose(m["g_adversarial"], float(adversarial), rtol=1e-5)
  gan, lam = (2.0, 10.0) if variant == "cyclegan" else (1.0, 1.0)
  np.testing.assert_allclose(total, gan * m["g_adversarial"] + lam * (m["g_cycle_a"] + m[
      "g_cycle_b"]) + 5.0 * m["g_identity"], rtol=1e-5)


@pytest.mark.parametrize("ablation", list(ABLATIONS))
def test_each_ablation_switch_keeps_only_its_loss_terms(ablation):
  config = experiment_config(f"cyclegan.py:smoke,ablation={ablation},identity=0")
  gan, forward, backward = ABLATIONS[ablation]
  weights = {k: config.loss[k.split(".")[1]] for k in _unpaired.HPARAM_KEYS}
  assert tuple(weights.values()) == (gan, forward, backward)
  # The weights are step arrays (next test): every switch runs through one compiled loss.
  _, method, state = build("cyclegan.py:smoke,identity=0")
  hp = {**state.hparams, **{k: jnp.float32(v) for k, v in weights.items()}}
  total, m = g_loss(method, state, hp)
  assert "g_identity" not in m  # identity 0: its generator passes are not built
  np.testing.assert_allclose(total, gan * m["g_adversarial"] + forward * m["g_cycle_a"]
                             + backward * m["g_cycle_b"], rtol=1e-5)
  # Without the GAN terms G's loss does not depend on D at all; with them it does.
  d_other = {**state.d, "params": jax.tree.map(lambda x: 1.5 * x, state.d["params"])}
  moved = g_loss(method, state.replace(d=d_other), hp)[0] != total
  assert moved == (gan > 0)


def test_the_weights_are_step_arrays_a_sweep_varies():
  config, method, state = build("cyclegan.py:smoke,identity=0")
  assert {"loss.gan_weight", "loss.cycle_a_weight", "loss.cycle_b_weight"} <= \
      step_lib.array_keys(config)
  assert [float(state.hparams[k]) for k in _unpaired.HPARAM_KEYS] == [2.0, 10.0, 10.0]
  _, m = g_loss(method, state)
  hp = {**state.hparams, "loss.cycle_b_weight": jnp.float32(0.0), "loss.gan_weight":
        jnp.float32(0.0)}
  total, _ = g_loss(method, state, hp)
  np.testing.assert_allclose(total, 10.0 * m["g_cycle_a"], rtol=1e-5)
  sweep = __import__("experiments.cyclegan", fromlist=["get_sweep"]).get_sweep("identity=0")
  assert [(s["loss.gan_weight"], s["loss.cycle_a_weight"], s["loss.cycle_b_weight"])
          for s in sweep] == list(ABLATIONS.values())


def test_d_loss_is_the_least_squares_loss_of_each_d_on_the_pooled_images():
  config, method, state = build("cyclegan.py:smoke")
  assert config.model.pool_size == 50 and int(state.d["pool"]["ab"]["count"]) == 0
  fake = {"ab": jnp.asarray(batch(seed=1)["a"]), "ba": jnp.asarray(batch(seed=2)["b"])}
  collections = {k: v for k, v in state.d.items() if k != "params"}
  loss, (new, m) = method.d_loss(state.d["params"], collections, batch(), fake,
                                 jax.random.PRNGKey(3), state.hparams, parallel.Context(), 0, {})
  # The pools were empty: they store the 4 new images and hand them back unchanged.
  for direction in ("ab", "ba"):
    assert int(new["pool"][direction]["count"]) == 4
    np.testing.assert_array_equal(new["pool"][direction]["images"][:4], fake[direction])
  d_out = lambda domain, x: method.D.apply(_unpaired.sub(state.d, domain), x, train=True)
  want_b = losses.d_least_squares(d_out("b", batch()["b"]), d_out("b", fake["ab"]))
  want_a = losses.d_least_squares(d_out("a", batch()["a"]), d_out("a", fake["ba"]))
  np.testing.assert_allclose([m["d_b_loss"], m["d_a_loss"], float(loss)],
                             [want_b, want_a, want_a + want_b], rtol=1e-5)


def test_with_full_pools_d_is_scored_on_what_the_pools_hand_back():
  config, method, state = build("cyclegan.py:smoke")
  rng = np.random.default_rng(5)
  full = {d: {"images": jnp.asarray(rng.uniform(-1, 1, (50, 32, 32, 1)), jnp.float32),
              "count": jnp.int32(50)} for d in ("ab", "ba")}
  collections = {**{k: v for k, v in state.d.items() if k not in ("params", "pool")},
                 "pool": full}
  fake = {"ab": jnp.asarray(batch(seed=1)["a"]), "ba": jnp.asarray(batch(seed=2)["b"])}
  key = jax.random.PRNGKey(7)
  _, (new, m) = method.d_loss(state.d["params"], collections, batch(), fake, key,
                              state.hparams, parallel.Context(), 0, {})
  k_pool = jax.random.split(key)[0]
  d_out = lambda domain, x: method.D.apply(_unpaired.sub(state.d, domain), x, train=True)
  for i, (direction, domain) in enumerate((("ab", "b"), ("ba", "a"))):
    shown, pool = image_pool.query(full[direction], fake[direction],
                                   jax.random.fold_in(k_pool, i))
    # Some of the 4 new images were swapped for stored ones (p = 1/2 each; this key).
    assert 0 < int(jnp.sum(jnp.any(shown != fake[direction], axis=(1, 2, 3)))) < 4
    np.testing.assert_array_equal(new["pool"][direction]["images"], pool["images"])
    want = losses.d_least_squares(d_out(domain, batch()[domain]), d_out(domain, shown))
    np.testing.assert_allclose(m[f"d_{domain}_loss"], float(want), rtol=1e-5)


def test_without_a_pool_d_sees_the_new_images_and_the_state_has_no_pool():
  _, method, state = build("cyclegan.py:smoke,variant=discogan")
  assert "pool" not in state.d and method.pool_size == 0
  assert set(state.g["params"]) == {"ab", "ba"} and set(state.d["params"]) == {"a", "b"}


def test_samples_hold_both_directions_and_their_cycles():
  _, method, state = build("cyclegan.py:smoke")
  cond = batch(n=3)
  out = method.sample(state.g, cond)
  g = lambda d, x: method.G.apply(_unpaired.sub(state.g, d), x, train=False)
  np.testing.assert_allclose(out["ab"], g("ab", cond["a"]), atol=1e-6)
  np.testing.assert_allclose(out["aba"], g("ba", g("ab", cond["a"])), atol=1e-6)
  np.testing.assert_allclose(out["bab"], g("ab", g("ba", cond["b"])), atol=1e-6)
  np.testing.assert_array_equal(out["x"], out["ab"])
  cells, rows = method.grid({**cond, **{k: np.asarray(v) for k, v in out.items()}})
  assert cells.shape == (18, 32, 32, 1) and rows == 2  # a|ab|aba x3, then b|ba|bab x3
  np.testing.assert_array_equal(cells[1], out["ab"][0])
  np.testing.assert_array_equal(cells[9 + 2], out["bab"][0])


def test_a_and_b_of_different_shapes_are_refused_with_the_keys_to_set():
  config = experiment_config("cyclegan.py:smoke")
  method = methods.get(config.method).build(config, (32, 32, 1))
  bad = {"a": np.zeros((2, 32, 32, 3), np.float32), "b": np.zeros((2, 32, 32, 1), np.float32)}
  with pytest.raises(ValueError, match="data.channels"):
    method.init(jax.random.PRNGKey(0), bad)
