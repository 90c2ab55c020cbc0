# `make run` sets up and starts the app; `make test` sets up and runs every test, browser tests included;
# `make check` is the fast tier (ruff and every test that needs no browser, root, fresh venv or training run).
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PORT   ?= 8501
# A small class in `make test`: 10 sessions without a browser beside one drawing page, one digit each; it fails on a
# lost drawing, an error, or memory that has not come back 30 s after they left (each kept 5 s once closed). Ten
# sessions leave caches of a few tens of MB that a class of 60 would not notice, hence +25 % here and +15 % in
# the full run (docs/performance.md); sessions that are never let go leave +60 %.
CLASS_SMALL := --crowd wire --phases 1 10 --digits 1 --look-s 0.5 --session-ttl 5 --memory-returns 30 --return-share 0.25

.PHONY: run check test benchmark mutation strings handouts

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

# Debian's nginx for deploy/ and its test; installing it starts no service here (no init system), and
# deploy/serve.py runs its own nginx from a temporary prefix.
/usr/sbin/nginx:
	$(if $(filter 0,$(shell id -u)),,sudo) sh -c 'apt-get update -q && apt-get install -y -q nginx'

# Node.js runs the live canvas's JavaScript in tests/test_interim_js.py.
/usr/bin/node:
	$(if $(filter 0,$(shell id -u)),,sudo) sh -c 'apt-get update -q && apt-get install -y -q nodejs'

run: $(VENV)/.app
	$(PY) -m streamlit run app.py --server.port $(PORT)

check: $(VENV)/.dev
	$(PY) -m ruff check .
	$(PY) -m pytest -m "not slow and not browser" -n 2

test: $(VENV)/.dev /usr/bin/chromium /usr/sbin/nginx /usr/bin/node
	$(PY) -m ruff check .
	$(PY) -m benchmarks.class_load $(CLASS_SMALL)
	$(PY) -m pytest

benchmark: $(VENV)/.dev /usr/bin/chromium
	$(PY) -m benchmarks.forward
	$(PY) -m benchmarks.weights_page
	$(PY) -m benchmarks.learn
	$(PY) -m benchmarks.class_load --crowd wire
	$(PY) -m benchmarks.class_load

# Mutation testing of the engine's maths and loader ([tool.mutmut] in pyproject.toml says which modules and
# tests): not part of `make test`; about 25 min on 2 cores. `mutmut show NAME` shows one mutant.
mutation: $(VENV)/.dev
	rm -rf mutants
	$(VENV)/bin/mutmut run --max-children 2 || true
	mkdir -p artifacts
	$(VENV)/bin/mutmut results --all true > artifacts/mutation.txt || true
	$(PY) tests/mutation_report.py artifacts/mutation.txt

# The translation catalogue: collect the strings marked with _() into mnistapp/locale/messages.pot and bring
# each language's .po file in line (new strings to translate, dropped ones gone); tests/test_i18n.py checks it.
strings: $(VENV)/.app
	$(PY) -m mnistapp.strings

# The lesson's printable handout in every language, into artifacts/
handouts: $(VENV)/.app
	mkdir -p artifacts
	$(PY) -m mnistapp.handout --lang en > artifacts/handout_en.html
	$(PY) -m mnistapp.handout --lang de > artifacts/handout_de.html
