#!/usr/bin/env bash
# `omnistudio show VIDEO` on a pseudo-terminal (util-linux `script`): it plays frame over frame until q (exit 0) or
# Ctrl-C (exit 130), and gives the cursor back either way; with stdout not a terminal it prints the first frame
# only, and --loop says it needs a terminal; a still taller than the window leaves the prompt's row free.
# Usage: Tests/e2e/show.sh [path/to/omnistudio]   (default .build/debug/omnistudio).
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
bin=${1:-$repo/.build/debug/omnistudio}
[ -x "$bin" ] || { echo "e2e-show: no binary at $bin (build first)" >&2; exit 1; }
command -v script > /dev/null || { echo "e2e-show: needs script(1) from util-linux" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
ffmpeg -loglevel error -y -f lavfi -i testsrc=size=32x32:rate=25 -frames:v 50 -pix_fmt yuv420p "$work/clip.mp4"
show="$bin show $work/clip.mp4 --cols 16 --preview symbols --loop"
up=$'\e[8A'          # 16 columns of a square picture are 8 rows: each redraw goes back up 8 rows
shown=$'\e[?25h'

# play KEY EXPECTED_STATUS NAME: plays in a loop, types KEY after a second.
play() {
  local key=$1 want=$2 name=$3 status=0
  (sleep 1; printf "$key") | timeout 20 script -qfec "$show" /dev/null > "$work/$name" || status=$?
  [ "$status" -eq "$want" ] || { echo "e2e-show: $name gave exit status $status, expected $want" >&2; exit 1; }
  local redraws
  redraws=$(grep -oF "$up" "$work/$name" | wc -l)
  [ "$redraws" -ge 10 ] || { echo "e2e-show: $name drew $redraws frames over the first in a second" >&2; exit 1; }
  [ "$(tail -c 20 "$work/$name" | grep -cF "$shown")" -ge 1 ] || { echo "e2e-show: $name left the cursor hidden" >&2; exit 1; }
}
play q 0 quit
play '\003' 130 interrupt

"$bin" show "$work/clip.mp4" --cols 16 --preview symbols > "$work/still"
[ "$(wc -l < "$work/still")" -eq 8 ] && ! grep -qF "$up" "$work/still" \
  || { echo "e2e-show: without a terminal show did not print one 8-row frame" >&2; exit 1; }
status=0
"$bin" show "$work/clip.mp4" --loop > /dev/null 2> "$work/err" || status=$?
[ "$status" -ne 0 ] && grep -q "plays in a terminal" "$work/err" || { echo "e2e-show: --loop without a terminal:" >&2; cat "$work/err" >&2; exit 1; }
# A picture taller than the window is fitted to its height less one row, so the shell's prompt stays in view.
ffmpeg -loglevel error -y -f lavfi -i testsrc=size=32x96 -frames:v 1 "$work/tall.png"
lines=$(script -qfec "stty rows 12 cols 40; $bin show $work/tall.png --preview symbols" /dev/null | wc -l)
[ "$lines" -eq 11 ] || { echo "e2e-show: a tall picture in a 12-row window took $lines rows, expected 11" >&2; exit 1; }
echo "e2e-show: ok"
