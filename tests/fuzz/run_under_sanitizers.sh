#!/usr/bin/env bash
# Configures the `sanitize` preset (build-sanitize/), builds only the fuzz
# tests there with ASan and UBSan, and runs them: any sanitizer report,
# crash or unclear exception fails. Incremental (and ccache'd) after the
# first run. Extra arguments go to the test binary (--gtest_filter=...).
set -euo pipefail
source=$1
shift
cd "$source"
cmake --preset sanitize >/dev/null
cmake --build --preset sanitize
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:strict_string_checks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
exec build-sanitize/dictlab_fuzz_tests "$@"
