# Livslang: `make run` starts the whole system with demo data; `make test` runs every test.
SHELL := /bin/bash
MODULES := pkg migrations services/registration services/funding services/notification services/portal deployments/local
BIN := $(CURDIR)/bin
SERVICES := registration funding notification portal
GOTEST_FLAGS ?= -race -count=1 -timeout 12m
# Modules outside the workspace (their dependencies must not move the services' versions): the
# container build, Compose, Kubernetes and observability checks.
DEPLOY_MODULES := deployments/docker deployments/kubernetes
CONTAINER_ENGINE ?= $(shell command -v docker 2>/dev/null || command -v podman 2>/dev/null)
IMAGE_PREFIX ?= livslang
IMAGE_TAG ?= dev

.DEFAULT_GOAL := help

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "} {printf "  make %-10s %s\n", $$1, $$2}'

build: ## build every service, the portal, the local launcher, the chaos suite and Mailpit into bin/
	@mkdir -p $(BIN)
	@for s in $(SERVICES); do go build -o $(BIN)/$$s ./services/$$s/cmd/$$s || exit 1; done
	go build -o $(BIN)/livslang-local ./deployments/local/cmd/livslang-local
	go build -o $(BIN)/livslang-chaos ./deployments/local/cmd/livslang-chaos
	@test -x $(BIN)/mailpit || (cd deployments/local && go build -o $(BIN)/mailpit github.com/axllent/mailpit)

run: build ## start the whole system on this machine with demo data (Ctrl-C stops it)
	$(BIN)/livslang-local

test: build ## run every module's tests with the race detector (starts its own Postgres and NATS; installs chromium for the portal's browser tests), each fuzz target for TEST_FUZZTIME (30000x: 30,000 inputs, about 3 s), then make lint
	@.ci/ensure-chromium
	@set -o pipefail; fail=0; for m in $(MODULES); do \
		echo "== $$m"; (cd $$m && LIVSLANG_BIN_DIR=$(BIN) go test $(GOTEST_FLAGS) ./...) || fail=1; \
	done; $(MAKE) --no-print-directory verify-deploy || fail=1; \
	$(MAKE) --no-print-directory fuzz FUZZTIME=$(or $(TEST_FUZZTIME),30000x) || fail=1; \
	$(MAKE) --no-print-directory lint || fail=1; exit $$fail

# The packages of every workspace module, as one pattern list (staticcheck and govulncheck analyse
# them together, once).
PACKAGES := $(foreach m,$(MODULES),./$(m)/...)
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2

lint: ## staticcheck and govulncheck on every module (fetched with go run: nothing to install; see docs/security.md)
	@echo "== staticcheck"
	@go run $(STATICCHECK) $(PACKAGES)
	@set -e; for m in $(DEPLOY_MODULES); do (cd $$m && GOWORK=off go run $(STATICCHECK) ./...); done
	@echo "== govulncheck"
	@GOWORK=off go run .ci/vulncheck/main.go $(patsubst ./%/...,livslang.dk/%/...,$(PACKAGES))

verify-deploy: ## check the Dockerfile, Compose file, Kubernetes manifests, dashboard and alerts (no container engine needed)
	@set -o pipefail; fail=0; for m in $(DEPLOY_MODULES); do \
		echo "== $$m"; (cd $$m && GOWORK=off go test -count=1 -timeout 5m ./...) || fail=1; \
	done; exit $$fail

images: ## build the four service images (livslang/<service>:dev) with docker or podman
	@engine="$(CONTAINER_ENGINE)"; \
	if [ -z "$$engine" ] || ! $$engine info >/dev/null 2>&1; then \
		echo "make images: no running container engine (docker or podman) here; the Dockerfile is checked by make verify-deploy"; exit 1; fi; \
	for s in $(SERVICES); do \
		echo "== $(IMAGE_PREFIX)/$$s:$(IMAGE_TAG)"; \
		DOCKER_BUILDKIT=1 $$engine build -f deployments/docker/Dockerfile --build-arg SERVICE=$$s \
			-t $(IMAGE_PREFIX)/$$s:$(IMAGE_TAG) . || exit 1; \
	done

# make bench / bench-quick OUT=<dir>: results folder (default bench-results/<time>); BENCH_FLAGS: more flags
# for livslang-bench (e.g. -rates 50,100,150 -keep -perf=false). See docs/benchmarks.md.
BENCH_STAMP := $(shell date +%Y%m%d-%H%M%S)
OUT ?= bench-results/$(BENCH_STAMP)

bench: build ## load the whole stack on fresh data: steady, rush, feed, funding, memory; a baseline in the same run (OUT=<dir>)
	go build -o $(BIN)/livslang-bench ./deployments/local/cmd/livslang-bench
	$(BIN)/livslang-bench -out $(OUT) -bin $(BIN) $(BENCH_FLAGS)

bench-quick: build ## the same with smaller scenarios, under five minutes on 2 cores (OUT=<dir>)
	go build -o $(BIN)/livslang-bench ./deployments/local/cmd/livslang-bench
	$(BIN)/livslang-bench -quick -out $(OUT) -bin $(BIN) $(BENCH_FLAGS)

# make chaos OUT=<dir> DURATION=<faults> SEED=<n>: results folder (default chaos-results/<time>), how long
# faults are injected (default 75s), the seed of the fault schedule (default from the clock); CHAOS_FLAGS:
# more flags for livslang-chaos (e.g. -instances 3 -keep). See docs/chaos.md.
DURATION ?= 75s
CHAOS_OUT := $(if $(filter command line environment,$(origin OUT)),$(OUT),chaos-results/$(BENCH_STAMP))

chaos: build ## kill every part under load (services, NATS, Postgres), poison, slow mail and webhooks; check the invariants (OUT=<dir>, DURATION=30m)
	$(BIN)/livslang-chaos -out $(CHAOS_OUT) -bin $(BIN) -duration $(DURATION) $(if $(SEED),-seed $(SEED)) $(CHAOS_FLAGS)

# Every fuzz target, as module:package:target.
FUZZ_TARGETS := pkg:./cpr/:FuzzParse pkg:./httpapi/:FuzzDecodeJSON pkg:./auth/:FuzzVerify \
	services/registration:./internal/api/:FuzzParseCourseCSV services/registration:./internal/api/:FuzzEnrolmentBody \
	services/registration:./internal/api/:FuzzProfileBody services/registration:./internal/api/:FuzzCourseBody \
	services/funding:./internal/api/:FuzzReferralBody \
	services/notification:./internal/api/:FuzzWebhookConfig services/notification:./internal/api/:FuzzPreferencesBody

fuzz: ## run each fuzz target for FUZZTIME (default 30s, or a count such as 100000x); make test runs each for 30000x (and their seed corpora with the tests)
	@.ci/fuzz $(or $(FUZZTIME),30s) $(FUZZ_TARGETS)

vet: ## go vet every module
	@for m in $(MODULES); do (cd $$m && go vet ./...) || exit 1; done
	@for m in $(DEPLOY_MODULES); do (cd $$m && GOWORK=off go vet ./...) || exit 1; done

clean: ## stop nothing, wipe the local data (.data, and the cluster kept for it under /var/lib/livslang) and binaries
	@moved=$$(cat .data/postgres/LOCATION 2>/dev/null); case "$$moved" in /var/lib/livslang/?*) rm -rf "$$moved";; esac
	rm -rf .data $(BIN)

.PHONY: help build run test lint bench bench-quick chaos vet clean verify-deploy images fuzz
