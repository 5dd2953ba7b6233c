#!/usr/bin/env bash
# The browser backend end to end in headless Chromium (see browser_backend_test.mjs for the cases).
set -euo pipefail
: "${IA_SOURCE_DIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
[[ -x /usr/bin/chromium ]] || { echo "browser_backend_test: chromium missing: run scripts/setup" >&2; exit 1; }
exec node "$IA_SOURCE_DIR/tests/browser/browser_backend_test.mjs" "$@"
