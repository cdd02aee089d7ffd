"""SEGAN (Pascual et al., 2017, "SEGAN: Speech enhancement generative adversarial
network"): G maps a noisy waveform window and a latent z to the clean one; D judges
(enhanced, noisy) pairs against (clean, noisy) pairs; least-squares GAN plus L1:

  min_D 1/2 E[(D(x, x_c) - 1)^2] + 1/2 E[D(G(z, x_c), x_c)^2]                  (Eq. 4)
  min_G 1/2 E[(D(G(z, x_c), x_c) - 1)^2] + lambda ||G(z, x_c) - x||_1          (Eq. 5)

x_c the noisy window, x the clean one, lambda = `loss.content_weight` (100); the
adversarial term is scaled by `loss.gan_weight` (0: G trained on the L1 loss alone, the
L1-only baseline; D still trains and its loss is logged). Both weights are step arrays.
The pair is `loss.name` (``least_squares``: the formulas above with their 1/2; the
authors' code drops the 1/2, which doubles lambda's relative weight).

Waveforms are pre-emphasised (coefficient `model.pre_emphasis`, 0.95) before G and D
see them: G's inputs, its targets and D's pairs live in the pre-emphasised domain, and
`sample` de-emphasises G's output (`gan_jax.audio`). Batches are {"noisy", "clean"}
[B, T] (`data.speech_source`, T = data.window = 16,384).

Inference (`sample`): each held-out segment [offset, offset + T) of an utterance is
enhanced from the three windows of length T that start at offset - T/2, offset and
offset + T/2 (50% overlap, zero outside the utterance): each window is enhanced on its
own (pre-emphasis -> G with its own z -> de-emphasis), the three are summed with periodic
Hann weights (which add up to 1 at 50% overlap) and the segment is cut out; samples past
the utterance's end stay zero. A window shared by two segments gets the same z (seeded
by the run's seed, the utterance, the SNR and the window's position), so the segments
of an utterance are exactly the overlap-add enhancement of the whole utterance. (The
paper slides non-overlapping windows at test time; 50% overlap-add removes the seams.)

Samples (`--mode sample`): samples.npz holds `noisy`, `clean`, `x` (float32 [N, T],
zero-padded segments of held-out utterances at the test SNRs), `lengths` (each
segment's unpadded length), `sample_rate`, and `snr`, `utterance`, `offset` (where each
segment comes from); WAVs of the first few whole test utterances go to samples/.
"""
from __future__ import annotations

import os

import jax
import jax.numpy as jnp
import numpy as np

from gan_jax import audio, parallel, precision
from gan_jax.methods import _paired
from gan_jax.networks import segan as nets

HPARAM_KEYS = ("loss.gan_weight", "loss.content_weight")
SAMPLE_KEYS = ("noisy", "clean", "x", "lengths", "snr", "utterance", "offset")
WINDOWS_PER_CALL = 64  # G's windows per sequential chunk in `sample` (bounds memory)
NUM_WAVS = 4           # whole test utterances written as WAVs by --mode sample
SPECTROGRAM_ROWS = 4   # segments in the training picture


