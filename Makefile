# jeton: make (build), make run, make test, make bench, make lint, make install
VERSION  := 0.1.0
BUILD    ?= build
CC       ?= cc
PYTHON   := /usr/bin/python3
PREFIX   ?= /usr/local
DESTDIR  ?=

# CFLAGS, CPPFLAGS and LDFLAGS are the user's (make CFLAGS=-O0 works);
# what jeton needs to build at all is in JT_* and always comes first.
ifeq ($(SAN),)
CFLAGS   ?= -O2 -g
else
CFLAGS   ?= -O1 -g
endif
JT_CPPFLAGS := -D_GNU_SOURCE -Isrc -I/usr/include/postgresql -DJETON_VERSION=\"$(VERSION)\" -MMD -MP
JT_CFLAGS := -std=c17 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wvla -pthread
JT_LDFLAGS := -pthread
LDLIBS   := -lmicrohttpd -lgnutls -lcjson -lsqlite3 -lpq -lsodium -lcrypto -lqrencode -lz -pthread

# SAN=1: AddressSanitizer + UBSan; SAN=thread: ThreadSanitizer.
ifeq ($(SAN),1)
JT_CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
JT_LDFLAGS += -fsanitize=address,undefined
endif
ifeq ($(SAN),thread)
JT_CFLAGS += -fsanitize=thread -fno-omit-frame-pointer
JT_LDFLAGS += -fsanitize=thread
endif
COMPILE  = $(CC) $(JT_CPPFLAGS) $(CPPFLAGS) $(JT_CFLAGS) $(CFLAGS)
LINK     = $(CC) $(JT_CFLAGS) $(CFLAGS) $(JT_LDFLAGS) $(LDFLAGS)

SRC      := $(sort $(shell find src -name '*.c'))
LIB_OBJ  := $(patsubst src/%.c,$(BUILD)/obj/%.o,$(filter-out src/main.c,$(SRC))) \
            $(BUILD)/obj/gen/sqlite_schema.o $(BUILD)/obj/gen/assets.o \
            $(BUILD)/obj/gen/web_templates.o $(BUILD)/obj/gen/postgres_schema.o \
            $(BUILD)/obj/gen/openapi.o
