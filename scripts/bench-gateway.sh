#!/usr/bin/env bash
# A first reading of the gateway's throughput and p99 latency with wrk, side by side in one
# run: the upstream alone, the gateway without authentication, with cached Basic credentials
# and with a bearer token (verified once, then found in the token cache).
#
# Topology (perf-anchors.md section 3.1): the gateway alone on CPU 1; wrk and the upstream on
# CPU 0. Results on a 2-core VM vary by 10-20 % from run to run: compare the rows of one run.
#
#   scripts/bench-gateway.sh                 # 10 s per configuration, 50 connections
#   DURATION=20s CONNECTIONS=100 WORKERS=1 scripts/bench-gateway.sh
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-50}
WORKERS=${WORKERS:-1}
PROFILE=${PROFILE:-release}
TARGET_DIR=${CARGO_TARGET_DIR:-target}

if ! command -v wrk >/dev/null 2>&1; then
  apt-get install -y wrk >/dev/null
fi

if [ "$PROFILE" = release ]; then
  cargo build --release -p portico-gateway --example bench_stack
else
  cargo build -p portico-gateway --example bench_stack
fi
BIN="$TARGET_DIR/$([ "$PROFILE" = release ] && echo release || echo debug)/examples/bench_stack"

WORK=$(mktemp -d)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

# Waits until the process writing FILE has printed a line starting with KEY=.
wait_for_line() {
  local file=$1 key=$2
  for _ in $(seq 1 600); do
    grep -q "^$key=" "$file" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "timed out waiting for $key in $file" >&2
  cat "$file" >&2
  exit 1
}

taskset -c 0 "$BIN" upstream >"$WORK/upstream.env" &
PIDS+=($!)
wait_for_line "$WORK/upstream.env" UPSTREAM
# shellcheck disable=SC1091
source "$WORK/upstream.env"

WORKERS=$WORKERS RUST_LOG=warn taskset -c 1 "$BIN" gateway "$UPSTREAM" >"$WORK/gateway.env" &
PIDS+=($!)
wait_for_line "$WORK/gateway.env" BEARER
# shellcheck disable=SC1091
source "$WORK/gateway.env"

# Runs wrk and prints "requests/s p99" for one configuration.
measure() {
  local url=$1 header=${2:-}
  local output
  if [ -n "$header" ]; then
    output=$(taskset -c 0 wrk -t1 -c"$CONNECTIONS" -d"$DURATION" --latency -H "Authorization: $header" "$url")
  else
    output=$(taskset -c 0 wrk -t1 -c"$CONNECTIONS" -d"$DURATION" --latency "$url")
  fi
  if echo "$output" | grep -q 'Non-2xx'; then
    echo "$output" >&2
    echo "non-2xx answers for $url" >&2
    exit 1
  fi
  local rps p99
  rps=$(echo "$output" | awk '/^Requests\/sec:/ {print $2}')
  p99=$(echo "$output" | awk '$1 == "99%" {print $2}')
  echo "$rps $p99"
}

# One warm-up request each: the Basic exchange and the bearer verification happen here.
curl -sf -o /dev/null "http://$GATEWAY/auth/" -H "Authorization: $BASIC"
curl -sf -o /dev/null "http://$GATEWAY/auth/" -H "Authorization: $BEARER"

echo "wrk -t1 -c$CONNECTIONS -d$DURATION --latency; gateway on CPU 1 with $WORKERS worker(s), wrk and upstream on CPU 0"
row() {
  local name=$1 result
  shift
  result=$(measure "$@")
  printf '%-34s %12s %10s\n' "$name" "${result% *}" "${result#* }"
}
printf '%-34s %12s %10s\n' configuration requests/s p99
row "upstream alone" "http://$UPSTREAM/"
row "gateway, no authentication" "http://$GATEWAY/open/"
row "gateway, Basic (cached exchange)" "http://$GATEWAY/auth/" "$BASIC"
row "gateway, Bearer (cached verify)" "http://$GATEWAY/auth/" "$BEARER"
