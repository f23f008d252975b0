# Every target installs what it needs into .venv first, so a fresh clone needs only `make run` or `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed
# `make run` installs only what running needs (requirements-run.txt); every other target the dev set, which includes it.
RUN_INSTALLED := $(VENV)/.installed-run
# `make import` and `make export`: the run set plus the importer's own (requirements-import.txt).
IMPORT_INSTALLED := $(VENV)/.installed-import

# `make import`: STAGE only when given (the deploy targets below default it to dev).
IMPORT_TARGET = $(if $(filter-out file undefined,$(origin STAGE)),--stage $(STAGE),)

.PHONY: migrate import export run mail run-cached nginx test fuzz e2e browser screenshot lint bench bench-peers isso conformance clean clean-data bootstrap deploy admin teardown package policy-check budgets docs docs-serve rotate-key restore-pitr use-table rekey deploy-check js

$(INSTALLED): requirements.txt requirements-signin.txt requirements-run.txt requirements-import.txt requirements-dev.txt requirements-docs.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@ $(RUN_INSTALLED) $(IMPORT_INSTALLED)

$(IMPORT_INSTALLED): requirements.txt requirements-signin.txt requirements-run.txt requirements-import.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --no-compile -r requirements-import.txt
	touch $@ $(RUN_INSTALLED)

$(RUN_INSTALLED): requirements.txt requirements-signin.txt requirements-run.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --no-compile -r requirements-run.txt
	touch $@

run: $(RUN_INSTALLED)  ## the API on http://127.0.0.1:$${PORT:-8000}, on moto's DynamoDB; SEED=0: no sample posts (to restore into)
	$(PY) -m devtools.local_stack

mail: $(RUN_INSTALLED)  ## the newest mail `make run` sent (its local outbox; also http://127.0.0.1:$${PORT:-8000}/local/outbox) [LAST=5]
	$(PY) -m devtools.local_outbox

run-cached: $(INSTALLED) nginx  ## `make run` behind a real HTTP cache (nginx proxy_cache) on http://127.0.0.1:$${CACHE_PORT:-8080}
	$(PY) -m devtools.edge_cache

nginx:  ## Debian's nginx for run-cached, the edge-cache tests and bench (apt-get only when it is missing)
	bash devtools/install_nginx.sh

import: $(IMPORT_INSTALLED)  ## import an export (Blogger, Takeout, WordPress, Disqus, Isso, Remark42, Commento, Ghost) or a folder of Markdown posts: FILE=… [STAGE=…] [DRY_RUN=1] [PORT=…] [ARGS='--author old=new']
	@test -n "$(FILE)" || { echo "make import FILE=path/to/export.xml [STAGE=…] [DRY_RUN=1]"; exit 2; }
	$(PY) -m importer "$(FILE)" $(IMPORT_TARGET) $(if $(DRY_RUN),--dry-run,) $(ARGS)

export: $(IMPORT_INSTALLED)  ## the whole blog as JSON Lines, restored by make import: OUT=blog.jsonl [STAGE=…] [PORT=…] [ARGS=--with-secrets]; and/or DynamoDB's point-in-time export: S3=s3://bucket/prefix STAGE=… [TIME=…]
	@test -n "$(OUT)$(S3)" || { echo "make export OUT=blog.jsonl [STAGE=…] [ARGS=--with-secrets], or make export STAGE=prod S3=s3://bucket/prefix [TIME=2026-12-07T09:30:00Z]"; exit 2; }
	$(if $(OUT),$(PY) -m importer.export "$(OUT)" $(IMPORT_TARGET) $(ARGS))
	$(if $(S3),$(PY) -m deploy.backups export --stage $(STAGE) --s3 "$(S3)" --time "$(or $(TIME),latest)")

