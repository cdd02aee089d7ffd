"""`noisy_speech`: pairs of (noisy, clean) speech for enhancement (SEGAN, Pascual et al.
2017), mixed at the VoiceBank-DEMAND SNRs (Valentini-Botinhao et al. 2016): {0, 5, 10,
15} dB for training, {2.5, 7.5, 12.5, 17.5} dB for testing. Corpora: `speech.py`.

Batches (training, and on-the-fly test batches): the utterances of a split are laid end
to end and cut into windows of `data.window` samples (default 16,384: 2.05 s at 8 kHz)
with a hop of half a window (SEGAN's 50% overlap); windows quieter than -60 dBFS RMS
are dropped. Batch `index` takes the rows of the seeded epoch permutation
(`images.Epochs`) and mixes each window with fresh noise from
``default_rng([seed, index, 4])``: a noise kind uniform over `noise_types`, an SNR
uniform over the split's SNRs, the SNR measured over the window (`noise.mix`).
{"noisy": float32 [B, T], "clean": float32 [B, T]}, both in [-1, 1]: samples are
int16 / 32768, and a mixture whose peak exceeds 1 is divided by its peak together
with its clean target (the SNR is unchanged).

Examples (evaluation, `--mode sample`): every utterance of the split at every SNR of
the split, mixed over the WHOLE utterance (the SNR is the utterance's) with noise kind
`noise_types[(u + s) % K]` for utterance u and SNR index s (so each SNR sees every
kind) and noise from ``default_rng([MIX_SEED, split, u, s])``, fixed with the data
set. Each mixture is cut into consecutive segments of `data.window` samples, the last
one zero-padded (both noisy and clean); `lengths` holds each segment's unpadded length
and `utterance`, `offset` where it came from (`mixture(u, s)` gives the whole signal).
"""
from __future__ import annotations

import numpy as np

from gan_jax.data import images as images_lib, noise as noise_lib, speech

TRAIN_SNRS = (0.0, 5.0, 10.0, 15.0)
TEST_SNRS = (2.5, 7.5, 12.5, 17.5)
BABBLE_TALKERS = 4
MIX_SEED = 0
SILENCE_RMS = 10 ** (-60 / 20)
DEFAULT_RATE, DEFAULT_WINDOW = 8000, 16384


