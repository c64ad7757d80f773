# Two commands for a fresh machine: `make serve` and `make test`. Everything installs into .venv.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# The environment is rebuilt whenever the dependency files change.
export NO_MKDOCS_2_WARNING := 1  # Material's end-of-life banner
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml tools/pyproject.toml constraints.txt | sha256sum | cut -c1-12)

SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: install system-deps vendor katex serve site test test-fast test-colab test-experiments lint bench records strip hooks pin clean

install: $(STAMP)

$(STAMP): pyproject.toml tools/pyproject.toml constraints.txt
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	# torch/torchvision first, at the versions pinned for development (from the local wheel cache here).
	# --no-compile: Python compiles a module when it is first imported, not every module of every package.
	$(BIN)/python -m pip install -q --no-compile -c constraints.txt torch torchvision
	$(BIN)/python -m pip install -q --no-compile -c constraints.txt -e '.[dev]'
	# the course's build tools (site, executor, benchmarks, record writers): beside the package, not in it
	$(BIN)/python -m pip install -q --no-deps -e tools
	touch $@

# Browser tests use Debian's chromium (never `playwright install`); the JS grader tests use node; the
# pretraining and data tests read the full Fashion-MNIST from Debian's package.
system-deps:
	@missing=""; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v node >/dev/null || missing="$$missing nodejs"; \
	command -v npm >/dev/null || missing="$$missing npm"; \
	[ -d /usr/share/datasets/fashion-mnist ] || missing="$$missing dataset-fashion-mnist"; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian's$$missing for the tests"; \
	  $(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

# The site typesets formulas with KaTeX and runs a model in the browser with ONNX Runtime Web, both
# fetched from the npm registry in one install (never a CDN, not committed).
KATEX_VERSION := 0.19.1
ORT_VERSION := 1.30.0
KATEX := .cache/vendor/node_modules/katex/dist/katex.min.js
ORT := .cache/vendor/node_modules/onnxruntime-web/dist/ort.wasm.min.js
VENDOR := $(KATEX) $(ORT)

vendor: $(VENDOR)
katex: vendor

$(VENDOR) &:
	@command -v npm >/dev/null || { $(SUDO) apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null; }
	npm install --silent --no-save --no-audit --no-fund --prefix .cache/vendor \
	  katex@$(KATEX_VERSION) onnxruntime-web@$(ORT_VERSION)
	touch $(VENDOR)

serve: install $(VENDOR)
	DLCOURSE_SITE_URL=http://127.0.0.1:8000/ $(BIN)/python -m mkdocs serve -a 127.0.0.1:8000

site: install $(VENDOR)
	$(BIN)/python -m mkdocs build --strict

AXE_VERSION := 4.11.1
AXE := tests/js/node_modules/axe-core/axe.min.js

# axe-core runs inside the browser tests only; it is fetched from the npm registry, not committed.
$(AXE):
	npm install --silent --no-save --no-audit --no-fund --prefix tests/js axe-core@$(AXE_VERSION)

test: install system-deps $(AXE) $(VENDOR)
	$(BIN)/ruff check src tests tools
	$(BIN)/ruff format --check src tests tools
	$(BIN)/python -m pytest -m "not experiments"

# The Colab twin alone (Colab's Python and package versions; `make test` runs it too), its result recorded for
# the Performance page.
test-colab: install
	$(BIN)/python -m dlcourse_tools colab twin --record tools/dlcourse_tools/site/colab_twin.json

# The lessons' comparisons run again at seed 0 and compared with their record (about 5 minutes on 2 cores;
# `make records` runs it after re-recording; `make test` checks the record itself).
test-experiments: install
	$(BIN)/python -m pytest -m experiments tests/test_experiments.py

# The inner loop: everything but the minutes-long runs and the browser.
test-fast: install $(VENDOR)
	$(BIN)/ruff check src tests tools
	$(BIN)/ruff format --check src tests tools
	$(BIN)/python -m pytest -m "not slow and not browser and not experiments"

lint: install
	$(BIN)/ruff check src tests tools
	$(BIN)/ruff format --check src tests tools

# Benchmarks print their figures (the Performance page shows those measured; nothing here asserts a time).
bench: install $(VENDOR)
	$(BIN)/python -m dlcourse_tools bench conv
	$(BIN)/python -m dlcourse_tools bench site
	$(BIN)/python -m dlcourse_tools bench pipeline --tiny
	$(BIN)/python -m dlcourse_tools bench lessons --repeat 3

# Rebuild the records and models shipped in the package (long runs; each writes into src/dlcourse/weights).
# The offline model reads Debian's Fashion-MNIST; the language model reads Jane Austen's novels from
# Debian's r-cran-janeaustenr (with R).
records: install system-deps
	@command -v Rscript >/dev/null && [ -d /usr/lib/R/site-library/janeaustenr ] || { $(SUDO) apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq r-cran-janeaustenr >/dev/null; }
	$(BIN)/python -m dlcourse_tools record offline-model
	$(BIN)/python -m dlcourse_tools record language-model
	$(BIN)/python -m dlcourse_tools record site-classifier
	$(BIN)/python -m dlcourse_tools record experiments --jobs 2
	$(MAKE) test-experiments

strip: install
	$(BIN)/nbstripout --keep-id lessons/*.ipynb

# Git's pre-commit hook: ruff (check and format) and nbstripout on what is committed.
hooks: install
	$(BIN)/pre-commit install

# Release step: point every lesson's install cell at the tag of the version in pyproject.toml.
VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' pyproject.toml)
pin:
	sed -i -E 's#(dlcourse(\[[a-z]+\])? @ git\+[^@"]*)@v[^"\\]*#\1@v$(VERSION)#' lessons/*.ipynb src/dlcourse/space/requirements.txt

clean:
	rm -rf site build .cache .pytest_cache .hypothesis  # build/: setuptools never removes a deleted module from it
