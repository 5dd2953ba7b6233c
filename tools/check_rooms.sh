#!/usr/bin/env bash
# Fails when a room includes a room it may not depend on (ARCHITECTURE.md, "Parts and their
# rooms"): for every file under src/<room>/ (and python/src/, the room "python"),
# each `#include "other/..."` (or <other/...>) must name
# the room itself or one it depends on, directly or through other rooms. Prints file:line and the
# forbidden room for each violation. bash, grep and awk only: it runs before anything is built.
# Usage: tools/check_rooms.sh [SOURCE_DIR]   (run by ctest as lint.check_rooms, so by make test)
set -euo pipefail
root="${1:-$(cd "$(dirname "$0")/.." && pwd)}"

# ARCHITECTURE.md's table: room -> the rooms it depends on directly. CMakeLists.txt's ia_room()
# calls link the same graph; keep the two in step. (Rooms without a folder yet are listed so that
# their first file is checked too.)
declare -A depends=(
  [core]=""
  [store]="core"
  [net]="core store"
  [engine]="core"
  [models]="core engine"
  [hardware]="core"
  [bench]="core engine hardware"
  [perf]="core engine hardware bench"
  [router]="core store net engine models hardware bench perf"
  [server]="router"
  [browser]="server store"
  [cli]="router"
  [python]="router"  # python/src/: the extension module, a front end over the router
)
# Exceptions to the table, each with its reason.
#  - cli -> server: `ipfs-accelerate serve` starts the HTTP server and `loadgen` drives one with
#    the server's own KServe client; the command binary is where the front ends are put together.
#    No room may include cli, so this makes no cycle.
#  - cli -> browser: likewise, serve mounts the browser workers' routes and backends, and hw, run
#    and bench launch a browser (src/browser sits beside the server, above the router).
declare -A extra=(
  [cli]="server browser"
)

# The rooms each room may include: itself and the transitive closure of the table.
closure() {
  local room="$1" dep out="$1"
  for dep in ${depends[$room]} ${extra[$room]:-}; do
    out+=" $(closure "$dep")"
  done
  echo "$out"
}

table=""
for room in "${!depends[@]}"; do
  allowed="$(closure "$room" | tr ' ' '\n' | sort -u | tr '\n' ' ')"
  table+="$room:${allowed% }"$'\n'
done

status=0
for dir in "$root"/src/*/; do
  room="$(basename "$dir")"
  if [[ -z "${depends[$room]+set}" ]]; then
    echo "src/$room/: not a room of ARCHITECTURE.md's table; add it to tools/check_rooms.sh" \
         "(and to CMakeLists.txt)"
    status=1
  fi
done

files=()
while IFS= read -r -d '' f; do files+=("$f"); done < <(
  find "$root/src" $([[ -d "$root/python/src" ]] && echo "$root/python/src") -type f \( -name '*.h' -o -name '*.cc' -o -name '*.hpp' -o -name '*.inc' \) \
    -print0 | sort -z)
((${#files[@]})) || { echo "check_rooms: no sources under $root/src" >&2; exit 1; }

awk -v root="$root/" -v table="$table" '
  BEGIN {
    n = split(table, rows, "\n")
    for (i = 1; i <= n; i++) {
      if (rows[i] == "") continue
      split(rows[i], kv, ":")
      known[kv[1]] = 1
      m = split(kv[2], deps, " ")
      for (j = 1; j <= m; j++) ok[kv[1], deps[j]] = 1
      allowed[kv[1]] = kv[2]
    }
    bad = 0
  }
  /^[ \t]*#[ \t]*include[ \t]*["<]/ {
    file = substr(FILENAME, length(root) + 1)  # src/<room>/... or python/src/...
    split(file, parts, "/")
    room = parts[1] == "python" ? "python" : parts[2]
    line = $0
    sub(/^[ \t]*#[ \t]*include[ \t]*["<]/, "", line)
    sub(/[">].*$/, "", line)
    if (line ~ /^\.\.\//) {
      printf "%s:%d: relative include \"%s\": name it from src/ (\"room/file.h\")\n", file, FNR, line
      bad++
      next
    }
    if (index(line, "/") == 0) next
    target = substr(line, 1, index(line, "/") - 1)
    if (!(target in known) || !(room in known)) next
    if (!((room, target) in ok)) {
      printf "%s:%d: %s may not include %s (\"%s\"); %s may include only: %s\n", \
             file, FNR, room, target, line, room, allowed[room]
      bad++
    }
  }
  END {
    if (bad) {
      printf "check_rooms: %d include(s) cross the rooms of ARCHITECTURE.md the wrong way\n", bad
      exit 1
    }
  }
' "${files[@]}" || status=1

exit $status
