# Two commands a reader needs, each doing its own set-up:
#   make book   build the HTML book into _build/html (zero Sphinx warnings)
#   make test   run the unit tests and execute every notebook under pytest
SHELL := /bin/bash
PYTHON ?= python3
# The oldest Python that every pin in requirements.txt has wheels for (pyproject.toml, README and
# binder/runtime.txt agree; tests/test_requirements.py checks it).
PYTHON_MIN := 3.11
# Set TORCH_INDEX to take PyTorch from another index, e.g. the CPU-only build on a Linux laptop:
#   make test TORCH_INDEX=https://download.pytorch.org/whl/cpu
TORCH_INDEX ?=
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# Torch, numpy and friends use at most two threads: the course's reference machine.
export OMP_NUM_THREADS ?= 2
export MKL_NUM_THREADS ?= 2

.PHONY: book html test setup student notebooks clean bench

setup: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	@$(PYTHON) -c 'import sys; need = tuple(map(int, "$(PYTHON_MIN)".split("."))); \
		sys.exit(None if sys.version_info[:2] >= need else \
		f"Python $(PYTHON_MIN) or newer is needed; this is {sys.version.split()[0]} ($(PYTHON)). Set PYTHON=python3.11 (or newer) and run make again.")'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(if $(TORCH_INDEX),$(PY) -m pip install --quiet --index-url $(TORCH_INDEX) "$$(grep -E '^torch==' requirements.txt | cut -d' ' -f1)")
	$(PY) -m pip install --quiet -r requirements.txt
	touch $(STAMP)

book: $(STAMP)
	@$(MAKE) --no-print-directory html

# The build itself, without the set-up (tests/test_book.py calls it).
# jupyter-cache keys on cell source only, and Sphinx re-reads only pages whose source changed.
# Key both on src/ and the pinned versions too: when either changes, the cached notebook
# outputs and Sphinx's parsed pages are dropped, and every notebook runs again.
html:
	@mkdir -p _build
	@new=$$(find src requirements.txt -name '*.py' -o -name requirements.txt | sort | xargs sha256sum | sha256sum | cut -c1-16); \
	old=$$(cat _build/.src-hash 2>/dev/null); \
	if [ "$$new" != "$$old" ]; then echo "src/ or requirements.txt changed: clearing the notebook cache"; \
		rm -rf _build/.jupyter_cache _build/.doctrees; fi; \
	echo $$new > _build/.src-hash
	$(PY) -m deepwhy.ledger page book/ --out book/claims.md
	DEEPWHY_PROGRESS=0 DEEPWHY_STATIC=1 DEEPWHY_FRAMES=1 $(VENV)/bin/jupyter-book build . -W -n --keep-going
	@echo "HTML book: _build/html/index.html"

test: $(STAMP)
	DEEPWHY_PROGRESS=0 DEEPWHY_STATIC=1 $(PY) -m pytest

bench: $(STAMP)
	$(PY) -m deepwhy.bench

# Student copies of the notebooks in plain Markdown, solutions replaced by stubs, book-only cells
# dropped; --check fails if any solution, MyST markup or book-only cell reached them.
STUDENT_DIR ?= student
student: $(STAMP)
	$(PY) -m deepwhy.classroom student book/ --out $(STUDENT_DIR)/ --check

# The reader's copies that the book's Binder and Colab buttons open: plain Markdown, solutions
# kept but folded. They are committed; tests/test_classroom.py fails when they are out of date.
notebooks: $(STAMP)
	$(PY) -m deepwhy.classroom student book/ --out notebooks/ --solutions --check

clean:
	rm -rf _build student
