# Hookstream. `make run` starts the gateway; `make test` checks and tests everything.
SHELL := /bin/bash
export PATH := $(CURDIR)/node_modules/.bin:$(PATH)

.PHONY: run install test typecheck lint unit migrate rebuild openapi bench bench-quick bench-compare chaos clean

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

install: node_modules/.package-lock.json

run: install
	node apps/hookstream/src/main.ts

migrate: install
	node apps/hookstream/src/main.ts migrate

rebuild: install
	node apps/hookstream/src/main.ts rebuild

openapi: install
	node apps/api/src/openapi-cli.ts

typecheck: install
	tsc -p tsconfig.json

lint: install
	eslint --max-warnings 0 .

unit: install
	tap

test: typecheck lint unit

bench: install
	node bench/run.ts

bench-quick: install
	QUICK=1 node bench/run.ts

bench-compare: install
	node bench/run.ts --compare bench/results/previous.json

chaos: install
	node test/chaos/run.ts

clean:
	rm -rf .data .tap
