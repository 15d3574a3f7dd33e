#!/usr/bin/env bash
# Builds gocsp (Release) and runs its whole test suite with CTest.
#
#   bash tests/run-tests.sh [ctest arguments...]     e.g.  bash tests/run-tests.sh -R chan
#
# Installs missing Debian packages first (needs root or sudo). Environment:
#   GOCSP_BUILD_DIR    build tree (default: build; relative paths are from the repository root)
#   GOCSP_CMAKE_ARGS   extra CMake configure arguments, e.g. "-DGOCSP_SANITIZE=thread"
#   GOCSP_TEST_JOBS    tests run in parallel (default 2)
# Exits non-zero if anything fails.
set -euo pipefail
# shellcheck source=.ci/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../.ci/lib.sh"

gocsp_install_deps
gocsp_configure
cmake --build "$GOCSP_BUILD_DIR" --parallel "$(nproc)"

log="$GOCSP_BUILD_DIR/ctest.log"
status=0
ctest --test-dir "$GOCSP_BUILD_DIR" --output-on-failure --no-tests=error -j "${GOCSP_TEST_JOBS:-2}" "$@" 2>&1 |
    tee "$log" || status=$?
summary=$(grep -E 'tests passed, [0-9]+ tests? failed out of' "$log" | tail -n 1 || true)
gocsp_log "${summary:-no test summary (see $log)}"
exit "$status"
