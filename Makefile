# Two commands: `make run` starts the app, `make test` runs the linter and every test. Both set up what they need
# (a .venv with requirements, the Fashion-MNIST files, Chromium for the browser tests) and are quick
# when it is already there. `make screenshots` refreshes the README's pictures in docs/.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8501
APT_INSTALL = apt-get install -y -q
CHROMIUM := /usr/bin/chromium

.PHONY: run test lint data browser emoji-font screenshots bench clean

run: $(VENV)/.runtime data
	$(PY) -m streamlit run app.py --server.port $(PORT) $(ARGS)

test: lint $(VENV)/.dev data browser
	$(PY) -m pytest

# ruff, as configured in pyproject.toml: unused code, likely bugs, import order, style errors.
lint: $(VENV)/.dev
	$(VENV)/bin/ruff check .

screenshots: $(VENV)/.dev data browser emoji-font
	$(PY) scripts/screenshots.py

bench: $(VENV)/.runtime data
	$(PY) -m fashion bench

$(VENV)/.runtime: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

# Fashion-MNIST: already findable, else Debian's package (as root or with sudo), else torchvision's download.
HAVE_DATA = $(PY) -c "from fashion.data import find_data_dir; find_data_dir()" 2>/dev/null
data: $(VENV)/.runtime
	$(call apt_ensure,dataset-fashion-mnist,$(HAVE_DATA),No Debian package here: asking torchvision to download.)
	@$(HAVE_DATA) || $(PY) -m fashion download

# Install Debian package $(1) unless the command $(2) succeeds: as root, else with sudo, else print $(3)
# and go on (the browser tests then skip themselves and say why; the data falls back to a download).
define apt_ensure
@$(2) || { \
  if command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then SUDO=; \
  elif command -v apt-get >/dev/null && sudo -n true 2>/dev/null; then SUDO=sudo; \
  else SUDO=none; fi; \
  if [ "$$SUDO" = none ]; then echo "$(3)"; \
  else $$SUDO $(APT_INSTALL) $(1) || { $$SUDO apt-get update -q && $$SUDO $(APT_INSTALL) $(1); } \
    || echo "$(3)"; fi; }
endef

# Debian's Chromium, for the browser tests (tests/e2e) and the screenshots.
browser:
	$(call apt_ensure,chromium,test -x $(CHROMIUM),Could not install chromium: the browser tests will be skipped.)

# A colour emoji font, so the page title's emoji shows in the screenshots instead of an empty box.
emoji-font:
	$(call apt_ensure,fonts-noto-color-emoji,fc-list 2>/dev/null | grep -qi 'color emoji',No emoji font: the title's emoji may show as a box.)

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
