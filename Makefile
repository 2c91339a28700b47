# AnkiConnect developer commands.  `make run` and `make test` set everything
# up themselves on a fresh machine (see scripts/setup.sh).
PY := .venv/bin/python

.PHONY: run test test-qt5 fuzz setup bench docs package clean

setup:
	@scripts/setup.sh

## Start real Anki with this add-on and a local profile (.anki-profile/),
## serving on 127.0.0.1:8765; offscreen when there is no display.
run: setup
	$(PY) scripts/anki_launcher.py

## Run every test (starts real Anki offscreen).
test: setup
	$(PY) -m pytest $(PYTEST_ARGS)

## The same suite on the oldest supported Anki (2.1.66, PyQt5), under Xvfb;
## on Python 3.9 (the Python Anki 2.1.66 ships) where the machine has it.
PYTHON39 := $(shell python3.9 -c 'import sys; print(sys.executable)' 2>/dev/null \
  || ls -d $$HOME/.pyenv/versions/3.9*/bin/python3.9 2>/dev/null | tail -n 1)
test-qt5:
	@PYTHON=$(or $(PYTHON39),python3) VENV=.venv-qt5 \
	  REQUIREMENTS=requirements-qt5.txt XVFB=1 scripts/setup.sh
	ANKICONNECT_TEST_QPA=xcb xvfb-run -a -s "-screen 0 1280x1024x24" .venv-qt5/bin/python -m pytest $(PYTEST_ARGS)

## Schemathesis with 100 generated requests per operation (CI runs 10).
fuzz: setup
	ANKICONNECT_FUZZ_EXAMPLES=100 $(PY) -m pytest tests/test_openapi_fuzz.py $(PYTEST_ARGS)

## Measure speed against the anki library's own floor
## (BENCH_ARGS="--quick" for a short run, "--readme" to update README.md).
bench: setup
	$(PY) scripts/bench.py $(BENCH_ARGS)

## Regenerate the README's API reference from the actions' docstrings.
docs: setup
	$(PY) scripts/gen_api_docs.py

## Build ankiconnect.ankiaddon.
package: setup
	$(PY) scripts/package.py

clean:
	rm -rf .venv .pytest_cache dist *.ankiaddon