class SEGAN(_paired.Paired):
  FAMILY = "speech"
  SAMPLE_KEYS = SAMPLE_KEYS

  def __init__(self, config, data_shape, ctx=parallel.Context()):
    super().__init__(config, data_shape, nets.build(config, data_shape, ctx.axis_name), ctx)
    self.window = int(data_shape[0])
    depth = int(config.model.depth)
    self.z_shape = (self.window // 2 ** depth, nets.widths(int(config.model.width), depth)[-1])
    self.coef = float(config.model.pre_emphasis)
    self.sample_rate = int(config.data.sample_rate)

  # What the Paired family lets a member choose.
  def g_input(self, batch):
    return audio.pre_emphasis(batch["noisy"], self.coef)

  def target(self, batch):
    return audio.pre_emphasis(batch["clean"], self.coef)

  def d_input(self, batch, wave):
    """[B, T, 2]: the (enhanced or clean, noisy) pair, pre-emphasised."""
    return jnp.stack([wave, self.g_input(batch)], axis=-1)

  def content(self, fake, batch):
    """L1 between G's output and the pre-emphasised clean window (Eq. 5)."""
    return jnp.mean(jnp.abs(fake - self.target(batch)))

  # The pure functions of the step.
  def init(self, key, batch):
    k_g, k_d = jax.random.split(key)
    two = {k: jnp.asarray(v[:2]) for k, v in batch.items()}
    x, z = self.g_input(two), jnp.zeros((2, *self.z_shape))
    g_vars = dict(self.G.init(k_g, x, z, train=False))
    fake = self.G.apply(g_vars, x, z, train=False)
    return g_vars, dict(self.D.init(k_d, self.d_input(two, fake), train=False))

  def generate(self, g_vars, batch, key, ctx, train: bool):
    x = self.g_input(batch)
    z = ctx.normal(key, (x.shape[0], *self.z_shape))
    return precision.apply(self.G, g_vars, x, z, train=train), g_vars

  def d_loss(self, d_params, d_collections, batch, fake, key, hp, ctx, d_update, reg_config):
    return super().d_loss(d_params, d_collections, {**batch, "b": self.target(batch)}, fake,
                          key, hp, ctx, d_update, reg_config)

  # Sampling.
  def conditions(self, n: int, seed: int, data=None, **options) -> dict:
    """Up to n held-out segments (all of them, in order, when the split has fewer) with
    what `sample` needs: `context` [n, 2T] (the noisy mixture from half a window before
    the segment to half a window after it) and `z_seed` [n, 3] (one per window)."""
    del options
    if data is None:
      raise ValueError("SEGAN enhances held-out speech; pass the split.")
    e = data.examples(None if n >= data.num_segments else n, seed)
    mixtures, contexts, z_seeds = {}, [], []
    for u, snr, offset in zip(e["utterance"], e["snr"], e["offset"]):
      s = data.snrs.index(float(snr))
      if (u, s) not in mixtures:
        mixtures[(u, s)] = data.mixture(int(u), s)[0]
      contexts.append(audio.context(mixtures[(u, s)], int(offset), self.window))
      starts = (int(offset) - self.window // 2) // (self.window // 2) + np.arange(3)
      z_seeds.append([np.random.default_rng([seed, int(u), s, int(k) + 1]).integers(2 ** 31)
                      for k in starts])
    return {**e, "context": np.stack(contexts), "z_seed": np.asarray(z_seeds, np.int32)}

  def enhance_windows(self, g_vars, windows, z_seeds):
    """[M, T] noisy windows, [M] int seeds -> [M, T] enhanced windows (pre-emphasis, G,
    de-emphasis), WINDOWS_PER_CALL at a time."""
    m, per = windows.shape[0], WINDOWS_PER_CALL
    pad = -m % per
    windows = jnp.pad(windows, ((0, pad), (0, 0))).reshape(-1, per, self.window)
    z_seeds = jnp.pad(z_seeds, (0, pad)).reshape(-1, per)

    def chunk(args):
      x, seeds = args
      z = jax.vmap(lambda s: jax.random.normal(jax.random.PRNGKey(s), self.z_shape))(seeds)
      y = self.G.apply(g_vars, audio.pre_emphasis(x, self.coef), z, train=False)
      return audio.de_emphasis(y, self.coef)
    return jax.lax.map(chunk, (windows, z_seeds)).reshape(-1, self.window)[:m]

  def sample(self, g_vars, conditions: dict) -> dict:
    t, n = self.window, conditions["context"].shape[0]
    windows = audio.frames(conditions["context"], t, t // 2)  # [n, 3, T]
    enhanced = self.enhance_windows(g_vars, windows.reshape(-1, t),
                                    conditions["z_seed"].reshape(-1))
    x = audio.overlap_add(enhanced.reshape(n, 3, t), t // 2)[:, t // 2:t // 2 + t]
    inside = jnp.arange(t)[None, :] < conditions["lengths"][:, None]
    return {"x": jnp.clip(jnp.where(inside, x, 0.0), -1.0, 1.0)}

  def sample_arrays(self, record: dict) -> dict:
    return {**super().sample_arrays(record),
            "sample_rate": np.asarray(self.sample_rate, np.int32)}

  def write_sample_files(self, record: dict, workdir: str) -> list[str]:
    """samples/u<utterance>_snr<s>_{noisy,enhanced,clean}.wav for the first NUM_WAVS
    signals of `record` (consecutive segments of one utterance and SNR): whole utterances
    when `--num_samples` covers them (the default); a part that starts later in its
    utterance is named ..._from<sample>_..."""
    paths = []
    for sig in audio.utterances(record, ("noisy", "x", "clean"))[:NUM_WAVS]:
      stem = f"u{sig['utterance']:03d}_snr{sig['snr']:g}" + (
          f"_from{sig['offset']}" if sig["offset"] else "")
      for key, name in (("noisy", "noisy"), ("x", "enhanced"), ("clean", "clean")):
        paths.append(audio.write_wav(os.path.join(workdir, "samples", f"{stem}_{name}.wav"),
                                     sig[key], self.sample_rate))
    return paths

  def grid(self, record: dict):
    """Log spectrograms (noisy | enhanced | clean) of the first SPECTROGRAM_ROWS segments
    as [3 n, F, frames, 1] images in [-1, 1] (-80 dB .. 0 dB), low frequencies at the
    bottom."""
    n = min(SPECTROGRAM_ROWS, len(record["x"]))
    cells = [np.asarray(record[k][i]) for i in range(n) for k in ("noisy", "x", "clean")]
    db = audio.log_spectrogram(np.stack(cells))[:, ::-1]
    return (db / 40.0 + 1.0)[..., None].astype(np.float32), n

  def discriminate(self, d_vars, x):
    raise ValueError("SEGAN's D judges (enhanced, noisy) pairs; D scores under sample "
                     "grids are for unconditional methods.")


def build(config, data_shape, ctx=parallel.Context()):
  return SEGAN(config, data_shape, ctx)
