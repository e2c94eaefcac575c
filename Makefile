# dewconform: make conformance runs the suite against the embedded mock; make test runs every check CI runs.
GO        ?= go
REDOCLY   ?= npx --yes @redocly/cli@2.77.0
GOFILES    = $(shell find . -name '*.go' -not -path './gen/*' -not -path './.git/*')
FUZZTIME  ?= 60s
ADDR      ?= 127.0.0.1:8080
SOAK_RUNS ?= 100

.DEFAULT_GOAL := help
.PHONY: help generate check-generated fmt vet lint test conformance serve bench fuzz tidy-check

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

generate: ## regenerate gen/ from openapi/ (commit the result)
	$(GO) generate ./gen/...

check-generated: generate ## fail if gen/ differs from what the specs produce
	git diff --exit-code -- gen/
	test -z "$$(git status --porcelain -- gen/)"

fmt: ## fail if any hand-written Go file is not gofmt-ed
	@out=$$(gofmt -l $(GOFILES)); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet: ## go vet
	$(GO) vet ./...

lint: fmt vet ## gofmt, go vet and the independent OpenAPI linter (Redocly CLI, pinned)
	$(REDOCLY) lint --format=stylish

test: lint tidy-check ## every check CI runs: lint, tidy go.mod, then all tests with -race (fuzz corpora replayed)
	$(GO) test -race -count=1 -timeout 15m ./...

conformance: ## run the whole suite against the embedded mock
	$(GO) run ./cmd/dewconform run

serve: ## start the mock on $(ADDR) with its control API
	$(GO) run ./cmd/dewconform serve --addr $(ADDR) --control

bench: ## benchmarks (one process, one run); output also in bench/latest.txt
	$(GO) test -run '^$$' -bench . -benchmem -count=1 ./... | tee bench/latest.txt

fuzz: ## run every fuzz target for FUZZTIME each (not in CI)
	@for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg 2>/dev/null | grep '^Fuzz'); do \
	    echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done

.PHONY: soak
soak: ## SOAK_RUNS (100) suite runs against one shared `serve --control --key-quota`, purged after each; output in bench/soak.txt (not in CI)
	$(GO) run ./bench/soak -runs $(SOAK_RUNS) -out bench/soak.txt

tidy-check: ## fail if go.mod/go.sum are not tidy
	$(GO) mod tidy -diff
