# dewconform: make conformance runs the suite against the embedded mock; make test runs every check CI runs.
GO        ?= go
REDOCLY   ?= npx --yes @redocly/cli@2.77.0
GOFILES    = $(shell find . -name '*.go' -not -path './gen/*' -not -path './.git/*')
FUZZTIME  ?= 60s
ADDR      ?= 127.0.0.1:8080
SOAK_RUNS ?= 100
DIST_DIR  ?= out/dist
IMAGE_DIR ?= out/image
IMAGE_ARCH ?= amd64
REV       ?= HEAD
PLATFORMS ?= linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64 windows/arm64

.DEFAULT_GOAL := help
.PHONY: help generate check-generated fmt vet lint test conformance serve bench fuzz tidy-check dist dist-check image image-test

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
soak: ## SOAK_RUNS (100) suite runs against one shared `serve --control --key-quota`, `dewconform cleanup` after each; output in bench/soak.txt (not in CI)
	$(GO) run ./bench/soak -runs $(SOAK_RUNS) -out bench/soak.txt

tidy-check: ## fail if go.mod/go.sum are not tidy
	$(GO) mod tidy -diff

# release_build builds ./cmd/dewconform for the platforms $(2) into directory $(1): static, -trimpath,
# from a fresh clone of commit $(REV) (default HEAD; a tag works too), so that the go command stamps the
# commit and its time (it stamps nothing in a git worktree, and a release must not carry uncommitted
# changes); -buildvcs=true overrides a GOFLAGS=-buildvcs=false. Nothing else varies, so the same commit
# gives the same bytes.
define release_build
	@set -e; \
	out=$$(mkdir -p "$(1)" && cd "$(1)" && pwd); \
	src=$$(mktemp -d); trap 'rm -rf "$$src"' EXIT; \
	rev=$$(git rev-parse --verify --quiet "$(REV)^{commit}") || { echo "REV=$(REV) is not a commit"; exit 2; }; \
	if [ -n "$$(git status --porcelain --untracked-files=no)" ]; then \
	  echo "note: uncommitted changes are not in the build: it is of commit $$rev"; fi; \
	git clone --quiet --no-checkout "$$(git rev-parse --path-format=absolute --git-common-dir)" "$$src"; \
	git -C "$$src" -c advice.detachedHead=false checkout --quiet --detach "$$rev"; \
	for p in $(2); do \
	  os=$${p%/*}; arch=$${p#*/}; ext=; [ "$$os" = windows ] && ext=.exe; \
	  echo "go build $$os/$$arch -> $(1)/dewconform-$$os-$$arch$$ext"; \
	  (cd "$$src" && CGO_ENABLED=0 GOOS=$$os GOARCH=$$arch $(GO) build -trimpath -buildvcs=true \
	    -o "$$out/dewconform-$$os-$$arch$$ext" ./cmd/dewconform); \
	done
endef

dist: ## release binaries of REV (default HEAD; linux, darwin, windows; amd64, arm64) and SHA256SUMS in out/dist
	rm -rf $(DIST_DIR)
	$(call release_build,$(DIST_DIR),$(PLATFORMS))
	cd $(DIST_DIR) && sha256sum dewconform-* > SHA256SUMS && cat SHA256SUMS

dist-check: ## build dist twice (the second time in another clone with an empty build cache) and compare the bytes (slow)
	@set -e; rev=$$(git rev-parse --verify "$(REV)^{commit}"); \
	$(MAKE) --no-print-directory dist DIST_DIR=$(DIST_DIR) REV=$$rev; \
	cache=$$(mktemp -d); trap 'chmod -R u+w "$$cache"; rm -rf "$$cache"' EXIT; \
	GOCACHE=$$cache $(MAKE) --no-print-directory dist DIST_DIR=$(DIST_DIR)-again REV=$$rev
	cmp $(DIST_DIR)/SHA256SUMS $(DIST_DIR)-again/SHA256SUMS && echo "reproducible: the two builds are byte for byte the same"

image: ## OCI image of REV (default HEAD; linux/IMAGE_ARCH, default amd64), no daemon or base image, in out/image
	$(call release_build,$(IMAGE_DIR),linux/$(IMAGE_ARCH))
	$(GO) run ./internal/mkimage --binary $(IMAGE_DIR)/dewconform-linux-$(IMAGE_ARCH) --out $(IMAGE_DIR)

image-test: image ## make image, then check that very artifact as go test checks its own (config, binary, run, health)
	DEWCONFORM_IMAGE_TAR=$(abspath $(IMAGE_DIR))/dewconform.tar $(GO) test -count=1 -run '^TestImageRunsAndPassesAgainstItself$$' -v ./internal/image/