class SpeechSource:
  """Random-access (noisy, clean) windows of one split (module docstring).

  `pools`: {noise kind: None for generated colours, or a float32 1-D pool of audio
  (babble talkers or recorded noise)}. Attributes: `shape` = (window,), `size`
  (training windows), `batch_size`, `name`, `num_classes` (0), `sample_rate`,
  `noise_types`, `snrs`, `files` (the utterances' file names), `num_segments`.
  """

  num_classes = 0

  def __init__(self, utterances: list, files: list, pools: dict, snrs: tuple,
               batch_size: int, seed: int, window: int, sample_rate: int, name: str,
               split_index: int = 0):
    if window < 2:
      raise ValueError(f"data.window={window} is too short; use e.g. 16384 (about 2 s at 8 kHz).")
    if not utterances:
      raise ValueError(f"{name}: no utterances.")
    self.utterances, self.files = [np.asarray(u, np.float32) for u in utterances], list(files)
    self.pools, self.noise_types, self.snrs = pools, tuple(pools), tuple(snrs)
    self.batch_size, self.seed, self.window, self.name = batch_size, seed, window, name
    self.sample_rate, self.split_index = sample_rate, split_index
    self.shape, self.hop = (window,), window // 2
    self.stream = np.concatenate(self.utterances)
    starts = np.arange(0, len(self.stream) - window + 1, self.hop)
    energy = np.concatenate([[0.0], np.cumsum(self.stream.astype(np.float64) ** 2)])
    rms = np.sqrt((energy[starts + window] - energy[starts]) / window)
    self.starts = starts[rms > SILENCE_RMS]
    self.size = len(self.starts)
    self.epochs = images_lib.Epochs(self.size, batch_size, seed, name=name)
    self.batches_per_epoch = self.epochs.batches_per_epoch
    self.segments = np.array([(u, s, o, min(window, len(x) - o))
                              for u, x in enumerate(self.utterances)
                              for s in range(len(self.snrs))
                              for o in range(0, len(x), window)], np.int64).reshape(-1, 4)
    self.num_segments = len(self.segments)

  def _noise(self, kind: int, n: int, rng: np.random.Generator) -> np.ndarray:
    name, pool = self.noise_types[kind], self.pools[self.noise_types[kind]]
    if pool is None:
      return noise_lib.coloured(name, n, rng)
    if name == "babble":
      return noise_lib.babble(pool, n, BABBLE_TALKERS, rng)
    return noise_lib.window(pool, n, rng)

  def batch(self, index: int) -> dict:
    """{"noisy": float32 [B, T], "clean": float32 [B, T]}: batch `index` of the stream."""
    if not self.size:
      raise ValueError(f"{self.name} has no window of data.window={self.window} samples "
                       f"({len(self.stream)} samples in all); lower data.window.")
    rows = self.epochs.rows(index)
    rng = np.random.default_rng([self.seed, index, 4])
    kinds = rng.integers(0, len(self.noise_types), len(rows))
    snrs = np.asarray(self.snrs)[rng.integers(0, len(self.snrs), len(rows))]
    noisy, clean = np.zeros((2, len(rows), self.window), np.float32)
    for i, (start, kind, snr) in enumerate(zip(self.starts[rows], kinds, snrs)):
      x = self.stream[start:start + self.window]
      noisy[i], clean[i] = noise_lib.mix(x, self._noise(kind, self.window, rng), snr)
    return {"noisy": noisy, "clean": clean}

  def noise_kind(self, utterance: int, snr_index: int) -> int:
    return (utterance + snr_index) % len(self.noise_types)

  def mixture(self, utterance: int, snr_index: int) -> tuple[np.ndarray, np.ndarray]:
    """(noisy, clean) float32 [n]: utterance `utterance` mixed over its whole length at
    `snrs[snr_index]` dB with its fixed noise (the examples' mixture)."""
    x = self.utterances[utterance]
    rng = np.random.default_rng([MIX_SEED, self.split_index, utterance, snr_index])
    n = self._noise(self.noise_kind(utterance, snr_index), len(x), rng)
    return noise_lib.mix(x, n, self.snrs[snr_index])

  def examples(self, n: int | None = None, seed: int = 0) -> dict:
    """`n` segments chosen by `seed` (sorted; all, in order, when None): {"noisy",
    "clean": float32 [n, T] (zero-padded), "lengths", "utterance", "offset", "noise"
    (index into `noise_types`): int32 [n], "snr": float32 [n]}."""
    rows = images_lib.choose(self.num_segments, n, seed, f"{self.name} segments")
    seg = self.segments[rows]
    noisy, clean = np.zeros((2, len(rows), self.window), np.float32)
    mixtures = {}
    for i, (u, s, offset, length) in enumerate(seg):
      if (u, s) not in mixtures:
        mixtures[(u, s)] = self.mixture(int(u), int(s))
      noisy[i, :length] = mixtures[(u, s)][0][offset:offset + length]
      clean[i, :length] = mixtures[(u, s)][1][offset:offset + length]
    return {"noisy": noisy, "clean": clean, "lengths": seg[:, 3].astype(np.int32),
            "utterance": seg[:, 0].astype(np.int32), "offset": seg[:, 2].astype(np.int32),
            "snr": np.asarray(self.snrs, np.float32)[seg[:, 1]],
            "noise": np.array([self.noise_kind(u, s) for u, s in seg[:, :2]], np.int32)}

  def reference(self, n: int, seed: int) -> np.ndarray:
    """float32 [n, T]: clean segments (zero-padded), as `examples` chooses them."""
    return self.examples(n, seed)["clean"]


def source(config, split: str) -> SpeechSource:
  """The `noisy_speech` source of `split`: the Asterisk corpora, or `data.path_a` (clean)
  and `data.path_b` (noise) folders; `data.limit` keeps the first N utterances."""
  d = config.data
  if split not in speech.SPLITS:
    raise ValueError(f"noisy_speech has splits {', '.join(speech.SPLITS)}, not {split!r}.")
  if d.sample_rate <= 0:
    raise ValueError(f"data.sample_rate={d.sample_rate} must be positive, e.g. 8000.")
  pools = {"white": None, "pink": None, "brown": None}
  if d.path_a:
    corpus = speech.from_folders(d.path_a, d.path_b, split, d.sample_rate)
    if "recorded" in corpus:
      pools["recorded"] = corpus["recorded"]
  elif d.path_b:
    raise ValueError(f"data.path_b={d.path_b!r} (noise) needs data.path_a (clean speech); "
                     "set both, or neither for the built-in Asterisk corpora.")
  else:
    corpus = speech.asterisk(split, d.sample_rate)
    pools["babble"] = corpus["babble"]
  limit = d.limit or None
  return SpeechSource(corpus["clean"][:limit], corpus["files"][:limit], pools,
                      TRAIN_SNRS if split == "train" else TEST_SNRS, d.batch_size,
                      config.seed, d.window, d.sample_rate, f"noisy_speech:{split}",
                      speech.SPLITS.index(split))
