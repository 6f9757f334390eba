# Livslang: `make run` starts the whole system with demo data; `make test` runs every test.
SHELL := /bin/bash
MODULES := pkg migrations services/registration services/funding services/notification services/portal deployments/local
BIN := $(CURDIR)/bin
SERVICES := registration funding notification portal
GOTEST_FLAGS ?= -race -count=1 -timeout 12m

.DEFAULT_GOAL := help

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "} {printf "  make %-10s %s\n", $$1, $$2}'

build: ## build every service, the portal, the local launcher and Mailpit into bin/
	@mkdir -p $(BIN)
	@for s in $(SERVICES); do go build -o $(BIN)/$$s ./services/$$s/cmd/$$s || exit 1; done
	go build -o $(BIN)/livslang-local ./deployments/local/cmd/livslang-local
	@test -x $(BIN)/mailpit || (cd deployments/local && go build -o $(BIN)/mailpit github.com/axllent/mailpit)

run: build ## start the whole system on this machine with demo data (Ctrl-C stops it)
	$(BIN)/livslang-local

test: build ## run every module's tests with the race detector (starts its own Postgres and NATS; installs chromium for the portal's browser tests)
	@.ci/ensure-chromium
	@set -o pipefail; fail=0; for m in $(MODULES); do \
		echo "== $$m"; (cd $$m && LIVSLANG_BIN_DIR=$(BIN) go test $(GOTEST_FLAGS) ./...) || fail=1; \
	done; exit $$fail

bench: ## run the benchmarks
	@for m in $(MODULES); do (cd $$m && go test -run '^$$' -bench . -benchmem ./...) || exit 1; done

fuzz: ## run each fuzz target for FUZZTIME (default 30s); make test runs their seed corpora
	cd pkg && go test -run '^$$' -fuzz FuzzParse -fuzztime $(or $(FUZZTIME),30s) ./cpr/
	cd pkg && go test -run '^$$' -fuzz FuzzDecodeJSON -fuzztime $(or $(FUZZTIME),30s) ./httpapi/
	cd services/registration && go test -run '^$$' -fuzz FuzzParseCourseCSV -fuzztime $(or $(FUZZTIME),30s) ./internal/api/

vet: ## go vet every module
	@for m in $(MODULES); do (cd $$m && go vet ./...) || exit 1; done

clean: ## stop nothing, wipe the local data (.data) and binaries
	rm -rf .data $(BIN)

.PHONY: help build run test bench vet clean fuzz
