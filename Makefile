# dynamodb-access-alerts: one command for each thing a developer (or CI) does.
#   make demo   apply the module to a local AWS emulator and watch alerts arrive (see docs/demo.md)
#   make test   every check CI runs, with the time of each stage (see docs/testing.md)
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

PYTHON ?= python3
BUILD := $(CURDIR)/.build
VENV := .venv
PY := $(CURDIR)/$(VENV)/bin/python
COMPLIANCE_VENV := .venv-compliance
CHECKOV_VENV := .venv-checkov
DEV_STAMP := $(VENV)/.installed
COMPLIANCE_STAMP := $(COMPLIANCE_VENV)/.installed
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed

# Where `terraform init` finds hashicorp/aws offline. Defaults to /opt/tf-plugins when that exists (the
# mirror on this kind of machine); override with `make test TF_PROVIDER_MIRROR=/my/mirror`, or set it
# empty to use the registry. An existing TF_CLI_CONFIG_FILE wins over both (see tools/tf.py).
TF_PROVIDER_MIRROR ?= $(wildcard /opt/tf-plugins)
export TF_PROVIDER_MIRROR
TF := $(PYTHON) tools/tf.py
TF_DIRS := . $(patsubst %/,%,$(sort $(dir $(wildcard examples/*/*.tf modules/*/*.tf))))
# Modules with their own tests/*.tftest.hcl (provider-free ones: they apply in milliseconds, offline).
TF_TEST_MODULES := $(patsubst %/tests/,%,$(sort $(dir $(wildcard modules/*/tests/*.tftest.hcl))))
PLAN_JSON := $(BUILD)/plan.json
STAGE := bash tools/stage.sh
TEST_STAGES := ruff mypy unit zip-check tf-fmt tf-validate tf-test e2e compliance checkov

.PHONY: help venv zip demo test bench lint fmt clean distclean $(TEST_STAGES)

help:
	@echo "make demo       deploy examples/complete to a local AWS emulator and play an alert scene"
	@echo "make test       all checks (ruff, mypy, unit, zip, terraform fmt/validate/test, e2e, compliance, checkov)"
	@echo "make venv       create .venv (dev tools), .venv-compliance and .venv-checkov"
	@echo "make zip        rebuild lambda_src/access_alerts.zip after changing the Lambda code"
	@echo "make lint|fmt   check / fix formatting (Python and Terraform)"
	@echo "make bench      performance figures"
	@echo "make clean      remove build output (distclean: also the venvs)"
	@echo "single stages:  $(TEST_STAGES)"

# ---------------------------------------------------------------- virtual environments (stamped)
venv:
	@$(MAKE) -s -j3 $(DEV_STAMP) $(COMPLIANCE_STAMP) $(CHECKOV_STAMP)

$(DEV_STAMP): requirements-dev.txt
	@echo "--> creating $(VENV) from $<"
	@$(PYTHON) -m venv $(VENV)
	@$(VENV)/bin/pip install -q -r $< >$(VENV)/pip.log 2>&1 || { cat $(VENV)/pip.log; echo "pip install into $(VENV) failed"; exit 1; }
	@touch $@

$(COMPLIANCE_STAMP): requirements-compliance.txt
	@echo "--> creating $(COMPLIANCE_VENV) from $<"
	@$(PYTHON) -m venv $(COMPLIANCE_VENV)
	@$(COMPLIANCE_VENV)/bin/pip install -q -r $< >$(COMPLIANCE_VENV)/pip.log 2>&1 || { cat $(COMPLIANCE_VENV)/pip.log; echo "pip install into $(COMPLIANCE_VENV) failed"; exit 1; }
	@touch $@

$(CHECKOV_STAMP): requirements-checkov.txt
	@echo "--> creating $(CHECKOV_VENV) from $<"
	@$(PYTHON) -m venv $(CHECKOV_VENV)
	@$(CHECKOV_VENV)/bin/pip install -q -r $< >$(CHECKOV_VENV)/pip.log 2>&1 || { cat $(CHECKOV_VENV)/pip.log; echo "pip install into $(CHECKOV_VENV) failed"; exit 1; }
	@touch $@

# ---------------------------------------------------------------- main commands
zip:
	@$(PYTHON) tools/build_zip.py

demo: $(DEV_STAMP)
	@$(PY) tools/demo.py

bench: $(DEV_STAMP)
	@PYTHONPATH=lambda_src:. $(PY) tools/bench.py

# The unit stage runs beside the others: it needs one core for ~100 s, while e2e mostly waits on the emulator
# and the provider's polling, so overlapping them shortens the whole run (its log prints when it ends).
BACKGROUND_STAGE := unit

test: venv
	@mkdir -p $(BUILD); rm -f $(BUILD)/stages.txt; start=$$(date +%s); rc=0; \
	STAGE_LOG=$(BUILD)/stages.txt $(STAGE) $(BACKGROUND_STAGE) $(MAKE) $(BACKGROUND_STAGE) \
	  >$(BUILD)/$(BACKGROUND_STAGE).log 2>&1 & background=$$!; \
	for s in $(filter-out $(BACKGROUND_STAGE),$(TEST_STAGES)); do \
	  STAGE_LOG=$(BUILD)/stages.txt $(STAGE) $$s $(MAKE) $$s || { rc=$$?; break; }; \
	done; \
	wait $$background || { [ $$rc -ne 0 ] || rc=1; }; cat $(BUILD)/$(BACKGROUND_STAGE).log; \
	printf '\n== make test: time per stage (%s ran beside the others)\n' $(BACKGROUND_STAGE); cat $(BUILD)/stages.txt; \
	if [ $$rc -eq 0 ]; then printf 'make test: all stages passed in %ss\n' $$(( $$(date +%s) - start )); \
	else printf 'make test: FAILED after %ss (see the failing stage above)\n' $$(( $$(date +%s) - start )); fi; \
	exit $$rc

lint: ruff tf-fmt

fmt: $(DEV_STAMP)
	@$(PY) -m ruff check --fix --select I .
	@$(PY) -m ruff format .
	@$(TF) fmt -recursive

# ---------------------------------------------------------------- stages of `make test`
ruff: $(DEV_STAMP)
	@$(PY) -m ruff check .
	@$(PY) -m ruff format --check .

mypy: $(DEV_STAMP)
	@$(PY) -m mypy

unit: $(DEV_STAMP)
	@$(PY) -m pytest tests/unit -q

zip-check:
	@$(PYTHON) tools/build_zip.py --check

tf-fmt:
	@$(TF) fmt -check -recursive -diff

# init each root with its own TF_DATA_DIR under .build, so no .terraform directory lands in the repo.
tf-validate:
	@for d in $(TF_DIRS); do \
	  data=$(BUILD)/tfdata/$$(echo "$$d" | tr '/.' '__'); log=$$data.init.log; mkdir -p $$data; \
	  if ! TF_DATA_DIR=$$data $(TF) -chdir=$$d init -backend=false -input=false -no-color >$$log 2>&1; then \
	    cat $$log; echo "tf-validate: terraform init failed in $$d"; exit 1; fi; \
	  TF_DATA_DIR=$$data $(TF) -chdir=$$d validate -no-color | sed -e '/^$$/d' -e "s|^|$$d: |"; \
	done

tf-test:
	@data=$(BUILD)/tfdata/_; mkdir -p $$data; \
	if ! TF_DATA_DIR=$$data $(TF) init -backend=false -input=false -no-color >$$data.init.log 2>&1; then \
	  cat $$data.init.log; echo "tf-test: terraform init failed"; exit 1; fi; \
	TF_DATA_DIR=$$data $(PYTHON) tools/tf_test.py
	@for d in $(TF_TEST_MODULES); do \
	  data=$(BUILD)/tfdata/$$(echo "$$d" | tr '/.' '__'); mkdir -p $$data; \
	  if ! TF_DATA_DIR=$$data $(TF) -chdir=$$d init -backend=false -input=false -no-color >$$data.init.log 2>&1; then \
	    cat $$data.init.log; echo "tf-test: terraform init failed in $$d"; exit 1; fi; \
	  echo "$$d:"; TF_DATA_DIR=$$data $(PYTHON) tools/tf_test.py --chdir $$d || exit 1; \
	done

e2e: $(DEV_STAMP)
	@rm -f $(PLAN_JSON) $(BUILD)/plan-first.json $(BUILD)/plan-own-first.json
	@E2E_REQUIRED=1 PLAN_JSON=$(PLAN_JSON) $(PY) -m pytest tests/e2e -m e2e -q

compliance: $(COMPLIANCE_STAMP)
	@$(PYTHON) tools/compliance.py --terraform-compliance $(COMPLIANCE_VENV)/bin/terraform-compliance --plans $(dir $(PLAN_JSON))

checkov: $(CHECKOV_STAMP)
	@$(CHECKOV_VENV)/bin/checkov --config-file .checkov.yaml

# ---------------------------------------------------------------- housekeeping
clean:
	rm -rf .build .pytest_cache .mypy_cache .ruff_cache .hypothesis
	find . -name __pycache__ -type d -not -path './.venv*' -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV) $(COMPLIANCE_VENV) $(CHECKOV_VENV)
