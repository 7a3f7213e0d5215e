# redis-instance-manager: every task a newcomer needs, each installing what it needs first.
#   make run    the manager on defaults with a local redis-server (:8080, Redis on :6379)
#   make test   the whole test suite (installs npm packages, redis-server and prometheus)
SHELL := /bin/bash
NPM_BIN := node_modules/.bin
NODE := $(NPM_BIN)/node
export PATH := $(CURDIR)/$(NPM_BIN):$(PATH)

# mocha in this process, with tsx: its bin/mocha.js would re-spawn itself for the `node-option`
# of .mocharc.json, and that wrapper dies on SIGTERM without passing it on, leaving the real
# run (and the managers it started) behind. This way SIGTERM or Ctrl-C reach the run, which
# stops what it started (test/support/hooks.ts).
MOCHA := $(NODE) --import tsx node_modules/mocha/lib/cli/cli.js

SYSTEM_PACKAGES := redis-server redis-tools redis-sentinel prometheus prometheus-redis-exporter wrk apache2-utils chromium openssl
RUN_DIR := .run
# The Node flags the manager is deployed with: written once, in the Dockerfile.
DEPLOYED_NODE_OPTIONS := $(shell sed -n 's/^ENV NODE_OPTIONS=//p' Dockerfile)

.PHONY: deps system-deps npm-deps generate compat-table check-generated build client lint format typecheck test test-only run bench bench-probes bench-footprint bench-backup bench-upgrade bench-switchover bench-failover bench-info docs demo clean

deps: system-deps npm-deps

# Debian packages the tests and the run target use, installed only when missing (a package
# removed with its configuration files left behind counts as missing: scripts/missing-debs.sh).
system-deps:
	@missing="$$(sh scripts/missing-debs.sh $(SYSTEM_PACKAGES) | tr '\n' ' ' | sed 's/ *$$//')"; \
	if [ -n "$$missing" ]; then \
	  echo "installing: $$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	  for s in redis-server prometheus prometheus-redis-exporter redis-sentinel; do $$SUDO service $$s stop >/dev/null 2>&1 || true; done; \
	fi

# npm ci when node_modules is missing or older than the lockfile. Node 24 comes in as the
# `node` dev dependency, so every script below runs on it.
npm-deps: node_modules/.installed
node_modules/.installed: package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

generate: npm-deps
	$(NODE) scripts/generate.mjs

# CI fails when generated/ is not what openapi.yaml produces.
check-generated: generate
	@git diff --exit-code --stat -- generated/ || { echo "generated/ is stale: run 'make generate' and commit"; exit 1; }
	@test -z "$$(git status --porcelain -- generated/)" || { git status --porcelain -- generated/; echo "generated/ has untracked files: run 'make generate' and commit"; exit 1; }

build: npm-deps
	$(NODE) scripts/build.mjs

# The published client package, compiled (generated/client/dist).
client: npm-deps
	$(NPM_BIN)/tsc -p generated/client/tsconfig.json

typecheck: npm-deps
	$(NPM_BIN)/tsc -b src/client
	$(NPM_BIN)/tsc --noEmit -p tsconfig.json

# The contract (redocly), the types (the client package's hand-written half as its own
# project, built first because the root references it, then the server, tests and tools),
# type-aware lint rules, and the formatting.
lint: npm-deps
	$(NPM_BIN)/redocly lint openapi.yaml
	$(NPM_BIN)/tsc -b src/client
	$(NPM_BIN)/tsc --noEmit -p tsconfig.json
	$(NPM_BIN)/eslint .
	$(NPM_BIN)/prettier --check .

# Rewrites every file prettier checks (run before committing).
format: npm-deps
	$(NPM_BIN)/prettier --write .

test: deps check-generated lint build client
	$(MOCHA) 'test/**/*.test.ts'

# A subset: make test-only TESTS='test/http/*.test.ts' (needs a build for the bundle tests).
test-only: npm-deps
	$(MOCHA) $(TESTS)

# The manager on defaults: listens on :8080, runs redis-server on :6379 with its data in
# ./data, as a primary (single node). The operator token is generated into .run/token.
# A single node has no operator to confirm it after a restart, so it resumes on its own
# (--on-primary-restart resume); clusters keep the default, hold (see README).
run: deps build
	@mkdir -p $(RUN_DIR) && chmod 700 $(RUN_DIR)
	@[ -s $(RUN_DIR)/token ] || { head -c 32 /dev/urandom | base64 | tr -d '/+=\n' > $(RUN_DIR)/token; chmod 600 $(RUN_DIR)/token; }
	@echo "operator token: $(RUN_DIR)/token   (curl -H \"Authorization: Bearer \$$(cat $(RUN_DIR)/token)\" ...)"
	NODE_OPTIONS='$(DEPLOYED_NODE_OPTIONS)' $(NODE) dist/instance-manager.mjs run --listen 0.0.0.0:8080 --data-dir ./data --redis-port 6379 \
	  --token-file $(RUN_DIR)/token --initial-role primary --on-primary-restart resume

# The API reference: openapi.yaml rendered into one self-contained page, dist/api.html.
docs: npm-deps
	$(NODE) scripts/docs.mjs

# README.md's table of redis_exporter names → ours, generated from the compat module.
compat-table: npm-deps
	$(NPM_BIN)/tsx scripts/exporter-compat-table.ts

# Three managers on local ports, a switchover through the client, before/after tables.
demo: deps build
	$(NPM_BIN)/tsx scripts/demo.ts

bench: bench-probes

# Probe/status latency and throughput vs a bare Node server, and the manager's RSS.
bench-probes: deps build
	$(NPM_BIN)/tsx bench/probes.ts

# Where an idle manager's memory goes: RSS, V8 heap, code, external, heap snapshot by category.
bench-footprint: deps build
	$(NPM_BIN)/tsx bench/footprint.ts

# Re-captures test/fixtures/info from Debian's redis-server and every server in ../shared/redis-versions.
.PHONY: capture-info-fixtures
capture-info-fixtures: deps
	$(NPM_BIN)/tsx scripts/capture-info-fixtures.ts

# What each form of INFO costs Redis, on Debian's redis-server and ../shared/redis-versions.
bench-info: deps
	$(NPM_BIN)/tsx bench/info-cost.ts

# Backup of ~1 GiB to s3rver vs a plain lib-storage upload (BENCH_SIZE_MB=256 for a quick run).
bench-backup: deps
	$(NPM_BIN)/tsx bench/backup.ts

# 10 in-place upgrades under wrk + redis-benchmark load (issue 5).
bench-upgrade: deps build
	$(NPM_BIN)/tsx bench/upgrade.ts

# A held primary confirmed → writable, and a lease expiry → writes refused (issue 10).
bench-failover: deps build
	$(NPM_BIN)/tsx bench/failover.ts --rounds 30

# 20 switchovers under write load, against redis-sentinel's SENTINEL FAILOVER (~10 min).
bench-switchover: deps
	$(NPM_BIN)/tsx bench/switchover.ts --rounds 20

clean:
	rm -rf dist generated/client/dist .tmp

# /metrics against prometheus-redis-exporter 1.45 on the same redis-server: scrapes/s,
# latency, Redis CPU per scrape, RSS, families, cost as Redis grows. Prints a table.
.PHONY: bench-metrics
bench-metrics: deps build
	$(NPM_BIN)/tsx bench/metrics.ts
