"""UNIT: the shared layers, G's loss as the weighted sum of its terms (recomputed here
from the encoders and generators), translation through the codes' means, and bad
configs refused."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gan_jax import losses, methods, parallel, train_step as step_lib
from gan_jax.networks import unit as unit_nets
from tests.conftest import experiment_config
from tests.methods.test_cyclegan import batch

SPEC = "unit.py:smoke"


@pytest.fixture(scope="module")
def built():
  config = experiment_config(SPEC)
  method = methods.get("unit").build(config, (32, 32, 1))
  state = step_lib.init_state(config, method, jax.random.PRNGKey(0), batch())
  return config, method, state


def _apply(method, g_vars, name, x, domain):
  return method.G.apply(g_vars, x, domain, method=getattr(unit_nets.UnitGenerator, name))


def test_the_encoders_last_and_the_generators_first_block_are_shared():
  config = experiment_config(SPEC, **{"model.blocks": 2})  # one private block per side
  method = methods.get("unit").build(config, (32, 32, 1))
  state = step_lib.init_state(config, method, jax.random.PRNGKey(0), batch())
  params = state.g["params"]
  assert set(params) == {"encoders_0", "encoders_1", "shared_encoder", "shared_decoder",
                         "decoders_0", "decoders_1"}
  x = jnp.asarray(batch()["a"])

  def codes(p):
    return [np.asarray(_apply(method, {"params": p}, "encode", x, d)) for d in "ab"]

  before = codes(params)
  bump = lambda tree: jax.tree.map(lambda v: v + 0.05, tree)
  shared = codes({**params, "shared_encoder": bump(params["shared_encoder"])})
  private_a = codes({**params, "encoders_0": bump(params["encoders_0"])})
  # The shared block moves both domains' codes; E_a's own layers only a's.
  assert all(np.abs(s - b).max() > 1e-3 for s, b in zip(shared, before))
  assert np.abs(private_a[0] - before[0]).max() > 1e-3
  np.testing.assert_array_equal(private_a[1], before[1])
  assert "ResnetBlock_0" in params["encoders_0"] and "ResnetBlock_0" in params["decoders_1"]
  z = jnp.asarray(before[0])
  decoded = lambda p: [np.asarray(_apply(method, {"params": p}, "decode", z, d)) for d in "ab"]
  plain = decoded(params)
  shared = decoded({**params, "shared_decoder": bump(params["shared_decoder"])})
  private_a = decoded({**params, "decoders_0": bump(params["decoders_0"])})
  assert all(np.abs(s - p).max() > 1e-4 for s, p in zip(shared, plain))
  assert np.abs(private_a[0] - plain[0]).max() > 1e-4
  np.testing.assert_array_equal(private_a[1], plain[1])


WEIGHTS = {"loss.gan_weight": 1.5, "loss.recon_weight": 3.0, "loss.kl_weight": 0.2,
           "loss.kl_cycle_weight": 0.05, "loss.cycle_a_weight": 7.0, "loss.cycle_b_weight": 5.0}


@pytest.mark.parametrize("weights", [{}, WEIGHTS], ids=["authors", "distinct"])
def test_g_loss_is_the_weighted_sum_of_its_terms_recomputed_by_hand(built, weights):
  config, method, state = built
  if weights:  # every term its own weight: a swapped pair of weights shows
    config = experiment_config(SPEC, **weights)
    method = methods.get("unit").build(config, (32, 32, 1))
    state = state.replace(hparams={**state.hparams, **{
        k: jnp.float32(weights[k]) for k in state.hparams if k in weights}})
  key = jax.random.PRNGKey(3)
  b = {k: jnp.asarray(v) for k, v in batch().items()}
  loss, (_, m) = method.g_loss(state.g["params"], {}, state.d, b, key, state.hparams,
                               parallel.Context())
  # By hand, with the method's noise draws (4 keys from `key`, in its order).
  keys = jax.random.split(key, 4)
  enc = lambda x, d: _apply(method, state.g, "encode", x, d)
  dec = lambda z, d: _apply(method, state.g, "decode", z, d)
  h_a, h_b = enc(b["a"], "a"), enc(b["b"], "b")
  z_a = h_a + jax.random.normal(keys[0], h_a.shape)
  z_b = h_b + jax.random.normal(keys[1], h_b.shape)
  ab, ba = dec(z_a, "b"), dec(z_b, "a")
  h_ab, h_ba = enc(ab, "b"), enc(ba, "a")
  aba = dec(h_ab + jax.random.normal(keys[2], h_ab.shape), "a")
  bab = dec(h_ba + jax.random.normal(keys[3], h_ba.shape), "b")
  d_of = lambda side, x: method.D.apply({"params": state.d["params"][side]}, x, train=True)
  mean_abs = lambda x, y: float(jnp.mean(jnp.abs(x - y)))
  want = {"adversarial": float(losses.g_least_squares(d_of("b", ab))
                               + losses.g_least_squares(d_of("a", ba))),
          "recon": mean_abs(dec(z_a, "a"), b["a"]) + mean_abs(dec(z_b, "b"), b["b"]),
          "kl": float(jnp.mean(h_a ** 2) + jnp.mean(h_b ** 2)),
          "cycle_a": mean_abs(aba, b["a"]), "cycle_b": mean_abs(bab, b["b"]),
          "kl_cycle": float(jnp.mean(h_ab ** 2) + jnp.mean(h_ba ** 2))}
  for k, v in want.items():
    np.testing.assert_allclose(float(m[f"g_{k}"]), v, rtol=2e-4, err_msg=k)
  w = {k.split(".")[1]: float(v) for k, v in (weights or {
      # The authors' weights (gan 1 on their E[(D - 1)^2] = 2 on gan_jax's half of it).
      "loss.gan_weight": 2, "loss.recon_weight": 10, "loss.kl_weight": 0.01,
      "loss.kl_cycle_weight": 0.01, "loss.cycle_a_weight": 10,
      "loss.cycle_b_weight": 10}).items()}
  total = (w["gan_weight"] * want["adversarial"] + w["recon_weight"] * want["recon"]
           + w["kl_weight"] * want["kl"] + w["kl_cycle_weight"] * want["kl_cycle"]
           + w["cycle_a_weight"] * want["cycle_a"] + w["cycle_b_weight"] * want["cycle_b"])
  np.testing.assert_allclose(float(loss), total, rtol=2e-4)
  assert {k: float(config.loss[k]) for k in w} == w


def test_sampling_translates_through_the_codes_means(built):
  _, method, state = built
  cond = {k: jnp.asarray(v) for k, v in batch(n=3).items()}
  out = method.sample(state.g, cond)
  ab = _apply(method, state.g, "decode", _apply(method, state.g, "encode", cond["a"], "a"),
              "b")
  np.testing.assert_allclose(np.asarray(out["ab"]), np.asarray(ab), atol=1e-6)
  through = lambda x, s, t: _apply(method, state.g, "decode",
                                  _apply(method, state.g, "encode", x, s), t)
  ba = through(cond["b"], "b", "a")
  np.testing.assert_allclose(np.asarray(out["ba"]), np.asarray(ba), atol=1e-6)
  np.testing.assert_allclose(np.asarray(out["aba"]), np.asarray(through(ab, "b", "a")),
                             atol=1e-5)
  np.testing.assert_allclose(np.asarray(out["bab"]), np.asarray(through(ba, "a", "b")),
                             atol=1e-5)
  # D's batch (generate in training) decodes noisy codes: z = h + n with the key's draw.
  key = jax.random.PRNGKey(0)
  fake, _ = method.generate(state.g, cond, key, None, train=True)
  h = _apply(method, state.g, "encode", cond["a"], "a")
  noisy = _apply(method, state.g, "decode",
                 h + jax.random.normal(jax.random.split(key)[0], h.shape), "b")
  np.testing.assert_allclose(np.asarray(fake["ab"]), np.asarray(noisy), atol=1e-6)
  assert np.abs(np.asarray(noisy) - np.asarray(ab)).max() > 1e-3


@pytest.mark.parametrize("overrides,match", [
    ({"loss.identity_weight": 5.0}, "identity_weight=0"),
    ({"model.pool_size": 50}, "pool_size=0"),
    ({"model.g_norm": "batch"}, "g_norm='batch'"),
    ({"model.blocks": 0}, "blocks=0"),
    ({"loss.kl_weight": -1.0}, r"kl_weight=-1\.0")])
def test_configs_unit_cannot_train_are_refused(overrides, match):
  config = experiment_config(SPEC, **overrides)
  with pytest.raises(ValueError, match=match):
    methods.get("unit").build(config, (32, 32, 1))
