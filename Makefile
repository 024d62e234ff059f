# Two commands matter: `make demo` and `make test`. Everything is installed
# into .venv from requirements.txt (the one place versions are pinned).
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
COLLECTION_LINK := .collections/ansible_collections/tap/multiregion
INVENTORY ?= inventories/local
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: help install up down demo deploy test unit integration lint ansible-lint sanity molecule ee bench clean

help:
	@echo "make demo   install, start the local AWS emulator, deploy dev to every region, print outputs"
	@echo "make test   lint + the whole test suite (starts and stops its own emulators)"
	@echo "make down   stop the emulator that make demo left running"
	@echo "make lint   ruff, yamllint, ansible-lint (production profile), ansible-test sanity"
	@echo "make bench  benchmark the full stack against private emulators: zero latency, then AWS-like latency and timing (bench/README.md)"
	@echo "make molecule  molecule scenarios (vpc, dynamodb_global, lambda_api roles; whole stack) against a private emulator"

# --no-compile: the ansible package holds tens of thousands of modules this project never imports; Python
# compiles the few it does import on first use (make install 43 s -> 27 s on a 2-CPU machine).
$(STAMP): requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --no-compile -r requirements.txt
	touch $(STAMP)

$(COLLECTION_LINK):
	mkdir -p $(dir $(COLLECTION_LINK))
	ln -sfn ../../.. $(COLLECTION_LINK)

install: $(STAMP) $(COLLECTION_LINK)

up: install
	$(BIN)/python -m emulator start

down:
	@test -x $(BIN)/python && $(BIN)/python -m emulator stop || true

deploy: install
	$(BIN)/ansible-playbook site.yml -i $(INVENTORY)

demo: up
	$(BIN)/ansible-playbook site.yml -i inventories/local

unit: install
	$(BIN)/python -m pytest tests/unit -q

integration: install
	$(BIN)/python -m pytest tests/integration -q

test: install lint
	$(BIN)/python -m pytest tests -q -n 2 --dist loadgroup --durations=15

# ansible-lint and ansible-test sanity each keep about one CPU busy for a minute or more: side by side
# (output kept per target), the two CPUs of a CI machine finish both in the time of the longer one.
lint: install
	$(BIN)/ruff check plugins emulator tests files bench tools
	$(BIN)/yamllint -s .
	$(MAKE) --no-print-directory -j2 --output-sync=target ansible-lint sanity

ansible-lint: install
	$(BIN)/ansible-lint --profile production -q

sanity: install
	tools/sanity.sh

molecule: install
	$(BIN)/molecule test --all

ee: install
	$(BIN)/ansible-galaxy collection build --output-path build/ --force
	ansible-builder build --file execution-environment.yml --tag tap-multiregion-ee:0.1.0

bench: install
	$(BIN)/python -m bench

clean: down
	rm -rf $(VENV) .collections .emulator outputs .pytest_cache .ruff_cache
