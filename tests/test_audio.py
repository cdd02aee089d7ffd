"""Waveform helpers: pre-/de-emphasis, 50% overlap-add, segment joining, spectrograms."""
import jax
import numpy as np
from scipy import signal

from gan_jax import audio


def test_pre_and_de_emphasis_are_the_fir_and_its_iir_inverse():
  x = np.random.default_rng(0).uniform(-1, 1, (3, 16384)).astype(np.float32)
  pre = np.asarray(audio.pre_emphasis(x, 0.95))
  np.testing.assert_allclose(pre, signal.lfilter([1, -0.95], [1], x, axis=-1), atol=1e-6)
  de_emphasis = jax.jit(audio.de_emphasis)  # as the method runs it (eager: slow dispatch)
  back = np.asarray(de_emphasis(pre))
  np.testing.assert_allclose(back, x, atol=2e-5)  # float32 over 16,384 samples
  np.testing.assert_allclose(np.asarray(de_emphasis(x)),
                             signal.lfilter([1], [1, -0.95], x, axis=-1), rtol=1e-4, atol=1e-4)
  # the high-pass: a constant loses 95% of its level after the first sample
  np.testing.assert_allclose(np.asarray(audio.pre_emphasis(np.ones(5)))[1:], 0.05, atol=1e-6)


def test_overlap_add_of_the_unchanged_windows_reconstructs_every_segment():
  rng = np.random.default_rng(1)
  t = 64
  utterance = rng.normal(size=150).astype(np.float32)
  assert abs(audio.hann(t)[:t // 2] + audio.hann(t)[t // 2:] - 1).max() < 1e-6
  for offset in (0, 64, 128):
    ctx = audio.context(utterance, offset, t)  # [2T] from offset - T/2
    windows = np.asarray(audio.frames(ctx, t, t // 2))
    assert windows.shape == (3, t)
    x = np.asarray(audio.overlap_add(windows, t // 2))[t // 2:t // 2 + t]
    want = np.zeros(t, np.float32)
    part = utterance[offset:offset + t]
    want[:len(part)] = part
    np.testing.assert_allclose(x, want, atol=1e-6)
  # a window whose second half is scaled by 2 shows up only where its weight is
  ctx = audio.context(utterance, 64, t)
  windows = np.asarray(audio.frames(ctx, t, t // 2)).copy()
  windows[1] *= 2
  x = np.asarray(audio.overlap_add(windows, t // 2))[t // 2:t // 2 + t]
  np.testing.assert_allclose(x, utterance[64:128] * (1 + audio.hann(t)), atol=1e-5)


def test_utterances_join_consecutive_segments_of_one_utterance_and_snr():
  t = 4
  record = {"x": np.arange(5 * t, dtype=np.float32).reshape(5, t),
            "lengths": np.array([4, 2, 4, 4, 3]), "utterance": np.array([0, 0, 1, 1, 1]),
            "snr": np.array([2.5, 2.5, 2.5, 2.5, 7.5]), "offset": np.array([0, 4, 0, 8, 0])}
  sigs = audio.utterances(record, ("x",))
  assert [(s["utterance"], s["snr"], s["offset"]) for s in sigs] == [
      (0, 2.5, 0), (1, 2.5, 0), (1, 2.5, 8), (1, 7.5, 0)]  # offset 8 does not follow 0
  np.testing.assert_array_equal(sigs[0]["x"], [0, 1, 2, 3, 4, 5])
  np.testing.assert_array_equal(sigs[3]["x"], [16, 17, 18])


def test_log_spectrogram_puts_a_sine_at_its_frequency_near_0_db():
  fs, f = 8000, 1000
  x = np.sin(2 * np.pi * f * np.arange(4096) / fs)
  db = audio.log_spectrogram(x, n_fft=256, hop=64)
  assert db.shape == (129, (4096 - 256) // 64 + 1)
  peak = db.mean(1)
  assert np.argmax(peak) == f * 256 // fs and abs(peak.max()) < 1.0
  assert peak[10] < -60
