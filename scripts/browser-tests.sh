#!/usr/bin/env bash
# The Credentials web application's browser tests, from a clean checkout: Debian's
# Chromium (installed with apt when missing; never a tool's own browser download),
# playwright-core and axe-core from the committed package-lock.json (`npm ci`), the
# application built by cargo, then `node --test`. The exit code is the tests' result.
#
# Environment: CARGO_TARGET_DIR (cargo's, default ./target); CHROMIUM (default
# /usr/bin/chromium); UPDATE_README_SCREENSHOTS=1 refreshes the README's screenshots.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"

chromium="${CHROMIUM:-/usr/bin/chromium}"
if [ ! -x "$chromium" ]; then
    echo "==> installing Debian's chromium" >&2
    sudo=""
    if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
fi

echo "==> npm ci (playwright-core, axe-core)" >&2
# PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: playwright-core downloads nothing, but say so anyway.
(cd examples/web/browser && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --silent)

echo "==> cargo build -p tessera-web-example" >&2
cargo build --quiet -p tessera-web-example --bin tessera-web
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$repo/target}"
export TESSERA_WEB_BIN="$CARGO_TARGET_DIR/debug/tessera-web"
export CHROMIUM="$chromium"

echo "==> node --test (browser tests)" >&2
cd examples/web/browser
node --test --test-concurrency=1 tests/
