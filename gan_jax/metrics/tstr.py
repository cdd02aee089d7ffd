"""Train on Synthetic, Test on Real (TSTR; Esteban et al., 2017, "Real-valued (medical)
time series generation with recurrent conditional GANs", Sec. 4; called GAN-train by
Shmelkov et al., 2018, "How good is my GAN?").

A small classifier is trained on labelled generated data (x_syn, y_syn) and its
accuracy is measured on a real labelled test set. The same function trained on real
training data gives the real-on-real baseline (TRTR) to read TSTR against: a
conditional generator whose samples are both realistic and diverse gets close to it.

The classifier is fixed so numbers compare across runs: images [N, H, W, C] go to a
small CNN (3x3 stride-2 convolutions with 8, 16, 32, ... channels until the side is
<= 8, then a 64-unit hidden layer), flat features [N, D] to an MLP with one 256-unit
hidden layer; optax Adam, cross-entropy, a fixed seed, `epochs` shuffled passes in
batches (one compiled `lax.scan` per epoch). uint8 inputs are mapped to [-1, 1]
(x / 127.5 - 1, the range of the framework's samples); float inputs are used as they
are, so pass real and generated data in the same range.
"""
from __future__ import annotations

import functools

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import optax


class SmallCNN(nn.Module):
  """Images [N, H, W, C] -> logits [N, num_classes]."""
  num_classes: int

  @nn.compact
  def __call__(self, x):
    features, side = 8, max(x.shape[1], x.shape[2])
    while side > 8 or features == 8:
      x = nn.relu(nn.Conv(features, (3, 3), strides=2)(x))
      features, side = features * 2, (side + 1) // 2
    x = nn.relu(nn.Dense(64)(x.reshape(x.shape[0], -1)))
    return nn.Dense(self.num_classes)(x)


class MLP(nn.Module):
  """Features [N, D] -> logits [N, num_classes]."""
  num_classes: int

  @nn.compact
  def __call__(self, x):
    return nn.Dense(self.num_classes)(nn.relu(nn.Dense(256)(x)))


def _prepare(x: np.ndarray, y: np.ndarray, name: str) -> tuple[np.ndarray, np.ndarray]:
  x, y = np.asarray(x), np.asarray(y)
  if x.ndim not in (2, 4):
    raise ValueError(f"{name} inputs must be images [N, H, W, C] or features [N, D], got "
                     f"shape {x.shape}; add a channel axis to grey images ([N, H, W, 1]).")
  if y.shape != (len(x),) or not np.issubdtype(y.dtype, np.integer):
    raise ValueError(f"{name} labels must be integers of shape ({len(x)},), got "
                     f"{y.dtype} {y.shape}.")
  x = x.astype(np.float32) / 127.5 - 1.0 if x.dtype == np.uint8 else x.astype(np.float32)
  return x, y.astype(np.int32)


def _make_epoch(model, tx, batch_size: int):
  def loss_fn(params, x, y):
    logits = model.apply(params, x)
    return optax.softmax_cross_entropy_with_integer_labels(logits, y).mean()

  @jax.jit
  def epoch(params, opt_state, x, y, key):
    steps = x.shape[0] // batch_size
    order = jax.random.permutation(key, x.shape[0])[:steps * batch_size]

    def step(carry, idx):
      params, opt_state = carry
      loss, grads = jax.value_and_grad(loss_fn)(params, x[idx], y[idx])
      updates, opt_state = tx.update(grads, opt_state, params)
      return (optax.apply_updates(params, updates), opt_state), loss

    (params, opt_state), losses = jax.lax.scan(
        step, (params, opt_state), order.reshape(steps, batch_size))
    return params, opt_state, losses.mean()
  return epoch


@functools.lru_cache(maxsize=None)
def _trainer(images: bool, num_classes: int, batch_size: int, learning_rate: float):
  """(model, optimizer, jitted epoch, jitted predict), built once per setting so that
  repeated scoring (every eval of a run) compiles once."""
  model = (SmallCNN if images else MLP)(num_classes)
  tx = optax.adam(learning_rate)
  predict = jax.jit(lambda p, xb: model.apply(p, xb).argmax(-1))
  return model, tx, _make_epoch(model, tx, batch_size), predict


def _accuracy(predict, params, x: np.ndarray, y: np.ndarray, batch_size: int = 1000) -> float:
  correct = 0
  for start in range(0, len(x), batch_size):
    xb = x[start:start + batch_size]
    pad = batch_size - len(xb)  # pad the last batch: one compiled shape
    xb = np.concatenate([xb, np.zeros((pad,) + xb.shape[1:], xb.dtype)]) if pad else xb
    pred = np.asarray(predict(params, xb))[:batch_size - pad]
    correct += int((pred == y[start:start + batch_size]).sum())
  return correct / len(x)


def train_and_test(x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray,
                   y_test: np.ndarray, *, num_classes: int | None = None, epochs: int = 5,
                   batch_size: int = 128, learning_rate: float = 1e-3,
                   seed: int = 0) -> float:
  """Test accuracy in [0, 1] of the fixed classifier trained on (x_train, y_train).

  x_*: images [N, H, W, C] or features [N, D] (uint8 -> [-1, 1]); y_*: int labels [N].
  num_classes defaults to 1 + the largest label seen. TSTR: train = generated,
  test = real; TRTR baseline: train = real training split, test = real test split.
  """
  x_train, y_train = _prepare(x_train, y_train, "training")
  x_test, y_test = _prepare(x_test, y_test, "test")
  if x_train.shape[1:] != x_test.shape[1:]:
    raise ValueError(f"Training inputs {x_train.shape[1:]} and test inputs "
                     f"{x_test.shape[1:]} differ in shape; resize one set to the other.")
  if num_classes is None:
    num_classes = int(max(y_train.max(), y_test.max())) + 1
  model, tx, epoch, predict = _trainer(x_train.ndim == 4, int(num_classes),
                                       min(batch_size, len(x_train)), float(learning_rate))
  init_key, key = jax.random.split(jax.random.key(seed))
  params = model.init(init_key, x_train[:1])
  opt_state = tx.init(params)
  x_dev, y_dev = jnp.asarray(x_train), jnp.asarray(y_train)
  for epoch_key in jax.random.split(key, epochs):
    params, opt_state, _ = epoch(params, opt_state, x_dev, y_dev, epoch_key)
  return _accuracy(predict, params, x_test, y_test)


def tstr(x_syn: np.ndarray, y_syn: np.ndarray, x_test: np.ndarray, y_test: np.ndarray, *,
         x_real_train: np.ndarray | None = None, y_real_train: np.ndarray | None = None,
         **kwargs) -> dict:
  """{'tstr_accuracy'} and, given real training data, {'trtr_accuracy'} (the
  real-on-real baseline with the same classifier and settings; kwargs go to
  `train_and_test`)."""
  out = {"tstr_accuracy": train_and_test(x_syn, y_syn, x_test, y_test, **kwargs)}
  if x_real_train is not None:
    out["trtr_accuracy"] = train_and_test(x_real_train, y_real_train, x_test, y_test,
                                          **kwargs)
  return out
