#!/usr/bin/env bash
# Times examples/chat against its Go twin (benchmarks/peers/go-chat/chat) delivering a burst, in
# alternating runs: chatload (benchmarks/peers/go-chat/chatload) starts the server, connects 500
# clients, has one of them say 2,000 lines of 200 bytes in one write, and prints the time until
# the last delivery, the deliveries made (a client whose 1,024-message queue is full misses
# messages, exercise 8.15), and the server's CPU time over the burst.
#
#   bash benchmarks/chat.sh [ROUNDS]       (default 5; GOCSP_BUILD_DIR, default build)
#
# Extra arguments for both servers go in CHAT_ARGS (e.g. CHAT_ARGS='-buffer 4096'), for chatload
# in CHATLOAD_ARGS (e.g. CHATLOAD_ARGS='-clients 100'). Needs golang-go.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${GOCSP_BUILD_DIR:-$root/build}
rounds=${1:-5}
bin=$build/benchmarks/go-chat
mkdir -p "$bin"
(cd "$root/benchmarks/peers/go-chat" && go build -o "$bin/chat" ./chat && go build -o "$bin/chatload" ./chatload)
cmake --build "$build" --target chat
ulimit -n 4096  # 1,000 sockets in chatload, 500 in the server
addr=127.0.0.1:${CHAT_PORT:-18000}
# shellcheck disable=SC2086 # CHAT_ARGS and CHATLOAD_ARGS are word lists
for ((i = 1; i <= rounds; i++)); do
    printf 'gocsp: '; "$bin/chatload" -addr "$addr" ${CHATLOAD_ARGS:-} -- "$build/examples/chat" -addr "$addr" ${CHAT_ARGS:-}
    printf 'go:    '; "$bin/chatload" -addr "$addr" ${CHATLOAD_ARGS:-} -- "$bin/chat" -addr "$addr" ${CHAT_ARGS:-}
done
