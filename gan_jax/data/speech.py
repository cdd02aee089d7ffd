"""Speech corpora for enhancement (`noisy_speech`): clean utterances and noise pools,
split by utterance, at `data.sample_rate` (default 8 kHz).

Built in (`data.path_a` empty): clean speech = the English prompts of the Debian
package `asterisk-core-sounds-en-wav` (one female speaker, "Allison", 8 kHz 16-bit
mono, CC-BY-SA; /usr/share/asterisk/sounds/en_US_f_Allison): 558 files, 24.6 min,
without the `silence/` folder (digital silence). Babble = 4 talkers mixed from the
French prompts of `asterisk-core-sounds-fr-wav` (fr_CA_f_June, another speaker and
language, so babble shares no words with the clean set). Each set is split by
sentence: files are grouped by their transcript (the package's
/usr/share/doc/asterisk-core-sounds-<lang>/core-sounds-<lang>.txt.gz, lower-cased, only
letters and digits, bracketed non-speech removed: `conf-muted` and `confbridge-muted` both say "You are now muted";
a file without a transcript is its own group), the groups are shuffled by
``default_rng(SPLIT_SEED)`` and taken into the test split until it holds 10% of the
files (the same for every run). No file and no sentence is on both sides, and test
babble comes only from test French files. Built once per sample rate and cached as
int16 (`gan_jax.cache`).

A user's folders (`data.path_a`: clean WAVs, `data.path_b`: optional noise WAVs;
searched recursively): split like image folders (`train/` and `test/` (or `val/`)
sub-folders, else the last 10% of the files by sorted path); noise kinds white, pink,
brown and "recorded" (windows of the path_b files) when path_b is given. Not cached.

WAVs of any rate, bit depth (8-bit unsigned, 16/32-bit integer, float) and channel
count are read as float32 in [-1, 1] (integers divided by 2^(bits-1); channels
averaged) and resampled to `data.sample_rate` with ``scipy.signal.resample_poly``
(polyphase, up/down by the rates' greatest common divisor; n samples at rate r give
ceil(n * rate / r)).
"""
from __future__ import annotations

import math
import os

import numpy as np
from scipy.io import wavfile

from gan_jax import cache
from gan_jax.data import folders

ASTERISK_DIR = "/usr/share/asterisk/sounds"
CLEAN_SET = ("en_US_f_Allison", "asterisk-core-sounds-en-wav")
BABBLE_SET = ("fr_CA_f_June", "asterisk-core-sounds-fr-wav")
EXCLUDED_DIRS = ("silence",)
TEST_FRACTION = 0.1
SPLIT_SEED = 0
SPLITS = ("train", "test")
VERSION = 2  # 2: split by sentence (1: by file, 9 test sentences also in training)
TRANSCRIPTS = "/usr/share/doc/{package}/core-sounds-{lang}.txt.gz"


