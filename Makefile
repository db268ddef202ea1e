# The IIJ 2Q FY2002 analysis book.
#   make book   set up .venv from requirements.txt, run the chapters, build _build/html
#   make test   set up what the tests need (Debian's chromium too) and run them
#   make test-fast  the tests that build and run nothing (about a minute): the edit loop
#   make lab    JupyterLab with MyST in chapters/ (LAB_ARGS="--no-browser --port 8899")
#   make classroom  student and teacher notebooks and PDFs in _build/classroom
#   make publish    the last good build on the gh-pages branch of PUBLISH_REMOTE (default origin)
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.requirements-installed
LAB_STAMP := $(VENV)/.lab-installed
ARGS ?=
PYTEST_ARGS ?=
LAB_ARGS ?=
PUBLISH_REMOTE ?= origin

.PHONY: lines book test test-fast pdf classroom bench venv chromium axe hooks clean lock params lab lab-deps publish

book: $(STAMP)
	$(BIN)/iijbook build $(ARGS)

# On two processes (pytest-xdist): the tests that share a kernel, a browser or make classroom stay
# on one, the longest groups first; the session's builds are made once for both (tests/conftest.py).
test: $(STAMP) $(LAB_STAMP) chromium axe
	$(BIN)/python -m pytest -n 2 $(PYTEST_ARGS)

# Units, data, parameters, input parsing and doctests: every test not marked slow (tests/conftest.py).
test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not slow" $(PYTEST_ARGS)

# JupyterLab in the chapters' folder, with MyST rendered (jupyterlab-myst) and charts drawn
# offline; the kernel is .venv's, which has the book's helper package installed.
lab: $(STAMP) $(LAB_STAMP)
	cd chapters && PATH="$(CURDIR)/$(BIN):$$PATH" "$(CURDIR)/$(BIN)/jupyter" lab \
	  $$([ "$$(id -u)" = 0 ] && echo --allow-root) $(LAB_ARGS)

lab-deps: $(LAB_STAMP)

$(LAB_STAMP): requirements-lab.txt $(STAMP)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -r requirements-lab.txt
	@touch $@

pdf: book chromium
	$(BIN)/iijbook pdf

# The classroom edition: each chapter for students (no solutions) and teachers, run and checked,
# with a PDF of each; open _build/classroom/index.html.
classroom: $(STAMP) chromium
	$(BIN)/iijbook classroom

# Times cold, no-change, one-chapter and naive builds; writes _build/benchmark.{json,md}.
bench: $(STAMP) chromium
	$(BIN)/python -m tools.bench

# The build tool's size: Python and JavaScript lines in lib/iijbook_build/.
lines:
	@wc -l lib/iijbook_build/*.py lib/iijbook_build/*.js | sort -n

params: $(STAMP)
	@$(BIN)/iijbook params

# The last good build (_build/html, .nojekyll added) on PUBLISH_REMOTE's gh-pages branch, with
# ghp-import; a missing, failed or stale build (its sources changed since) is refused, exit 2.
publish: $(STAMP)
	$(BIN)/python -m iijbook_build.deploy --remote $(PUBLISH_REMOTE)

venv: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@touch $@

# Debian's Chromium for the browser tests (Playwright drives it; its own browser download
# cannot work offline). Installed only when missing, and only where we may (root).
chromium:
	@if command -v chromium >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "installing Debian's chromium for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else echo "WARNING: chromium is missing and cannot be installed here: the browser tests will skip"; fi

# axe-core from the npm registry, for the accessibility tests (pinned in tests/axe/package-lock.json).
AXE := tests/axe/node_modules/axe-core/axe.min.js
axe: $(AXE)
$(AXE): tests/axe/package.json tests/axe/package-lock.json
	@command -v npm >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
	  echo "installing Debian's npm for axe-core" && apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null; } || \
	  echo "WARNING: npm is missing: the accessibility tests will skip"
	@if command -v npm >/dev/null 2>&1; then cd tests/axe && npm ci --no-audit --no-fund --ignore-scripts --silent && touch node_modules/axe-core/axe.min.js; fi

# Contributors: strip notebook outputs and run ruff before each commit.
hooks: $(STAMP)
	$(BIN)/pre-commit install

# Re-pin requirements.txt from requirements.in in a throwaway venv.
lock:
	rm -rf /tmp/iijbook-lock && $(PYTHON) -m venv /tmp/iijbook-lock
	/tmp/iijbook-lock/bin/pip install --quiet -r requirements.in
	{ echo "# Generated from requirements.in with 'make lock' (pip freeze of a fresh venv)."; \
	  /tmp/iijbook-lock/bin/pip freeze --exclude-editable; \
	  echo "# the book's helper package, editable so notebooks import it from lib/"; echo "-e ."; } > requirements.txt
	/tmp/iijbook-lock/bin/pip freeze --exclude-editable | sort > /tmp/iijbook-lock/base.txt
	/tmp/iijbook-lock/bin/pip install --quiet jupyterlab==4.6.6 jupyterlab_myst==2.7.0
	{ sed -n '1,6p' requirements-lab.txt; /tmp/iijbook-lock/bin/pip freeze --exclude-editable | sort | \
	  comm -13 /tmp/iijbook-lock/base.txt - | grep -v '^jupyterlab==\|^jupyterlab_myst==\|^rfc3987-syntax==\|^lark=='; } \
	  > requirements-lab.txt.new
	mv requirements-lab.txt.new requirements-lab.txt

clean:
	rm -rf _build _static/vega .pytest_cache tests/axe/node_modules
