#!/usr/bin/env bash
# End-to-end test of the studio through a real terminal: tmux on a private socket at 120×40 drives
# `omnistudio` with keys and polls `capture-pane` for expected text (no fixed sleeps as assertions).
# Usage: Tests/e2e/studio.sh [path/to/omnistudio]   (default .build/debug/omnistudio). Runs headless (CI=true).
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
bin=${1:-${OMNISTUDIO_BIN:-$repo/.build/debug/omnistudio}}
[ -x "$bin" ] || { echo "e2e-studio: no binary at $bin (build first)" >&2; exit 1; }
command -v tmux >/dev/null || { echo "e2e-studio: tmux is missing (make bootstrap)" >&2; exit 1; }
work=$(mktemp -d)
sock="omnistudio-e2e-$$"
T() { tmux -L "$sock" "$@"; }
cleanup() { T kill-server 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

# Inputs: the puppet world's demo files when present (Models/demo), else generated ones.
mkdir -p "$work/in"
if [ -f "$repo/Models/demo/reference.png" ]; then cp "$repo/Models/demo/reference.png" "$work/in/ref.png"
else ffmpeg -loglevel error -y -f lavfi -i testsrc=size=128x128 -frames:v 1 "$work/in/ref.png"; fi
if [ -f "$repo/Models/demo/speech.wav" ]; then cp "$repo/Models/demo/speech.wav" "$work/in/voice.wav"
else ffmpeg -loglevel error -y -f lavfi -i "sine=f=220:d=1" -ar 16000 "$work/in/voice.wav"; fi

screen() { T capture-pane -p -t studio 2>/dev/null || true; }
# wait_for REGEX [TIMEOUT_S]: polls the screen until REGEX matches; prints the screen and fails on timeout.
wait_for() {
  local pattern=$1 timeout=${2:-20} deadline
  deadline=$(( $(date +%s%N) / 1000000 + timeout * 1000 ))
  while (( $(date +%s%N) / 1000000 < deadline )); do
    if screen | grep -Eq -- "$pattern"; then return 0; fi
    sleep 0.05
  done
  echo "e2e-studio: timed out after ${timeout}s waiting for /$pattern/; the screen was:" >&2
  screen >&2
  exit 1
}
keys() { T send-keys -t studio "$@"; }
type_value() { keys = BSpace BSpace BSpace BSpace BSpace BSpace BSpace BSpace; keys -l "$1"; keys Enter; }

T -f /dev/null new-session -d -s studio -x 120 -y 40 \
  "cd '$repo' && '$bin' --model random:tiny --outputs '$work/outputs' '$work/in'; echo STUDIO-EXITED rc=\$?; stty -a > '$work/stty.txt'; sleep 120"
wait_for "2 Switchboard"
wait_for "model random:tiny"

# Pick the reference and the audio in the file picker.
keys 1 Down Enter
wait_for "Reference +\[on\] +ref.png"
keys Down Enter
wait_for "Audio +\[on\] +voice.wav"

# Audio CFG: nudge, then type 2.5.
keys 2 Down Down
keys +
wait_for "Audio CFG +(◀ )?3.0"
type_value 2.5
wait_for "Audio CFG = 2.5"

# Many steps so the first run can be watched and cancelled.
keys Down Down Down Down Down Down Down   # Audio CFG → Steps (past Audio CFG end, Annealing, Pose, Text, Text CFG, Speed)
type_value 400
wait_for "Steps = 400"
keys g
wait_for "step [0-9]+/400 +segment 1/"
first=$(screen | grep -Eo "step [0-9]+/400" | head -1)
wait_for "step [0-9]+/400" 20
for _ in $(seq 1 200); do
  now=$(screen | grep -Eo "step [0-9]+/400" | head -1)
  [ -n "$now" ] && [ "$now" != "$first" ] && break
  sleep 0.05
done
[ "$now" != "$first" ] || { echo "e2e-studio: the step counter did not advance ($first)" >&2; screen >&2; exit 1; }
keys x
wait_for "cancelled"
wait_for "○ idle"

# Start again with 4 steps and wait for the player.
type_value 4
wait_for "Steps = 4"
keys g
wait_for "done: .*/video.mp4" 60
wait_for "playing frame [0-9]+/[0-9]+"

# History: load the run, change the seed, re-run.
keys 6
wait_for "6 History \(1\)"
wait_for "player · [0-9]{8}-"
keys Enter
wait_for "loaded .* into the switchboard"
keys 2 Down Down Down
type_value 7
wait_for "Seed = 7"
keys r
wait_for "done: .*-s7(-[0-9]+)?/video.mp4" 60
wait_for "6 History \(2\)"

# Resize to too small and back.
T resize-window -t studio -x 50 -y 15
wait_for "Terminal too small"
wait_for "need 60×18, have 50×15"
T resize-window -t studio -x 120 -y 40
wait_for "2 Switchboard"

keys q
wait_for "STUDIO-EXITED rc=0"
for _ in $(seq 1 100); do [ -s "$work/stty.txt" ] && break; sleep 0.05; done

# outputs/ holds exactly the two completed runs, each complete; nothing partial.
runs=$(find "$work/outputs" -mindepth 1 -maxdepth 1 | sort)
count=$(echo "$runs" | grep -c . || true)
[ "$count" -eq 2 ] || { echo "e2e-studio: expected 2 runs in outputs/, found:" >&2; echo "$runs" >&2; exit 1; }
for d in $runs; do
  case "$(basename "$d")" in .*) echo "e2e-studio: leftover $d" >&2; exit 1;; esac
  for f in video.mp4 recipe.toml poster.png run.log; do [ -s "$d/$f" ] || { echo "e2e-studio: $d/$f missing" >&2; exit 1; }; done
done
grep -q '^seed = 7$' "$(echo "$runs" | grep -- '-s7' | head -1)/recipe.toml"
grep -q 'guidance = 2.5' "$(echo "$runs" | head -1)/recipe.toml"
# The terminal was restored: echo and canonical mode are back.
grep -Eq '(^| )echo( |$)' "$work/stty.txt" && grep -Eq '(^| )icanon( |$)' "$work/stty.txt" \
  || { echo "e2e-studio: terminal not restored:" >&2; cat "$work/stty.txt" >&2; exit 1; }
echo "e2e-studio: ok (2 runs, cancel, player, history re-run, resize, terminal restored)"