def read_wav(path: str, rate: int) -> np.ndarray:
  """float32 [n]: the file's samples in [-1, 1], mono, resampled to `rate` Hz."""
  try:
    file_rate, x = wavfile.read(path)
  except (ValueError, OSError) as e:
    raise ValueError(f"Cannot read the WAV file {path} ({e}); convert it to PCM WAV, e.g. "
                     f"sox in.xyz -b 16 out.wav.") from None
  if x.dtype == np.uint8:
    x = (x.astype(np.float32) - 128.0) / 128.0
  elif np.issubdtype(x.dtype, np.integer):
    x = x.astype(np.float32) / float(2 ** (8 * x.dtype.itemsize - 1))
  x = np.asarray(x, np.float32)
  if x.ndim == 2:
    x = x.mean(axis=1)
  if file_rate != rate:
    from scipy import signal  # imported here: it costs ~1 s of every process's start-up
    g = math.gcd(file_rate, rate)
    x = signal.resample_poly(x, rate // g, file_rate // g).astype(np.float32)
  return x


def wav_files(root: str, exclude: tuple = ()) -> list[str]:
  """Sorted paths of the .wav files under `root` (recursive), skipping `exclude` folders."""
  out = []
  for folder, dirs, names in os.walk(root):
    dirs[:] = sorted(d for d in dirs if d not in exclude)
    out.extend(os.path.join(folder, n) for n in names if n.lower().endswith(".wav"))
  return sorted(out)


def transcripts(package: str) -> dict[str, str]:
  """{prompt name (path under the voice folder, no extension): normalised text} from the
  Asterisk package's transcript list; {} when it is not installed."""
  import gzip
  import re
  base = package.removesuffix("-wav")
  path = TRANSCRIPTS.format(package=base, lang=base.rsplit("-", 1)[-1])
  if not os.path.exists(path):
    return {}
  out = {}
  with gzip.open(path, "rt", encoding="utf-8", errors="replace") as f:
    for line in f:
      name, colon, text = line.partition(":")
      said = re.sub(r"[\W_]", "", re.sub(r"\[.*?\]", "", text).lower())
      if colon and said and not line.startswith(";") and " " not in name.strip():
        out[name.strip()] = said  # "[beep tone]" and other non-speech: no entry
  return out


def held_out_files(files: list[str], split: str, groups: list | None = None) -> list[str]:
  """The train or test part of `files`: whole groups (default: each file its own),
  shuffled by SPLIT_SEED and taken into the test part until it holds TEST_FRACTION of
  the files."""
  groups = list(range(len(files))) if groups is None else groups
  members: dict = {}
  for i, g in enumerate(groups):
    members.setdefault(g, []).append(i)
  keys = list(members)
  n_test = max(1, int(round(TEST_FRACTION * len(files))))
  test: set = set()
  for k in np.random.default_rng(SPLIT_SEED).permutation(len(keys)):
    if len(test) >= n_test:
      break
    test.update(members[keys[k]])
  return [f for i, f in enumerate(files) if (i in test) == (split == "test")]


def asterisk_files(voice: tuple, split: str) -> list[str]:
  """The files of one Asterisk voice (folder, package) in `split`."""
  root = os.path.join(ASTERISK_DIR, voice[0])
  files = wav_files(root, EXCLUDED_DIRS) if os.path.isdir(root) else []
  if not files:
    raise FileNotFoundError(
        f"No WAV files in {root}; the built-in speech data need the Debian packages: "
        f"apt-get install {CLEAN_SET[1]} {BABBLE_SET[1]} (or set data.path_a to a folder "
        "of clean WAV files).")
  text = transcripts(voice[1])
  names = [os.path.splitext(os.path.relpath(p, root))[0] for p in files]
  return held_out_files(files, split, [text.get(n) or f"file:{n}" for n in names])


def _concatenated(paths: list[str], rate: int) -> tuple[np.ndarray, np.ndarray]:
  """(int16 samples of all files end to end, int64 [n + 1] file start offsets)."""
  parts = [np.round(np.clip(read_wav(p, rate), -1, 32767 / 32768) * 32768).astype(np.int16)
           for p in paths]
  offsets = np.concatenate([[0], np.cumsum([len(p) for p in parts])]).astype(np.int64)
  return np.concatenate(parts), offsets


def asterisk(split: str, rate: int) -> dict:
  """{"clean": float32 utterances (list), "files": names, "babble": float32 pool}."""
  if split not in SPLITS:
    raise ValueError(f"noisy_speech has splits {', '.join(SPLITS)}, not {split!r}.")
  clean_files, babble_files = (asterisk_files(v, split) for v in (CLEAN_SET, BABBLE_SET))
  names = [os.path.relpath(p, ASTERISK_DIR) for p in clean_files]
  params = {"version": VERSION, "split": split, "rate": rate, "seed": SPLIT_SEED,
            "test_fraction": TEST_FRACTION,
            "files": cache.digest({"f": [(os.path.relpath(p, ASTERISK_DIR), os.path.getsize(p))
                                         for p in clean_files + babble_files]}),
            "libraries": cache.versions("scipy")}

  def build():
    clean, offsets = _concatenated(clean_files, rate)
    babble, _ = _concatenated(babble_files, rate)
    return {"clean": clean, "offsets": offsets, "babble": babble, "files": np.array(names)}
  arrays = cache.cached("noisy_speech", params, build)
  clean = arrays["clean"].astype(np.float32) / 32768.0
  offsets = arrays["offsets"]
  return {"clean": [clean[a:b] for a, b in zip(offsets[:-1], offsets[1:])],
          "files": [str(f) for f in arrays["files"]],
          "babble": arrays["babble"].astype(np.float32) / 32768.0}


def folder_files(root: str, split: str, key: str) -> list[str]:
  """The WAV files of `split` in a user's folder (module docstring's rule)."""
  if not os.path.isdir(root):
    raise FileNotFoundError(f"{key}={root!r} is not a folder; give a folder of WAV files.")
  folders.check_split(split)
  sub = folders.split_folder(root, split)
  files = wav_files(sub if sub is not None else root)
  if sub is not None:
    return files
  if len(files) < 2:
    raise ValueError(f"{key}={root!r} has {len(files)} WAV file(s); a train/test split needs "
                     "at least 2 (or give it train/ and test/ sub-folders).")
  return folders.held_out(files, split, f"{key}={root!r}")


def from_folders(path_a: str, path_b: str, split: str, rate: int) -> dict:
  """{"clean": utterances, "files": paths, "recorded": noise pool or absent}."""
  clean_files = folder_files(path_a, split, "data.path_a")
  out = {"clean": [read_wav(p, rate) for p in clean_files],
         "files": [os.path.relpath(p, path_a) for p in clean_files]}
  if path_b:
    out["recorded"] = np.concatenate([read_wav(p, rate)
                                      for p in folder_files(path_b, split, "data.path_b")])
  return out
