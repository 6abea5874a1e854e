#!/usr/bin/env bash
# Portico's browser tests in one command: builds the binaries they start (portico and the
# auth0-emulator), installs playwright-core from the lock file, and runs node's test runner.
# Needs Debian's chromium at /usr/bin/chromium (or PORTICO_CHROMIUM). Honors CARGO_TARGET_DIR.
# Screenshots land in target/screenshots/ (or PORTICO_SCREENSHOTS).
set -euo pipefail
cd "$(dirname "$0")"
repo_root="$(cd ../.. && pwd)"

chromium="${PORTICO_CHROMIUM:-/usr/bin/chromium}"
if [ ! -x "$chromium" ]; then
  echo "browser tests: $chromium is missing (apt-get install -y chromium)" >&2
  exit 1
fi

(cd "$repo_root" && cargo build --locked -p portico -p portico-testkit --bins)

npm ci --no-audit --no-fund --loglevel=error

# One test file at a time: each starts its own Portico, emulator and Chromium.
node --test --test-concurrency=1 "$@"
