"""Sampling from a trained G: EMA weights with BatchNorm get their own statistics."""
import jax
import jax.numpy as jnp
import numpy as np

from gan_jax import parallel, sampling, train


def test_ema_generator_with_batchnorm_samples_with_its_own_statistics(make_config, tmp_path):
  config = make_config("dcgan.py:smoke", **{"ema.decay": 0.5, "train.steps": 4,
                                           "eval.metrics": ()})
  run = train.Run(config)
  state = train.train(config, str(tmp_path), progress=False)
  # EMA weights whose first layer is 3x the raw one: their pre-BatchNorm activations are
  # 3x larger, so the raw G's running statistics are wrong for them by a factor of 9 in
  # the variance, while BatchNorm in training mode does not see the scale at all.
  ema = jax.tree.map(lambda x: x, state.g["params"])
  ema["Dense_0"]["kernel"] = 3.0 * ema["Dense_0"]["kernel"]
  state = state.replace(ema=ema)
  z = np.asarray(run.method.latent(jax.random.PRNGKey(7), 2048))
  train_mode = run.method.G.apply({**state.g, "params": ema}, z, train=True,
                                  mutable=["batch_stats"])[0]
  fixed = sampling.generate(run.method, run.generator_variables(state), z)
  naive = sampling.generate(run.method, {**state.g, "params": ema}, z)
  assert np.mean(np.abs(fixed - train_mode)) < 0.02
  assert np.mean(np.abs(naive - train_mode)) > 5 * np.mean(np.abs(fixed - train_mode))


def test_standing_statistics_are_the_mean_batch_moments(make_config):
  config = make_config("dcgan.py:smoke")
  run = train.Run(config)
  state = run.init_state()
  stats = sampling.standing_statistics(run.method, state.g, run.source, batches=3)
  # The first BatchNorm normalises Dense(z) reshaped to [B, 7, 7, F]: its moments by hand.
  means, variances = [], []
  for i in range(3):
    z = run.method.latent(jax.random.PRNGKey(i), config.data.batch_size, parallel.Context())
    h = z @ state.g["params"]["Dense_0"]["kernel"]
    h = h.reshape(len(z), 7, 7, -1)
    means.append(jnp.mean(h, axis=(0, 1, 2)))
    variances.append(jnp.var(h, axis=(0, 1, 2)))
  first = stats["BatchNorm_0"]
  np.testing.assert_allclose(first["mean"], np.mean(means, 0), rtol=1e-4, atol=1e-6)
  np.testing.assert_allclose(first["var"], np.mean(variances, 0), rtol=1e-4, atol=1e-6)


def test_standing_statistics_whatever_the_batchnorm_momentum(make_config):
  """PacGAN's G keeps its running statistics with momentum 0.95 (networks/pacgan_mlp.py),
  not the 0.9 of networks/layers.py: the standing statistics are still the batch's."""
  config = make_config("gan.py:net=pacgan,smoke")
  run = train.Run(config)
  state = run.init_state()
  stats = sampling.standing_statistics(run.method, state.g, run.source, batches=2)
  means, variances = [], []
  for i in range(2):
    z = run.method.latent(jax.random.PRNGKey(i), config.data.batch_size, parallel.Context())
    h = z @ state.g["params"]["Dense_0"]["kernel"]
    means.append(jnp.mean(h, axis=0))
    variances.append(jnp.var(h, axis=0))
  np.testing.assert_allclose(stats["BatchNorm_0"]["mean"], np.mean(means, 0), rtol=1e-3,
                             atol=1e-7)
  np.testing.assert_allclose(stats["BatchNorm_0"]["var"], np.mean(variances, 0), rtol=1e-3,
                             atol=1e-9)
