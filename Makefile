# Hookstream. `make run` starts the gateway; `make test` checks and tests everything.
SHELL := /bin/bash
export PATH := $(CURDIR)/node_modules/.bin:$(PATH)

.PHONY: run install console screenshots test typecheck lint format format-check unit migrate rebuild openapi bench bench-quick bench-compare chaos clean

# Quiet unless it fails: on an older system Node, npm warns about every package that wants a newer
# engine (the project runs on the Node it installs), which reads like a failure. The output is kept
# in a log file and shown only when npm ci fails.
node_modules/.package-lock.json: package.json package-lock.json
	@echo "Installing dependencies (npm ci; output shown only if it fails)..."
	@log=$$(mktemp "$${TMPDIR:-/tmp}/hookstream-npm-ci.XXXXXX"); \
	if npm ci --no-audit --no-fund >"$$log" 2>&1; then rm -f "$$log"; \
	else status=$$?; cat "$$log" >&2; echo "npm ci failed (exit $$status); its output is above and in $$log" >&2; exit $$status; fi
	@touch $@

install: node_modules/.package-lock.json

# The web console is built only when its sources (or the SDK and contracts it bundles) changed.
CONSOLE_SRC := $(shell find apps/console/src libs/sdk/src libs/contracts/src -type f -not -name '*.test.ts' 2>/dev/null) \
	apps/console/index.html apps/console/portal.html apps/console/vite.config.ts apps/console/tsconfig.json apps/console/package.json

apps/console/dist/index.html: node_modules/.package-lock.json $(CONSOLE_SRC)
	cd apps/console && tsc -p tsconfig.json && vite build
	@touch $@

console: apps/console/dist/index.html

# Seeds a run of the whole system and writes docs/console/*.png, one per screen.
screenshots: console
	node test/console/screenshots.ts

run: install console
	node apps/hookstream/src/main.ts

migrate: install
	node apps/hookstream/src/main.ts migrate

rebuild: install
	node apps/hookstream/src/main.ts rebuild

openapi: install
	node apps/api/src/openapi-cli.ts

typecheck: install
	tsc -p tsconfig.json
	tsc -p apps/console/tsconfig.json

lint: install
	eslint --max-warnings 0 .
	prettier --check --log-level warn .

# Prettier with .prettierrc.json; see docs/adr/0014-formatter-and-type-checked-lint.md.
format: install
	prettier --write .

format-check: install
	prettier --check .

unit: install
	tap

test: typecheck lint console unit

bench: install
	node bench/run.ts

bench-quick: install
	QUICK=1 node bench/run.ts

bench-compare: install
	node bench/run.ts --compare bench/results/previous.json

chaos: install
	node test/chaos/run.ts

clean:
	rm -rf .data .tap apps/console/dist
