"""noisy_speech: the Asterisk corpora, user folders, coloured noise and mixing at an SNR."""
import os

import numpy as np
import pytest
from scipy import signal
from scipy.io import wavfile

from gan_jax import config as config_lib, data
from gan_jax.data import noise, speech, speech_source


@pytest.fixture(scope="module", autouse=True)
def cache_dir(tmp_path_factory):
  with pytest.MonkeyPatch.context() as m:  # one cache for the module: the corpus is shared
    m.setenv("GAN_JAX_CACHE", str(tmp_path_factory.mktemp("cache")))
    yield


def config(seed=0, **data_overrides):
  c = config_lib.base(seed)
  c.data.update({"name": "noisy_speech", "batch_size": 8, **data_overrides})
  return c


def test_batches_mix_at_the_training_snrs_and_are_random_access():
  c = config(limit=60)
  one, two = data.get_source(c), data.get_source(c)
  assert one.shape == (16384,) and one.sample_rate == 8000 and one.num_classes == 0
  assert one.noise_types == ("white", "pink", "brown", "babble") and one.size > 8
  b = one.batch(3)
  assert set(b) == {"noisy", "clean"}
  for k in b:
    assert b[k].shape == (8, 16384) and b[k].dtype == np.float32
    assert np.abs(b[k]).max() <= 1.0
  snrs = [noise.snr_db(c_, n_ - c_) for n_, c_ in zip(b["noisy"], b["clean"])]
  nearest = [min(speech_source.TRAIN_SNRS, key=lambda t: abs(t - s)) for s in snrs]
  np.testing.assert_allclose(snrs, nearest, atol=0.1)
  # each clean target is a window of the corpus (divided by the mixture's peak, if > 1)
  windows = np.stack([one.stream[s:s + 16384] for s in one.starts])
  for clean in b["clean"]:
    scale = windows @ clean / (windows**2).sum(axis=1)
    j = np.argmin(np.abs(windows * scale[:, None] - clean).max(axis=1))
    np.testing.assert_allclose(windows[j] * scale[j], clean, atol=1e-6)
    assert 0.3 < scale[j] <= 1.0 + 1e-6
  for i in (5, 0, 3):
    np.testing.assert_array_equal(two.batch(i)["noisy"], one.batch(i)["noisy"])
  assert not np.array_equal(data.get_source(config(seed=1, limit=60)).batch(3)["noisy"],
                            b["noisy"])


def test_examples_are_test_utterances_at_every_test_snr():
  source = data.get_source(config(limit=6), "test")
  assert source.snrs == speech_source.TEST_SNRS
  e = source.examples()
  n = source.num_segments
  assert e["noisy"].shape == (n, 16384) and set(e["snr"]) == set(speech_source.TEST_SNRS)
  for u, utterance in enumerate(source.utterances):
    for s, snr in enumerate(source.snrs):
      rows = np.flatnonzero((e["utterance"] == u) & (e["snr"] == snr))
      assert (np.diff(e["offset"][rows]) == 16384).all()
      noisy = np.concatenate([e["noisy"][r, :e["lengths"][r]] for r in rows])
      clean = np.concatenate([e["clean"][r, :e["lengths"][r]] for r in rows])
      assert len(clean) == len(utterance) and e["lengths"][rows].sum() == len(utterance)
      assert noise.snr_db(clean, noisy - clean) == pytest.approx(snr, abs=0.1)
      assert len(set(e["noise"][rows])) == 1
      np.testing.assert_array_equal(noisy, source.mixture(u, s)[0])
  for r in range(n):  # padding is zero on both sides
    assert not e["noisy"][r, e["lengths"][r]:].any() and not e["clean"][r, e["lengths"][r]:].any()
  for snr in source.snrs:  # every noise kind at every SNR
    assert set(e["noise"][e["snr"] == snr]) == {0, 1, 2, 3}
  some = source.examples(5, seed=2)
  assert some["noisy"].shape == (5, 16384)
  np.testing.assert_array_equal(source.examples(5, seed=2)["noisy"], some["noisy"])


def test_no_utterance_or_sentence_is_in_both_splits():
  for voice in (speech.CLEAN_SET, speech.BABBLE_SET):
    train, test = (speech.asterisk_files(voice, s) for s in ("train", "test"))
    n = len(train) + len(test)
    assert not set(train) & set(test) and round(0.1 * n) <= len(test) < round(0.1 * n) + 3
    assert not any("/silence/" in f for f in train + test)
    # the same sentence recorded twice (conf-muted, confbridge-muted) stays on one side
    text = speech.transcripts(voice[1])
    root = os.path.join(speech.ASTERISK_DIR, voice[0])
    said = [{text.get(os.path.splitext(os.path.relpath(p, root))[0]) for p in files} - {None}
            for files in (train, test)]
    assert len(said[1]) > 40 and not said[0] & said[1]
  text = speech.transcripts(speech.CLEAN_SET[1])
  assert text["conf-muted"] == text["confbridge-muted"] == "youarenowmuted"
  train, test = (data.get_source(config(), s) for s in ("train", "test"))
  assert not set(train.files) & set(test.files)
  assert len(train.files) + len(test.files) == 558
  minutes = sum(len(u) for u in train.utterances + test.utterances) / 8000 / 60
  assert minutes == pytest.approx(24.6, abs=0.05)


