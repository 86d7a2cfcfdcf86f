#!/usr/bin/env bash
# `omnistudio generate` from a shell: with no arguments it says what it needs, --help shows the defaults; stopped by SIGTERM or SIGHUP it
# cleans up like Ctrl-C (exit status 128 + the signal, no hidden working folder left behind, and with
# --keep-partial the frames made so far kept as video.partial.mp4).
# Usage: Tests/e2e/generate.sh [path/to/omnistudio]   (default .build/debug/omnistudio).
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
bin=${1:-$repo/.build/debug/omnistudio}
[ -x "$bin" ] || { echo "e2e-generate: no binary at $bin (build first)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
ffmpeg -loglevel error -y -f lavfi -i testsrc=size=64x64 -frames:v 1 "$work/ref.png"

# run SIGNAL EXPECTED_STATUS [FLAGS…]: starts a long generation, waits for its first finished segment, signals it.
run() {
  local sig=$1 want=$2; shift 2
  local out="$work/out-$sig-$#" events="$work/events-$sig-$#"
  "$bin" generate --model random:tiny --ref "$work/ref.png" --duration 60 --steps 1 --size 32x32 --out "$out" --json-events "$@" \
    > "$events" 2>/dev/null &
  local pid=$! deadline=$((SECONDS + 60))
  until grep -Eq '"event" *: *"segment"' "$events" 2>/dev/null; do
    (( SECONDS < deadline )) || { echo "e2e-generate: no segment finished within 60 s" >&2; kill -9 $pid; exit 1; }
    sleep 0.1
  done
  kill -"$sig" $pid
  local status=0
  wait $pid || status=$?
  [ "$status" -eq "$want" ] || { echo "e2e-generate: SIG$sig gave exit status $status, expected $want" >&2; exit 1; }
  if ls -a "$work" | grep -q '\.partial$'; then echo "e2e-generate: SIG$sig left a hidden working folder" >&2; exit 1; fi
  echo "$out"
}

status=0
"$bin" generate > /dev/null 2> "$work/usage" || status=$?
[ "$status" -ne 0 ] && grep -q "nothing to generate from: give a reference photo (--ref)" "$work/usage" \
  || { echo "e2e-generate: generate with no arguments did not say what it needs:" >&2; cat "$work/usage" >&2; exit 1; }

# --help says what the bundled model was trained at and shows the default of every sampling setting.
"$bin" generate --help > "$work/help"
grep -q "trained at 64×64" "$work/help" || { echo "e2e-generate: --help does not say the bundled model works at 64×64" >&2; exit 1; }
for option in audio-cfg audio-cfg-end text-cfg steps shift seed duration size fps fit annealing pose-canvas; do
  # The option's help runs from its line to the next option's; it must name a default.
  awk -v o="--$option " 'index($0, o) == 3 {on = 1; print; next} on && /^  --/ {exit} on' "$work/help" | grep -q "default" \
    || { echo "e2e-generate: --help shows no default for --$option" >&2; exit 1; }
done

out=$(run TERM 143)
[ ! -e "$out" ] || { echo "e2e-generate: SIGTERM without --keep-partial left $out" >&2; exit 1; }
out=$(run HUP 129)
[ ! -e "$out" ] || { echo "e2e-generate: SIGHUP without --keep-partial left $out" >&2; exit 1; }
out=$(run TERM 143 --keep-partial)
[ -s "$out/video.partial.mp4" ] || { echo "e2e-generate: SIGTERM with --keep-partial kept no video.partial.mp4" >&2; exit 1; }
echo "e2e-generate: ok"
