# jeton: make (build), make run, make test, make bench, make lint
VERSION  := 0.1.0
BUILD    ?= build
CC       ?= cc
PYTHON   := /usr/bin/python3

CFLAGS   ?= -O2 -g
CFLAGS   += -std=c17 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wvla \
            -D_GNU_SOURCE -Isrc -I/usr/include/postgresql -DJETON_VERSION=\"$(VERSION)\" -pthread -MMD -MP
LDLIBS   := -lmicrohttpd -lcjson -lsqlite3 -lpq -lsodium -lcrypto -lz -pthread

ifeq ($(SAN),1)
CFLAGS   += -O1 -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS  += -fsanitize=address,undefined
endif

SRC      := $(sort $(shell find src -name '*.c'))
LIB_OBJ  := $(patsubst src/%.c,$(BUILD)/obj/%.o,$(filter-out src/main.c,$(SRC))) \
            $(BUILD)/obj/gen/sqlite_schema.o $(BUILD)/obj/gen/assets.o \
            $(BUILD)/obj/gen/templates.o $(BUILD)/obj/gen/postgres_schema.o
MIGRATIONS_SQLITE := $(sort $(wildcard src/store/schema/sqlite/*.sql))
MIGRATIONS_POSTGRES := $(sort $(wildcard src/store/schema/postgres/*.sql))
ASSETS   := $(sort $(wildcard src/console/assets/*))
TEMPLATES := $(sort $(wildcard src/console/templates/*.html))
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))

.PHONY: all deps run test check unit e2e e2e-pg browser asan bench lint clean fuzz
all: $(BUILD)/jeton

$(BUILD)/jeton: $(BUILD)/obj/main.o $(LIB_OBJ)
	@echo "  LD  $@"
	@$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/obj/%.o: src/%.c
	@mkdir -p $(dir $@)
	@echo "  CC  $<"
	@$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/gen/sqlite_schema.c: $(MIGRATIONS_SQLITE) tools/embed.py
	@mkdir -p $(dir $@)
	$(PYTHON) tools/embed.py $@ store_sqlite $(MIGRATIONS_SQLITE)

$(BUILD)/gen/postgres_schema.c: $(MIGRATIONS_POSTGRES) tools/embed.py
	@mkdir -p $(dir $@)
	$(PYTHON) tools/embed.py $@ store_postgres $(MIGRATIONS_POSTGRES)

$(BUILD)/gen/assets.c: $(ASSETS) tools/embed.py
	@mkdir -p $(dir $@)
	$(PYTHON) tools/embed.py $@ console_assets $(ASSETS)

$(BUILD)/gen/templates.c: $(TEMPLATES) tools/embed.py
	@mkdir -p $(dir $@)
	$(PYTHON) tools/embed.py $@ console_templates $(TEMPLATES)

$(BUILD)/obj/gen/%.o: $(BUILD)/gen/%.c
	@mkdir -p $(dir $@)
	@$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/tests/%: tests/unit/%.c $(LIB_OBJ) tests/unit/check.h
	@mkdir -p $(dir $@)
	@echo "  CC  $<"
	@$(CC) $(CFLAGS) -Itests/unit $(LDFLAGS) -o $@ $< $(LIB_OBJ) $(LDLIBS)

deps:
	@scripts/deps.sh build

run: deps $(BUILD)/jeton
	./$(BUILD)/jeton serve

unit: $(UNIT_BIN)
	@for t in $(UNIT_BIN); do $$t || exit 1; done

e2e: $(BUILD)/jeton
	JETON_BIN=$(abspath $(BUILD)/jeton) $(PYTHON) -m pytest -q -p no:cacheprovider tests/e2e

# The end-to-end suite again, every server on a fresh database of a
# throw-away PostgreSQL 15 cluster; and the PostgreSQL store's unit test.
PG_DIR ?= /tmp/jeton-pg-$(notdir $(BUILD))
PG_PORT ?= $(if $(filter build-asan,$(BUILD)),55434,55433)
e2e-pg: $(BUILD)/jeton $(BUILD)/tests/test_store_postgres
	@url=$$(tests/pg/cluster.sh start $(PG_DIR) $(PG_PORT)) && \
	psql "$$url" -qc 'DROP DATABASE IF EXISTS jeton_unit' -c 'CREATE DATABASE jeton_unit' && \
	JETON_TEST_PG=$${url%/postgres}/jeton_unit JETON_TEST_PG_DIR=$(PG_DIR) \
		$(BUILD)/tests/test_store_postgres && \
	JETON_TEST_PG=$$url JETON_TEST_PG_DIR=$(PG_DIR) JETON_BIN=$(abspath $(BUILD)/jeton) \
		$(PYTHON) -m pytest -q -p no:cacheprovider tests/e2e; \
	rc=$$?; tests/pg/cluster.sh stop $(PG_DIR); rm -rf $(PG_DIR); exit $$rc

browser: $(BUILD)/jeton
	JETON_BIN=$(abspath $(BUILD)/jeton) tests/browser/run.sh

check: unit e2e e2e-pg browser

# The whole suite, then again under AddressSanitizer + UBSan.
test: lint
	@scripts/deps.sh test
	$(MAKE) check
	$(MAKE) BUILD=build-asan SAN=1 check

asan:
	$(MAKE) BUILD=build-asan SAN=1 check

bench: deps
	@scripts/deps.sh bench
	$(MAKE) $(BUILD)/jeton
	bench/run.sh $(abspath $(BUILD)/jeton)

# libFuzzer drivers of tests/fuzz (clang, ASan + UBSan), FUZZ_SECONDS each.
FUZZ_SECONDS ?= 20
fuzz:
	FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fuzz/run.sh

# Functions that invite overflows or silent parse errors are banned.
lint:
	@! grep -nE '\b(atoi|atol|sprintf|vsprintf|strcat|strcpy|sscanf|gets)\s*\(' $(SRC) || \
		{ echo "lint: banned function (use snprintf, text_parse_i64, memcpy with a length)"; exit 1; }

clean:
	rm -rf build build-asan

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
