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


def test_the_encoders_last_and_the_generators_first_block_are_shared(built):
  _, method, state = built
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
  z = jnp.asarray(before[0])
  outs = [np.asarray(_apply(method, {"params": {**params, "shared_decoder":
                                                bump(params["shared_decoder"])}},
                            "decode", z, d)) for d in "ab"]
  assert all(np.abs(o - np.asarray(_apply(method, state.g, "decode", z, d))).max() > 1e-4
             for o, d in zip(outs, "ab"))


def test_g_loss_is_the_weighted_sum_of_its_terms_recomputed_by_hand(built):
  config, method, state = built
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
  # The authors' weights (gan 1 on their E[(D - 1)^2] = 2 on gan_jax's half of it).
  total = (2 * want["adversarial"] + 10 * (want["recon"] + want["cycle_a"] + want["cycle_b"])
           + 0.01 * (want["kl"] + want["kl_cycle"]))
  np.testing.assert_allclose(float(loss), total, rtol=2e-4)
  assert config.loss.recon_weight == 10 and config.loss.kl_cycle_weight == 0.01


def test_sampling_translates_through_the_codes_means(built):
  _, method, state = built
  cond = {k: jnp.asarray(v) for k, v in batch(n=3).items()}
  out = method.sample(state.g, cond)
  ab = _apply(method, state.g, "decode", _apply(method, state.g, "encode", cond["a"], "a"),
              "b")
  np.testing.assert_allclose(np.asarray(out["ab"]), np.asarray(ab), atol=1e-6)
  bab = _apply(method, state.g, "decode",
               _apply(method, state.g, "encode", out["ba"], "a"), "b")
  np.testing.assert_allclose(np.asarray(out["bab"]), np.asarray(bab), atol=1e-6)
  # Training draws z around the mean: a different translation.
  noisy, _ = method.translate(state.g, "ab", cond["a"], True, jax.random.PRNGKey(0))
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