@pytest.mark.parametrize("kind, slope", [("white", 0.0), ("pink", -3.01), ("brown", -6.02)])
def test_noise_spectra_fall_by_the_colours_slope(kind, slope):
  x = noise.coloured(kind, 2**18, np.random.default_rng(0))
  assert x.dtype == np.float32 and abs(x.mean()) < 1e-3 and np.mean(x**2) == pytest.approx(1)
  freqs, psd = signal.welch(x, fs=8000, nperseg=4096)
  band = (freqs >= 50) & (freqs <= 3000)
  per_octave = np.polyfit(np.log2(freqs[band]), 10 * np.log10(psd[band]), 1)[0]
  assert per_octave == pytest.approx(slope, abs=0.3)


def test_mix_sets_the_snr_and_keeps_the_range():
  rng = np.random.default_rng(0)
  clean = (0.9 * np.sin(np.arange(8000) / 5)).astype(np.float32)
  for snr in (-5.0, 0.0, 12.5):
    noisy, target = noise.mix(clean, noise.coloured("pink", 8000, rng), snr)
    assert noise.snr_db(target, noisy - target) == pytest.approx(snr, abs=1e-3)
    assert np.abs(noisy).max() <= 1.0
  noisy, target = noise.mix(clean, noise.coloured("white", 8000, rng), 0.0)
  assert np.abs(noisy).max() == pytest.approx(1.0)  # scaled down by its peak, with clean
  scale = float(target @ clean / (clean @ clean))
  np.testing.assert_allclose(target, scale * clean, atol=1e-6)
  assert 0.3 < scale < 1.0


def write_wav(path, rate, seconds, freq=440.0, channels=1, dtype=np.int16):
  t = np.arange(int(rate * seconds)) / rate
  x = 0.5 * np.sin(2 * np.pi * freq * t)
  x = np.stack([x] * channels, axis=1) if channels > 1 else x
  if dtype == np.int16:
    x = np.round(x * 32767).astype(np.int16)
  os.makedirs(os.path.dirname(path), exist_ok=True)
  wavfile.write(path, rate, x.astype(dtype) if dtype != np.int16 else x)
  return len(t)


def test_user_folders_any_rate_resampled(tmp_path):
  lengths = {}
  for i, (rate, channels, dtype) in enumerate([(16000, 1, np.int16), (11025, 2, np.int16),
                                               (8000, 1, np.float32), (44100, 1, np.int16)]):
    lengths[i] = (rate, write_wav(str(tmp_path / "clean" / f"{i}.wav"), rate, 1.5,
                                  channels=channels, dtype=dtype))
  write_wav(str(tmp_path / "noise" / "train" / "hum.wav"), 22050, 1.0, freq=50.0)
  write_wav(str(tmp_path / "noise" / "test" / "hiss.wav"), 8000, 0.5, freq=1000.0)
  c = config(path_a=str(tmp_path / "clean"), path_b=str(tmp_path / "noise"), window=4096,
             batch_size=2)
  train, test = data.get_source(c), data.get_source(c, "test")
  assert train.files == ["0.wav", "1.wav", "2.wav"] and test.files == ["3.wav"]
  assert train.noise_types == ("white", "pink", "brown", "recorded")
  for i, x in enumerate(train.utterances + test.utterances):
    rate, n = lengths[i]
    assert len(x) == -(-n * 8000 // rate)  # ceil(n * 8000 / rate): the length ratio kept
    spectrum = np.abs(np.fft.rfft(x))
    assert np.fft.rfftfreq(len(x), 1 / 8000)[np.argmax(spectrum)] == pytest.approx(440, abs=6)
    assert np.abs(x).max() == pytest.approx(0.5, abs=0.02)
  b = train.batch(0)
  assert b["noisy"].shape == (2, 4096)
  assert len(test.pools["recorded"]) == 4000  # test noise only from the test folder
  with pytest.raises(ValueError, match="no window of data.window=16384"):
    data.get_source(config(path_a=str(tmp_path / "clean")), "test").batch(0)
  with pytest.raises(ValueError, match="needs data.path_a"):
    data.get_source(config(path_b=str(tmp_path / "noise")))
  with pytest.raises(FileNotFoundError, match="data.path_a='/nonexistent' is not a folder"):
    data.get_source(config(path_a="/nonexistent"))
