#!/usr/bin/env bash
# Builds gocsp's demo (Release) and runs it.
#
#   bash examples/run-demo.sh [demo arguments...]
#
# Installs missing Debian packages first (needs root or sudo). Uses the same build tree as
# tests/run-tests.sh: GOCSP_BUILD_DIR (default build, relative to the repository root).
set -euo pipefail
# shellcheck source=.ci/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../.ci/lib.sh"

gocsp_install_deps
gocsp_configure
cmake --build "$GOCSP_BUILD_DIR" --parallel "$(nproc)" --target demo
exec "$GOCSP_BUILD_DIR/examples/demo" "$@"
