#!/usr/bin/env bash
# The worker page's modules (web/unixfs.js, web/frames.js) in node, against the reference UnixFS
# importer (see web_unit_test.mjs).
set -euo pipefail
: "${IA_SOURCE_DIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
exec node "$IA_SOURCE_DIR/tests/browser/web_unit_test.mjs"
