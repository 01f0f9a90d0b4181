#!/usr/bin/env bash
# Runs the README's walk-through and says what each step showed: every ```sh block of README.md,
# in order, in one bash with `set -euo pipefail`, so the first step that fails stops the run.
#
#   scripts/try.sh               starts a fresh server itself (the README's first block), and stops it at the end
#   scripts/try.sh --url URL     talks to a fresh server that already runs at URL, started with the README's
#                                LATCHKEY_ADMIN_EMAIL and LATCHKEY_ADMIN_PASSWORD (the tests do this)
#
# Markers, on the line just before a block's opening fence:
#   <!-- try: starts the server -->   skipped with --url
#   <!-- try: skip -->                never run (a block to read, not to paste)
# With --url, every http://localhost:8080 in the blocks becomes URL.
set -euo pipefail

url=""
readme="$(cd "$(dirname "$0")/.." && pwd)/README.md"
while [ $# -gt 0 ]; do
  case "$1" in
    --url) url="${2:?--url needs a URL}"; shift 2 ;;
    -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) readme="$1"; shift ;;
  esac
done
command -v jq >/dev/null || { echo "try.sh needs jq (Debian: apt-get install jq)" >&2; exit 2; }
command -v curl >/dev/null || { echo "try.sh needs curl" >&2; exit 2; }

script="$(mktemp)"
trap 'rm -f "$script"' EXIT
{
  echo 'set -euo pipefail'
  # Note: the server the first block starts in the background stops with the walk-through;
  # `dotnet run` runs the server as its child, so the children are stopped first.
  echo "trap 'for p in \$(jobs -p); do pkill -TERM -P \$p 2>/dev/null || true; kill \$p 2>/dev/null || true; done' EXIT"
  awk -v skip_start="${url:+1}" '
    /^<!-- try: starts the server -->/ { marker = skip_start ? "skip" : ""; next }
    /^<!-- try: skip -->/ { marker = "skip"; next }
    !inside && /^```(sh|bash)[[:space:]]*$/ {
      inside = 1; step++; run = (marker != "skip"); marker = ""; title = ""
      next
    }
    inside && /^```[[:space:]]*$/ { inside = 0; next }
    inside {
      if (title == "" && $0 ~ /^# /) {
        title = substr($0, 3)
        if (run) printf "printf %s %s\n", "\"\\n== step %s: %s\\n\"", step " " quote(title)
      }
      if (run) print
      next
    }
    !/^[[:space:]]*$/ { marker = "" }
    function quote(s) { gsub(/\047/, "\047\\\047\047", s); return "\047" s "\047" }
  ' "$readme" | if [ -n "$url" ]; then sed "s#http://localhost:8080#${url%/}#g"; else cat; fi
} > "$script"

bash "$script"
echo
echo "== the walk-through ran to its end"