MIGRATIONS_SQLITE := $(sort $(wildcard src/store/schema/sqlite/*.sql))
MIGRATIONS_POSTGRES := $(sort $(wildcard src/store/schema/postgres/*.sql))
ASSETS   := $(sort $(wildcard src/console/assets/*))
TEMPLATES := $(sort $(wildcard src/web/templates/*.html))
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))

.PHONY: all deps run test check unit e2e e2e-pg openapi browser asan tsan soak bench lint clean fuzz print-ldlibs gen-sources \
        screenshots install deb package-test
all: $(BUILD)/jeton $(BUILD)/jeton.1

$(BUILD)/jeton: $(BUILD)/obj/main.o $(LIB_OBJ)
	@echo "  LD  $@"
	@$(LINK) -o $@ $^ $(LDLIBS)

# The man page comes from the same table as every command's --help.
$(BUILD)/jeton.1: $(BUILD)/jeton
	@echo "  MAN $@"
	@$(BUILD)/jeton help --man > $@

$(BUILD)/obj/%.o: src/%.c
	@mkdir -p $(dir $@)
	@echo "  CC  $<"
	@$(COMPILE) -c -o $@ $<

$(BUILD)/gen/sqlite_schema.c: $(MIGRATIONS_SQLITE) tools/embed.py
	@mkdir -p $(dir $@)
	$(PYTHON) tools/embed.py $@ store_sqlite $(MIGRATIONS_SQLITE)

$(BUILD)/gen/postgres_schema.c: $(MIGRATIONS_POSTGRES) tools/embed.py
	@mkdir -p $(dir $@)
	$(PYTHON) tools/embed.py $@ store_postgres $(MIGRATIONS_POSTGRES)

$(BUILD)/gen/assets.c: $(ASSETS) tools/embed.py
	@mkdir -p $(dir $@)
	$(PYTHON) tools/embed.py $@ console_assets $(ASSETS)

$(BUILD)/gen/web_templates.c: $(TEMPLATES) tools/embed.py
	@mkdir -p $(dir $@)
	$(PYTHON) tools/embed.py $@ web_templates $(TEMPLATES)

# The API's description, served at /openapi.json.
$(BUILD)/gen/openapi.c: docs/openapi.json tools/embed.py
	@mkdir -p $(dir $@)
	$(PYTHON) tools/embed.py $@ openapi docs/openapi.json

$(BUILD)/obj/gen/%.o: $(BUILD)/gen/%.c
	@mkdir -p $(dir $@)
	@$(COMPILE) -c -o $@ $<

$(BUILD)/tests/%: tests/unit/%.c $(LIB_OBJ) tests/unit/check.h
	@mkdir -p $(dir $@)
	@echo "  CC  $<"
	@$(COMPILE) -Itests/unit $(JT_LDFLAGS) $(LDFLAGS) -o $@ $< $(LIB_OBJ) $(LDLIBS)

deps:
	@scripts/deps.sh build

run: deps $(BUILD)/jeton
	./$(BUILD)/jeton serve

unit: $(UNIT_BIN)
	@for t in $(UNIT_BIN); do $$t || exit 1; done

# The end-to-end suite runs E2E_JOBS test files at a time (pytest-xdist; a
# file stays in one worker, with the servers its fixtures start), then the
# tests marked alone, one at a time. Every answer the suite receives is
# recorded in $$JETON_OPENAPI_RECORD and then checked against the API's
# description (tests/openapi/check_answers.py, docs/api.md#api-description-openapi).
E2E_JOBS ?= 2
PYTEST   := $(PYTHON) -m pytest -q -p no:cacheprovider
E2E_RUN  := rm -rf "$$JETON_OPENAPI_RECORD" && \
            $(PYTEST) -n $(E2E_JOBS) --dist loadfile -m 'not alone' tests/e2e && \
            $(PYTEST) -m alone tests/e2e && \
            $(PYTHON) tests/openapi/check_answers.py docs/openapi.json "$$JETON_OPENAPI_RECORD"
e2e: $(BUILD)/jeton
	export JETON_BIN=$(abspath $(BUILD)/jeton) \
		JETON_OPENAPI_RECORD=$(abspath $(BUILD))/openapi-answers && $(E2E_RUN)

# The end-to-end suite again, every server on a fresh database of a
# throw-away PostgreSQL 15 cluster; and meanwhile the store's contract suite
# on PostgreSQL (make unit runs it on SQLite), on a cluster of its own as it
# stops and restarts it (its output is shown whole if it fails). The ports are
# below Linux's ephemeral range (32768-60999), where the test servers' free
# ports are.
PG_DIR ?= /tmp/jeton-pg-$(notdir $(BUILD))
PG_PORT ?= $(if $(filter $(ASAN_BUILD),$(BUILD)),25434,25433)
PG_UNIT_PORT ?= $(shell echo $$(($(PG_PORT) + 100)))
e2e-pg: $(BUILD)/jeton $(BUILD)/tests/test_store
	@url=$$(tests/pg/cluster.sh start $(PG_DIR) $(PG_PORT)) && \
	unit=$$(tests/pg/cluster.sh start $(PG_DIR)/unit $(PG_UNIT_PORT)) && \
	psql "$$unit" -qc 'CREATE DATABASE jeton_unit' && \
	{ JETON_TEST_PG=$${unit%/postgres}/jeton_unit JETON_TEST_PG_DIR=$(PG_DIR)/unit \
		$(BUILD)/tests/test_store >$(PG_DIR)/unit.log 2>&1 & upid=$$!; } && \
	export JETON_TEST_PG=$$url JETON_TEST_PG_DIR=$(PG_DIR) JETON_BIN=$(abspath $(BUILD)/jeton) \
		JETON_OPENAPI_RECORD=$(PG_DIR)/openapi-answers && \
		$(E2E_RUN); \
	rc=$$?; urc=1; [ -z "$${upid:-}" ] || { wait $$upid; urc=$$?; }; \
	if [ $$urc = 0 ]; then tail -n 1 $(PG_DIR)/unit.log; else cat $(PG_DIR)/unit.log; fi; \
	tests/pg/cluster.sh stop $(PG_DIR)/unit; tests/pg/cluster.sh stop $(PG_DIR); rm -rf $(PG_DIR); \
	[ $$rc = 0 ] && [ $$urc = 0 ]

# The API's description is valid OpenAPI 3.1 (a validator from npm) and
# lists every route; the check of the suite's answers against it finds
# each kind of drift (its own tests).
openapi:
	tests/openapi/run.sh
	$(PYTEST) tests/openapi

browser: $(BUILD)/jeton
	JETON_BIN=$(abspath $(BUILD)/jeton) tests/browser/run.sh

# The unit tests, then both end-to-end suites and the browser tests at the
# same time (each waits for long stretches: real deadlines, PostgreSQL
# restarts, the browser); each one's output is printed in one piece.
check:
	$(MAKE) unit openapi
	$(MAKE) -j3 --output-sync=target e2e e2e-pg browser

# The whole suite, then again under AddressSanitizer + UBSan, then the
# unit tests and the concurrent end-to-end tests under ThreadSanitizer.
ASAN_BUILD ?= build-asan
TSAN_BUILD ?= build-tsan
test:
	@scripts/deps.sh test
	$(MAKE) lint
	$(MAKE) check
	$(MAKE) package-test
	$(MAKE) BUILD=$(ASAN_BUILD) SAN=1 check
	$(MAKE) tsan

asan:
	$(MAKE) BUILD=$(ASAN_BUILD) SAN=1 check

# The load tests of make test for longer: 60 s of sustained writes each,
# and 200 stops under write load.
SOAK_E2E ?= tests/e2e/test_wal_bound.py tests/e2e/test_shutdown_under_load.py
soak: $(BUILD)/jeton
	JETON_SOAK_SECONDS=60 JETON_SHUTDOWN_RUNS=200 JETON_BIN=$(abspath $(BUILD)/jeton) \
		$(PYTHON) -m pytest -q -p no:cacheprovider -s $(SOAK_E2E)

# The tests where threads meet: the HTTP pool, the SQLite writer and
# checkpointer, key rotation, shutdown.
TSAN_E2E ?= tests/e2e/test_concurrency.py tests/e2e/test_shutdown.py \
            tests/e2e/test_shutdown_under_load.py \
            tests/e2e/test_jwt_rotation.py tests/e2e/test_oauth_refresh.py \
            tests/e2e/test_wal_bound.py tests/e2e/test_disk_full.py
tsan:
	$(MAKE) BUILD=$(TSAN_BUILD) SAN=thread unit $(TSAN_BUILD)/jeton
	TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" JETON_BIN=$(abspath $(TSAN_BUILD)/jeton) \
		$(PYTEST) -n $(E2E_JOBS) --dist loadfile $(TSAN_E2E)

# Refreshes the README's screenshots (make test writes its own under build/).
screenshots: $(BUILD)/jeton
	JETON_SCREENSHOTS=$(abspath docs/screenshots) JETON_BIN=$(abspath $(BUILD)/jeton) \
		tests/browser/run.sh

install: $(BUILD)/jeton $(BUILD)/jeton.1
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 0755 $(BUILD)/jeton $(DESTDIR)$(PREFIX)/bin/jeton
	install -m 0644 $(BUILD)/jeton.1 $(DESTDIR)$(PREFIX)/share/man/man1/jeton.1

# The Debian package (debian/: debhelper, the systemd unit, the
# configuration file), built by dpkg-buildpackage from a copy of the
# sources in $(BUILD)/deb, where the .deb lands.
DEB_DIR  := $(BUILD)/deb
DEB_FILE := $(DEB_DIR)/jeton_$(VERSION)_$(shell dpkg --print-architecture 2>/dev/null).deb
deb:
	@scripts/deps.sh deb
	@test "$$(dpkg-parsechangelog -l debian/changelog -S Version)" = "$(VERSION)" || \
		{ echo "deb: debian/changelog needs an entry for $(VERSION)"; exit 1; }
	rm -rf $(DEB_DIR) && mkdir -p $(DEB_DIR)/jeton
	tar -cf - --exclude=./.git --exclude='./build*' --exclude='./$(BUILD)' --exclude=./tests . | \
		tar -xf - -C $(DEB_DIR)/jeton
	cd $(DEB_DIR)/jeton && dpkg-buildpackage -b -us -uc -jauto
	@echo "deb: $(DEB_FILE)"

# Installs that package on this machine (root; CI's Debian 12), starts it
# as its systemd unit does, checks it answers, and purges it.
package-test: deb
	JETON_DEB=$(abspath $(DEB_FILE)) $(PYTEST) tests/package

bench: deps
	@scripts/deps.sh bench
	$(MAKE) $(BUILD)/jeton
	bench/run.sh $(abspath $(BUILD)/jeton)

# libFuzzer drivers of tests/fuzz (clang, ASan + UBSan), FUZZ_SECONDS each.
FUZZ_SECONDS ?= 20
fuzz:
	FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_LDLIBS="$(LDLIBS)" tests/fuzz/run.sh

# The libraries jeton links with, and the generated sources (made in
# $(BUILD)/gen), for scripts that build jeton's objects their own way.
print-ldlibs:
	@echo $(LDLIBS)
GEN_SRC := $(patsubst $(BUILD)/obj/gen/%.o,$(BUILD)/gen/%.c,$(filter $(BUILD)/obj/gen/%,$(LIB_OBJ)))
gen-sources: $(GEN_SRC)

# Files that follow .clang-format: a file joins the list when it is next
# changed (a whole-tree reformat would bury the history of every line).
FORMAT_CHECKED := src/api/api.h src/api/apps.c src/api/audit.c src/api/me.c src/util/file.c \
                  src/api/spaces.c src/cli/serve_routes.c \
                  src/api/tokens.c src/api/users.c src/api/verify.c src/audit/audit.c \
                  src/audit/audit.h src/auth/authority.c src/auth/header.c src/auth/pat.c \
                  src/auth/password.c src/auth/rights.c src/cli/app.c src/cli/purge.c \
                  src/cli/cli.h src/cli/common.c src/cli/config.c src/console/account.c src/console/apps.c \
                  src/console/audit.c src/console/console.c src/console/console.h \
                  src/console/login.c src/console/twofactor.c src/auth/totp.c src/store/totp.c \
                  src/console/home.c src/console/spaces.c src/console/tokens.c \
                  src/console/users.c src/console/static.c src/crypto/crypto.c src/crypto/crypto.h \
                  src/crypto/crypto_int.h src/crypto/hash.c \
                  src/crypto/secret_json.c src/render/render.c src/render/render.h \
                  src/server/bearer.c src/server/jeton.c src/server/reset.c src/server/retention.c src/server/server.h \
                  src/http/router.c src/http/tls.c src/oauth/authorize.c src/oauth/client.c \
                  src/oauth/inspect.c src/oauth/issue.c src/oauth/metadata.c src/oauth/oauth.h \
                  src/oauth/pkce.c src/oauth/token.c src/app/app.h src/app/grant_type.c \
                  src/app/redirect_uri.c src/app/register.c src/web/html.c src/web/page.c \
                  src/web/session.c src/web/template.c src/web/web.h \
                  $(filter-out src/store/store.h,$(wildcard src/store/*.[ch])) \
                  src/util/log.c src/util/log.h src/util/log_limit.c \
                  src/util/log_limit.h src/util/mem.c src/util/status.c src/util/status.h \
                  tests/fuzz/fuzz_auth_header.c tests/fuzz/fuzz_time.c \
                  tests/unit/test_auth_header.c tests/unit/test_form.c \
                  tests/unit/test_authority.c tests/unit/test_log_limit.c tests/unit/test_mem.c \
                  tests/unit/test_secret_json.c tests/unit/test_status_http.c tests/unit/test_store.c \
                  tests/unit/tmpdir.h

# Functions that invite overflows or silent parse errors are banned; C
# sources follow .clang-format (checked where clang-format is installed);
# no file includes a module above its own (tools/layers.sh); no HTTP error
# status is written out above src/http (util/, below HTTP, has numbers of
# its own, such as the latency buckets).
lint:
	@if command -v clang-format >/dev/null 2>&1; then \
		clang-format --dry-run --Werror $(FORMAT_CHECKED) || \
		{ echo "lint: run clang-format -i on the files above"; exit 1; }; fi
	@! grep -nE '\b(atoi|atol|sprintf|vsprintf|strcat|strcpy|sscanf|gets)\s*\(' $(SRC) || \
		{ echo "lint: banned function (use snprintf, text_parse_i64, memcpy with a length)"; exit 1; }
	@! grep -nHE '[(,][[:space:]]*[45][0-9]{2}[[:space:]]*[,)]' $(filter-out src/http/% src/util/%,$(SRC)) | \
		grep -vE '^[^:]+:[0-9]+:[[:space:]]*(/\*|\*)' || \
		{ echo "lint: an HTTP error status written out of src/http (pass a jt_status:" \
		       "http_status_of in src/http/reply.c is the one map)"; exit 1; }
	@tools/layers.sh || { echo "lint: an include against the layers of src/ (tools/layers.sh)"; exit 1; }

clean:
	rm -rf build build-asan build-tsan

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
