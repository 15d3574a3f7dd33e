#!/usr/bin/env bash
# Builds gocsp and runs its whole test suite with CTest, in three configurations:
#
#   release   Release build in build/                    every test
#   asan      AddressSanitizer + UndefinedBehaviorSanitizer in build-asan/
#   tsan      ThreadSanitizer in build-tsan/
#
#   bash tests/run-tests.sh [ctest arguments...]     e.g.  bash tests/run-tests.sh -R chan
#
# Each configuration configures and builds everything its tests need (the sanitizer ones skip
# the benchmarks and the documentation), then runs ctest with the given arguments. The sanitizer
# configurations run each multi-worker test with 2 workers only (tests/CMakeLists.txt) and
# leave out the labels `package` and `compile_fail`: those tests only run the
# compiler, and instrumenting the compiler's input shows nothing new. A sanitizer report fails
# the test that produced it (tests/CMakeLists.txt sets the sanitizers' options).
#
# Installs missing Debian packages first (needs root or sudo). Environment:
#   GOCSP_TEST_CONFIGS  the configurations to run, in order (default "release asan tsan")
#   GOCSP_BUILD_DIR     the release build tree (default: build); the sanitizer trees are
#                       build-asan and build-tsan (relative paths are from the repository root)
#   GOCSP_CMAKE_ARGS    extra CMake configure arguments for every configuration, e.g.
#                       "-DCMAKE_CXX_COMPILER=clang++"
#   GOCSP_TEST_JOBS     tests run in parallel (default: twice the number of cores; most tests spend
#                       much of their time waiting on child programs, sockets and sleeps: on 2 cores,
#                       4 at once ran the TSan configuration in 405 s instead of 692-863 s at 2, and
#                       kept the cores busy 1.7 of 2 instead of under 1)
# Prints ctest's summary for each configuration, one line per configuration at the end, and a
# total line "tests: N passed, N failed". Exits non-zero if any configuration fails to build or
# has a failing test.
set -euo pipefail
# shellcheck source=.ci/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../.ci/lib.sh"

read -r -a configs <<<"${GOCSP_TEST_CONFIGS:-release asan tsan}"
gocsp_install_deps

declare -a lines=()
total_passed=0
total_failed=0
overall=0
for config in "${configs[@]}"; do
    # Per configuration: build tree, configure arguments, ctest arguments.
    case "$config" in
        release)
            dir=$GOCSP_BUILD_DIR
            cmake_args=(-DGOCSP_SANITIZE=)
            ctest_args=()
            ;;
        asan)
            dir=build-asan
            cmake_args=(-DGOCSP_SANITIZE=address,undefined -DGOCSP_BUILD_BENCHMARKS=OFF -DGOCSP_BUILD_DOCS=OFF)
            ctest_args=(-LE '^(package|compile_fail)$')
            ;;
        tsan)
            dir=build-tsan
            cmake_args=(-DGOCSP_SANITIZE=thread -DGOCSP_BUILD_BENCHMARKS=OFF -DGOCSP_BUILD_DOCS=OFF)
            ctest_args=(-LE '^(package|compile_fail)$')
            ;;
        *)
            gocsp_log "unknown configuration '$config' in GOCSP_TEST_CONFIGS (release, asan, tsan)"
            exit 2
            ;;
    esac
    gocsp_log "== $config: building in $dir"
    start=$SECONDS
    status=0
    { gocsp_configure "$dir" "${cmake_args[@]}" && cmake --build "$dir" --parallel "$(nproc)"; } || status=$?
    built=$((SECONDS - start))
    summary="build failed"
    if [ "$status" -eq 0 ]; then
        gocsp_log "== $config: testing"
        log="$dir/ctest.log"
        ctest --test-dir "$dir" --output-on-failure --no-tests=error -j "${GOCSP_TEST_JOBS:-$((2 * $(nproc)))}" \
            "${ctest_args[@]}" "$@" 2>&1 | tee "$log" || status=$?
        summary=$(grep -E 'tests passed, [0-9]+ tests? failed out of' "$log" | tail -n 1 || true)
        if [[ $summary =~ ([0-9]+)\ tests?\ failed\ out\ of\ ([0-9]+) ]]; then
            total_failed=$((total_failed + BASH_REMATCH[1]))
            total_passed=$((total_passed + BASH_REMATCH[2] - BASH_REMATCH[1]))
        else
            summary="no test summary (see $log)"
            [ "$status" -ne 0 ] || status=1
        fi
    fi
    [ "$status" -eq 0 ] || overall=1
    verdict=$([ "$status" -eq 0 ] && echo ok || echo FAILED)
    lines+=("$(printf '%-7s %-6s build %4ds, tests %4ds: %s' "$config" "$verdict" "$built" \
        $((SECONDS - start - built)) "$summary")")
done

echo
for line in "${lines[@]}"; do gocsp_log "$line"; done
echo "tests: $total_passed passed, $total_failed failed"
exit "$overall"
