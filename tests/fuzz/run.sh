#!/bin/sh
# SPDX-License-Identifier: MIT
# Builds every libFuzzer driver in tests/fuzz against jeton's sources with
# clang (-fsanitize=fuzzer,address,undefined) and runs each for a bounded
# time, starting from its seeds in tests/fuzz/corpus/<driver>/.
#
#   tests/fuzz/run.sh                  every driver, FUZZ_SECONDS (20) each
#   tests/fuzz/run.sh fuzz_jwt         only the drivers named
#   FUZZ_SECONDS=300 tests/fuzz/run.sh
#
# Everything goes under build/fuzz (FUZZ_BUILD): objects, binaries, the
# corpus grown by each run (build/fuzz/corpus/<driver>; the seeds are never
# written to), logs, and crash inputs (build/fuzz/artifacts/). Exits 1 if a
# driver crashed; replay a crash with: build/fuzz/bin/<driver> <input>.
set -eu

cd "$(dirname "$0")/../.."
CC=${FUZZ_CC:-clang}
OUT=${FUZZ_BUILD:-build/fuzz}
SECONDS_EACH=${FUZZ_SECONDS:-20}
JOBS=$(nproc 2>/dev/null || echo 2)

if ! command -v "$CC" >/dev/null 2>&1; then
	echo "fuzz: $CC not found (apt-get install clang libclang-rt-14-dev)" >&2
	exit 2
fi

SAN="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
CFLAGS="-std=c17 -O1 -g -D_GNU_SOURCE -Isrc -I/usr/include/postgresql -DJETON_VERSION=\"fuzz\" -pthread $SAN"
# The libraries as the Makefile links them (make fuzz passes them).
LDLIBS=${FUZZ_LDLIBS:-$(make -s --no-print-directory print-ldlibs)}

mkdir -p "$OUT/obj" "$OUT/gen" "$OUT/bin" "$OUT/artifacts" "$OUT/corpus" "$OUT/logs"

# The embedded files, made by the Makefile's own rules.
make -s --no-print-directory BUILD="$OUT" gen-sources

# Every source but main.c, instrumented for coverage (fuzzer-no-link).
echo "fuzz: compiling jeton with $CC"
find src -name '*.c' ! -path src/main.c | sort >"$OUT/sources"
ls "$OUT"/gen/*.c >>"$OUT/sources"
rm -f "$OUT"/obj/*.o
# shellcheck disable=SC2016
xargs -P "$JOBS" -I{} sh -c '
	o="$0/obj/$(echo "{}" | tr / _ | sed "s/\.c$/.o/")"
	$1 $2 -fsanitize=fuzzer-no-link -c -o "$o" "{}" || exit 255
' "$OUT" "$CC" "$CFLAGS" <"$OUT/sources"

if [ $# -gt 0 ]; then
	DRIVERS="$*"
else
	DRIVERS=$(cd tests/fuzz && ls fuzz_*.c | sed 's/\.c$//')
fi

failed=""
for d in $DRIVERS; do
	echo "fuzz: $d (${SECONDS_EACH}s)"
	# shellcheck disable=SC2086
	$CC $CFLAGS -fsanitize=fuzzer -Itests/fuzz -o "$OUT/bin/$d" "tests/fuzz/$d.c" \
		"$OUT"/obj/*.o $LDLIBS
	mkdir -p "$OUT/corpus/$d"
	seeds="tests/fuzz/corpus/$d"
	[ -d "$seeds" ] || seeds=""
	# shellcheck disable=SC2086
	if "$OUT/bin/$d" -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 \
		-max_len=8192 -print_final_stats=1 -artifact_prefix="$OUT/artifacts/$d-" \
		"$OUT/corpus/$d" $seeds >"$OUT/logs/$d.log" 2>&1; then
		grep -E '^stat::number_of_executed_units|^#[0-9]+.*DONE' "$OUT/logs/$d.log" | tail -2 || true
	else
		echo "fuzz: $d FAILED; log $OUT/logs/$d.log" >&2
		grep -E 'ERROR|runtime error|SUMMARY|Test unit written|^==' "$OUT/logs/$d.log" | head -20 >&2 || true
		failed="$failed $d"
	fi
done

if [ -n "$failed" ]; then
	echo "fuzz: crashed:$failed (inputs in $OUT/artifacts/)" >&2
	exit 1
fi
echo "fuzz: no crash in ${SECONDS_EACH}s each. For longer runs: make fuzz FUZZ_SECONDS=600,"
echo "      or one driver: tests/fuzz/run.sh fuzz_json_input (the corpus grows in $OUT/corpus)"
