# Two commands: `make run` starts the app, `make test` runs every test. Both set up what they need
# (a .venv with requirements, the Fashion-MNIST files) and are quick when it is already there.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8501
APT_INSTALL = apt-get install -y -q

.PHONY: run test data bench clean

run: $(VENV)/.runtime data
	$(PY) -m streamlit run app.py --server.port $(PORT)

test: $(VENV)/.dev data
	$(PY) -m pytest

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
data: $(VENV)/.runtime
	@$(PY) -c "from fashion.data import find_data_dir; find_data_dir()" 2>/dev/null || { \
	  if command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then SUDO=; \
	  elif command -v apt-get >/dev/null && sudo -n true 2>/dev/null; then SUDO=sudo; \
	  else SUDO=none; fi; \
	  if [ "$$SUDO" != none ]; then \
	    $$SUDO $(APT_INSTALL) dataset-fashion-mnist || { $$SUDO apt-get update -q && $$SUDO $(APT_INSTALL) dataset-fashion-mnist; }; \
	  else $(PY) -m fashion download; fi; }

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
