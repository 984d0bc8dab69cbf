# Everything a person or CI needs, from a fresh clone. See README.md.
SHELL := /usr/bin/env bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

CP_BIN = $(shell hack/build-control-plane.sh | tail -n 1)
# The tools the tests run, built from their Go modules into the same cache (see hack/build-*.sh).
TOOL_ENV = OMKEYS_HELM="$$(hack/build-helm.sh | tail -n 1)" OMKEYS_HELM3="$$(hack/build-helm3.sh | tail -n 1)" \
	OMKEYS_PROMTOOL="$$(hack/build-promtool.sh | tail -n 1)" \
	OMKEYS_LUA_TEST="$$(hack/build-lua-test.sh | tail -n 1)" OMKEYS_OCI_REGISTRY="$$(hack/build-oci-registry.sh | tail -n 1)" \
	OMKEYS_KSTATUS="$$(hack/build-kstatus.sh | tail -n 1)"

.PHONY: help
help:
	@echo "make test   install, build the control plane and the test tools (helm 4 and 3, promtool, the Lua runner, the OCI registry, kstatus) if missing, typecheck, lint, unit and integration tests"
	@echo "make demo   run the operator against a local control plane and the Ops Manager simulator (ARGS=--once to exit when Ready)"
	@echo "make bench  benchmarks (not part of make test)"
	@echo "make chaos  kill storms, Ops Manager storms, control-plane faults, deletion storms; invariants checked (ARGS=--short: under 2 minutes)"

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

.PHONY: deps
deps: node_modules/.installed

.PHONY: control-plane
control-plane:
	hack/build-control-plane.sh >/dev/null

.PHONY: tools
tools:
	hack/build-helm.sh >/dev/null
	hack/build-helm3.sh >/dev/null
	hack/build-promtool.sh >/dev/null
	hack/build-lua-test.sh >/dev/null
	hack/build-oci-registry.sh >/dev/null
	hack/build-kstatus.sh >/dev/null

.PHONY: typecheck
typecheck: deps
	npx tsc -p tsconfig.json --noEmit

.PHONY: lint
lint: deps
	npx eslint .

.PHONY: unit
unit: deps tools
	$(TOOL_ENV) npx mocha --config .mocharc.unit.json 'test/**/*.test.ts'

.PHONY: integration
integration: deps control-plane tools
	$(TOOL_ENV) OMKEYS_CP_BIN="$(CP_BIN)" npx mocha --config .mocharc.integration.json 'test/envtest/**/*.test.ts' 'test/integration/**/*.test.ts'

.PHONY: test
test: deps control-plane tools typecheck lint unit integration

.PHONY: demo
demo: deps control-plane
	OMKEYS_CP_BIN="$(CP_BIN)" npx tsx hack/demo.ts $(ARGS)

.PHONY: bench
bench: deps control-plane
	OMKEYS_CP_BIN="$(CP_BIN)" npx tsx bench/run.ts $(ARGS)

# Its own control plane, simulator and compiled operator; bounded (15 min; --short about 90 s, boxed at 4 min); see docs/reliability.md.
.PHONY: chaos
chaos: deps control-plane
	OMKEYS_CP_BIN="$(CP_BIN)" npx tsx bench/chaos/run.ts $(ARGS)
