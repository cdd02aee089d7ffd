# `make run`: set up and train the default experiment (it builds the metrics' classifier
# into ~/.cache/gan_jax the first time); `make test`: set up and run the tests.
PY := .venv/bin/python
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# Data (README, Data): Fashion-MNIST, CJK fonts, speech (Asterisk prompts, espeak-ng),
# text (fortunes); build-essential and python3-dev compile the `pesq` package.
APT_PACKAGES := dataset-fashion-mnist fonts-arphic-ukai fonts-arphic-uming espeak-ng \
  asterisk-core-sounds-en-wav asterisk-core-sounds-fr-wav fortunes build-essential python3-dev

.PHONY: setup run test bench bench-device classifier

setup: .venv/.installed

.venv/.installed: pyproject.toml
	@if ! dpkg -s $(APT_PACKAGES) >/dev/null 2>&1; then \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $(APT_PACKAGES); fi
	python3 -m venv .venv
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $@

# The Fashion-MNIST classifier of the image metrics, in the user cache where every run
# finds it (a run that needs it builds it the same way when it is missing).
classifier: setup
	$(PY) -c "from gan_jax import classifier; print(classifier.ensure('', 'fashion_mnist'))"

run: setup
	$(PY) launch.py --config experiments/wgan.py

test: setup
	$(PY) -m pytest -n 2 --dist worksteal

bench: setup classifier
	$(PY) -m pip install -q -e '.[bench]'
	$(PY) bench/vs_torch.py --bf16
	$(PY) bench/profile_step.py
	$(PY) bench/step_speed.py
	$(PY) bench/pipeline.py
	$(PY) bench/sweep_speed.py
	$(PY) bench/layers_speed.py
	$(PY) bench/matmul_peak.py
	$(PY) bench/eval_speed.py
	$(PY) bench/compile_cache.py

# The accelerator benchmark (bench/accelerator.py, target 5 minutes on one H100): needs an
# environment already set up with `pip install -e '.[cuda,bench]'` and a CUDA build of
# torch, since GPU machines may have no internet; installs nothing, downloads nothing.
bench-device:
	$(PY) bench/accelerator.py --out docs/accelerator.json
