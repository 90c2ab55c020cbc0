# `make run` sets up and starts the app; `make test` sets up and runs every test, browser tests included.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PORT   ?= 8501

.PHONY: run test benchmark

$(VENV)/.app: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	touch $@

$(VENV)/.dev: $(VENV)/.app requirements-dev.txt
	$(PY) -m pip install -q -r requirements-dev.txt
	touch $@

/usr/bin/chromium:
	$(if $(filter 0,$(shell id -u)),,sudo) sh -c 'apt-get update -q && apt-get install -y -q chromium'

run: $(VENV)/.app
	$(PY) -m streamlit run app.py --server.port $(PORT)

test: $(VENV)/.dev /usr/bin/chromium
	$(PY) -m pytest

benchmark: $(VENV)/.dev /usr/bin/chromium
	$(PY) benchmarks/forward.py
	$(PY) benchmarks/weights_page.py
	$(PY) benchmarks/learn.py