restore-pitr: $(INSTALLED)  ## STAGE's table as it was at TIME (ISO 8601 with Z, or latest), restored into a new table beside it; SWITCH=1: then the stage uses it (make use-table)
	@test -n "$(TIME)" || { echo "make restore-pitr STAGE=prod TIME=2026-12-07T09:30:00Z (or TIME=latest) [SWITCH=1]"; exit 2; }
	$(PY) -m deploy.backups restore --stage $(STAGE) --time "$(TIME)" $(if $(SWITCH),--switch,)
	$(if $(SWITCH),$(MAKE) --no-print-directory deploy STAGE=$(STAGE))

use-table: $(INSTALLED)  ## point STAGE at TABLE (a restored table, or back to the old one), its layout checked first, then make deploy
	@test -n "$(TABLE)" || { echo "usage: make use-table STAGE=prod TABLE=blog-prod-restored-20261207T093000Z"; exit 2; }
	$(PY) -m deploy.switch --stage $(STAGE) --table "$(TABLE)"
	$(MAKE) --no-print-directory deploy STAGE=$(STAGE)
migrate: $(INSTALLED)  ## bring an older table to today's layout: summary items, label memberships, account and commenter indexes [STAGE=…] [PORT=…]; safe to re-run
	$(PY) -m deploy.migrate $(IMPORT_TARGET)

# The suite runs on every core (TEST_WORKERS=0: in this process only), a module per worker at a time.
TEST_WORKERS ?= auto

test: $(INSTALLED) browser nginx  ## the whole suite: the JavaScript unit tests (node --test), then pytest, the browser tests included
	$(PY) -m devtools.javascript test
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadscope

js: $(INSTALLED)  ## web/widget.js, widget.css, admin/admin.js and demo/demo.js from web-src/ (esbuild, into .tools/); commit them
	$(PY) -m devtools.javascript build

fuzz: $(INSTALLED)  ## only the fuzzing of /openapi.json (part of `make test` too); longer: FUZZ_EXAMPLES=500 make fuzz
	$(PY) -m pytest -m fuzz

e2e: $(INSTALLED) browser  ## only the browser tests: the widget and the demo blog in Chromium
	$(PY) -m pytest tests/browser

browser: $(INSTALLED)  ## Debian's Chromium for the browser tests (apt-get only when it is missing)
	PY=$(PY) bash devtools/install_chromium.sh

screenshot: $(INSTALLED) browser  ## docs/demo-post.png, the README's picture of the demo blog
	$(PY) -m devtools.screenshot docs/demo-post.png
	$(PY) -m devtools.screenshot --console docs

lint: $(INSTALLED)  ## ruff, mypy, vulture (dead code), Spectral (the OpenAPI document) and ESLint (the JavaScript); npm tools into .tools/
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	$(VENV)/bin/vulture
	$(PY) -m devtools.spectral
	$(PY) -m devtools.javascript lint

bench: $(INSTALLED) nginx browser  ## budgets: DynamoDB round trips, items read, import time, make run's memory and exit time under load, a fresh clone's first answer, the edge cache; figures to docs/budgets/
	$(PY) -m bench.run --record docs/budgets/latest.json

bench-peers: $(INSTALLED) nginx browser isso  ## against Isso 0.14 in one interleaved run: Chromium at 0 and 50 ms, origin requests, widget weight, dollars; the table to README.md and docs/budgets/peers.md
	$(PY) -m bench.peers --record docs/budgets/peers.json --readme README.md

# Isso 0.14 from PyPI into its own virtualenv, .tools/isso (once; then it only checks), for bench-peers.
isso: $(INSTALLED)
	$(PY) -m devtools.isso

# MkDocs says nothing useful about its successor on every build.
DOCS_ENV := NO_MKDOCS_2_WARNING=1
DOCS_PORT ?= 8001

docs: $(INSTALLED)  ## the documentation site into site/, strictly: any warning (a broken link, a missing snippet) fails
	$(DOCS_ENV) $(PY) -m mkdocs build --strict

docs-serve: $(INSTALLED)  ## the documentation site on http://127.0.0.1:$${DOCS_PORT:-8001}, rebuilt as pages change
	$(DOCS_ENV) $(PY) -m mkdocs serve --strict --dev-addr 127.0.0.1:$(DOCS_PORT)

