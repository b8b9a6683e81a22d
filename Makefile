# The commands the README names. Every target sets up what it needs first.
PYTHON ?= python3
PIP ?= $(PYTHON) -m pip

.PHONY: start test test-fast setup setup-test system-deps lint bench book lab demo clean

## start: install ChainSim and run the Bitcoin preset on 1,000 nodes (the main job)
start: setup
	chainsim run bitcoin --nodes 1000 --blocks 100 --seed 1 --out out/bitcoin

## test: install everything the tests need (Python and Debian packages) and run them all
test: setup-test
	TQDM_DISABLE=1 $(PYTHON) -m pytest

## test-fast: the quick tests only (no notebooks, browser, book or slow statistics)
test-fast:
	TQDM_DISABLE=1 $(PYTHON) -m pytest -m "not slow and not notebooks and not browser and not book and not binder"

setup:
	$(PIP) install -q -e .

setup-test: system-deps
	$(PIP) install -q -e '.[all]'

## system-deps: Debian's chromium (for the browser tests) and CJK fonts (Chinese figures)
system-deps:
	@if ! command -v chromium >/dev/null 2>&1 || ! fc-list 2>/dev/null | grep -qi 'Noto Sans CJK'; then \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends \
			chromium fonts-noto-cjk >/dev/null; \
	fi

lint:
	ruff check sim tests benchmarks
	ruff format --check sim tests benchmarks
	mypy

## bench: speed and memory benchmarks (not part of the test run)
bench: setup
	$(PYTHON) benchmarks/run.py

## book: build the Sphinx book (English and Chinese editions) into book/_build/html
book: setup-test
	$(PYTHON) book/build.py book/_build/html

## lab: open the lessons in JupyterLab (right-click a lesson .md: Open With -> Notebook)
lab: setup-test
	jupyter lab courses/

## demo: serve the public Voila gallery on http://localhost:8866
demo: setup-test
	cd courses/demos && voila --no-browser .

clean:
	rm -rf out book/_build .pytest_cache .mypy_cache .ruff_cache artifacts
