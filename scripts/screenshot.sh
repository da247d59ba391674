#!/usr/bin/env bash
# Renders an HTML file to PNG with headless Chromium (Debian: /usr/bin/chromium).
# Usage: scripts/screenshot.sh IN.html OUT.png [WIDTH] [HEIGHT]   (defaults 1280 x 2400 px)
# Networking extras are disabled so the screenshot also shows that the page needs nothing online.
set -euo pipefail

if [[ $# -lt 2 || $# -gt 4 ]]; then
  echo "usage: $0 IN.html OUT.png [WIDTH] [HEIGHT]" >&2
  exit 2
fi
in=$1
out=$2
width=${3:-1280}
height=${4:-2400}
if [[ ! -f $in ]]; then
  echo "$0: $in: no such file" >&2
  exit 2
fi
if ! [[ $width =~ ^[0-9]+$ && $height =~ ^[0-9]+$ ]]; then
  echo "$0: WIDTH and HEIGHT must be whole pixels" >&2
  exit 2
fi
chromium=${CHROMIUM:-/usr/bin/chromium}
in_abs=$(cd "$(dirname "$in")" && pwd)/$(basename "$in")
out_abs=$(cd "$(dirname "$out")" && pwd)/$(basename "$out")
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT

"$chromium" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$profile" --hide-scrollbars \
  --run-all-compositor-stages-before-draw --virtual-time-budget=5000 \
  --window-size="$width,$height" --screenshot="$out_abs" "file://$in_abs" >/dev/null 2>&1 || {
  echo "$0: chromium failed to render $in" >&2
  exit 1
}
[[ -s $out_abs ]] || { echo "$0: no screenshot written to $out" >&2; exit 1; }
echo "$out"