clean-data:  ## forget the local blog's data and keys
	rm -rf .local

clean: clean-data
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache site

conformance: $(INSTALLED)  ## the RealWorld (Conduit) Postman suite with newman against the local stack
	$(PY) -m devtools.conformance

.PHONY: conduit-frontend
conduit-frontend: $(INSTALLED)  ## build a public Conduit frontend from its checkout: NAME=vue3|angular CHECKOUT=path
	$(PY) -m devtools.conduit_frontends $(NAME) $(CHECKOUT)

# --- deploy (docs/deploy.md): STAGE is one of .chalice/config.json's stages -------------------
STAGE ?= dev

bootstrap: $(INSTALLED)  ## the stage's table stack and SSM secrets (idempotent), before `chalice deploy`
	$(PY) -m deploy.bootstrap --stage $(STAGE)

deploy: bootstrap  ## bootstrap, bytecode (deploy/bytecode.py), adopt what a failed deploy left (deploy/converge.py), `chalice deploy`, gateway responses
	$(PY) -m deploy.bytecode write
	$(PY) -m deploy.converge --stage $(STAGE)
	STREAM_ARN=$$($(PY) -m deploy.bootstrap --stage $(STAGE) --stream-arn) $(VENV)/bin/chalice deploy --stage $(STAGE)
	$(PY) -m deploy.gateway --stage $(STAGE)

admin: $(INSTALLED)  ## create or promote the admin USERNAME (EMAIL) on STAGE (local: `make run`'s); password from ADMIN_PASSWORD or a prompt
	@test -n "$(USERNAME)" -a -n "$(EMAIL)" || { echo "usage: make admin STAGE=dev USERNAME=ada EMAIL=ada@example.com"; exit 2; }
	$(PY) -m deploy.admin --stage $(STAGE) --username "$(USERNAME)" --email "$(EMAIL)"

teardown: $(INSTALLED)  ## `chalice delete`, then the table stack and secrets (asks first)
	@read -p "Delete stage $(STAGE): functions, API, table stack, secrets? Type the stage name: " answer; \
	  test "$$answer" = "$(STAGE)" || { echo "Nothing deleted."; exit 1; }
	$(PY) -m deploy.converge --stage $(STAGE)
	$(VENV)/bin/chalice delete --stage $(STAGE)
	$(PY) -m deploy.bootstrap --stage $(STAGE) --delete --yes

rotate-key: $(INSTALLED)  ## a new value for one of STAGE's secrets in SSM: KEY=HASH_KEY (the old one kept until FINISH=1), JWT_SECRET, …; then make deploy
	@test -n "$(KEY)" || { echo "usage: make rotate-key STAGE=dev KEY=HASH_KEY [FINISH=1]"; exit 2; }
	$(PY) -m deploy.rotate --stage $(STAGE) --key "$(KEY)" $(if $(FINISH),--finish,)

rekey: $(INSTALLED)  ## after rotate-key KEY=HASH_KEY: move every commenter's stored hashes to the new key, so FINISH=1 loses no one
	$(PY) -m deploy.rekey --stage $(STAGE)

package: $(INSTALLED)  ## dist/$(STAGE)/: one CloudFormation stack (app, table, throttling, alarms), cfn-lint checked
	$(PY) -m deploy.package --stage $(STAGE)

policy-check: $(INSTALLED)  ## the IAM policy against a suite run recorded with AWS_CALLS_RECORD=dist/aws-calls.json make test
	$(PY) -m deploy.policy check dist/aws-calls.json

deploy-check: $(INSTALLED)  ## `make deploy` and `make teardown` of a fresh stage against a local moto server, checked black-box
	$(PY) -m devtools.deploy_check

budgets: $(INSTALLED)  ## the deterministic budgets alone: package size, cold start, the widget's weight, write units
	$(PY) -m bench.run --only package,coldstart,widget,writeunits
