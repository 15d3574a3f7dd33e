# Shared by tests/run-tests.sh and examples/run-demo.sh (source it, do not run it).
#
#   gocsp_install_deps           installs the Debian packages the build needs, if missing
#   gocsp_configure [DIR [ARG...]]
#                                configures a Release build tree: DIR (default $GOCSP_BUILD_DIR)
#                                with the CMake arguments ARG... and then $GOCSP_CMAKE_ARGS;
#                                tests/run-tests.sh uses it for build/, build-asan/, build-tsan/
#
# Environment:
#   GOCSP_BUILD_DIR    the Release build tree (default: build; relative paths are from the
#                      repository root)
#   GOCSP_CMAKE_ARGS   extra arguments for every CMake configure step, e.g.
#                      GOCSP_CMAKE_ARGS="-DCMAKE_CXX_COMPILER=clang++"

# Scripts sourcing this file work from the repository root, wherever they were started from.
GOCSP_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$GOCSP_ROOT" || exit 1
GOCSP_BUILD_DIR=${GOCSP_BUILD_DIR:-build}
# The library needs Boost.Context; the tests Catch2 (and doxygen, whose reference must build
# without warnings); the examples libcurl, gumbo (HTML), libjpeg, libpng and giflib (found with
# pkg-config where they ship no CMake files).
GOCSP_DEPS=(g++ cmake ninja-build pkg-config libboost-context-dev catch2 doxygen
    libcurl4-openssl-dev libgumbo-dev libjpeg-dev libpng-dev libgif-dev)

gocsp_log() { printf '%s: %s\n' "$(basename "$0")" "$*" >&2; }

gocsp_install_deps() {
    local missing=() pkg
    for pkg in "${GOCSP_DEPS[@]}"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'ok installed' || missing+=("$pkg")
    done
    if [ ${#missing[@]} -eq 0 ]; then return 0; fi

    local sudo=()
    if [ "$(id -u)" -ne 0 ]; then
        if command -v sudo >/dev/null 2>&1; then
            sudo=(sudo)
        else
            gocsp_log "missing packages: ${missing[*]}; run as root or install sudo"
            return 1
        fi
    fi
    gocsp_log "installing ${missing[*]}"
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -q --no-install-recommends "${missing[@]}"
}

gocsp_configure() {
    local dir=${1:-$GOCSP_BUILD_DIR}
    local args=(-S . -B "$dir" -DCMAKE_BUILD_TYPE=Release "${@:2}")
    # A generator can only be chosen for a new build tree.
    if [ ! -f "$dir/CMakeCache.txt" ] && command -v ninja >/dev/null 2>&1; then
        args+=(-G Ninja)
    fi
    # shellcheck disable=SC2206 # word splitting of the extra arguments is intended
    args+=(${GOCSP_CMAKE_ARGS:-})
    cmake "${args[@]}"
}
