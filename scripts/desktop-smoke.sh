#!/usr/bin/env bash
# Desktop smoke test: runs the desktop binary (built by `make desktop`) in a real
# window under Xvfb with a fresh data dir, waits until the console in the window
# has reported itself ready through the window's API door (the server logs
# `msg="console ready" door=window`), saves a screenshot of the screen to
# test-artifacts/desktop/console.png, and stops the app.
#
# Builds nothing. Needs: Xvfb (xvfb), import (imagemagick).
# Env: FUSEBOX_DESKTOP_BIN (default bin/fusebox-desktop), SMOKE_TIMEOUT seconds (default 60).
set -euo pipefail

cd "$(dirname "$0")/.."
BIN=${FUSEBOX_DESKTOP_BIN:-bin/fusebox-desktop}
TIMEOUT=${SMOKE_TIMEOUT:-60}
OUT=test-artifacts/desktop
SHOT=$OUT/console.png

fail() {
  echo "desktop-smoke: FAIL: $*" >&2
  exit 1
}

[[ -x $BIN ]] || fail "$BIN is missing or not executable; build it with 'make desktop'"
for tool in Xvfb import identify; do
  command -v "$tool" >/dev/null || fail "'$tool' not found; install xvfb and imagemagick (apt-get install xvfb imagemagick)"
done

mkdir -p "$OUT"
rm -f "$SHOT" "$OUT/fusebox.log" "$OUT/stdout.log"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/fusebox-desktop-smoke.XXXXXX")
log=$tmp/fusebox.log
xvfb_pid=''
app_pid=''

cleanup() {
  local rc=$?
  if [[ -n $app_pid ]] && kill -0 "$app_pid" 2>/dev/null; then
    kill -TERM "$app_pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$app_pid" 2>/dev/null || break; sleep 0.2; done
    if kill -0 "$app_pid" 2>/dev/null; then
      echo "desktop-smoke: the app did not exit within 10 s of SIGTERM; killing it" >&2
      kill -KILL "$app_pid" 2>/dev/null || true
    fi
    wait "$app_pid" 2>/dev/null || true
  fi
  if [[ -n $xvfb_pid ]]; then
    kill -TERM "$xvfb_pid" 2>/dev/null || true
    wait "$xvfb_pid" 2>/dev/null || true
  fi
  # Keep the logs next to the screenshot: they explain a failure.
  [[ -f $log ]] && cp "$log" "$OUT/fusebox.log"
  [[ -f $tmp/stdout.log ]] && cp "$tmp/stdout.log" "$OUT/stdout.log"
  rm -rf "$tmp"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Xvfb picks a free display itself and writes its number once it accepts clients.
Xvfb -displayfd 3 -screen 0 1280x800x24 -nolisten tcp 3>"$tmp/display" 2>"$tmp/xvfb.log" &
xvfb_pid=$!
for _ in $(seq 1 100); do
  [[ -s $tmp/display ]] && break
  kill -0 "$xvfb_pid" 2>/dev/null || fail "Xvfb exited: $(cat "$tmp/xvfb.log")"
  sleep 0.1
done
[[ -s $tmp/display ]] || fail "Xvfb did not report a display within 10 s"
display=":$(tr -d '[:space:]' <"$tmp/display")"
echo "desktop-smoke: Xvfb on display $display"

mkdir -p "$tmp/data"
DISPLAY=$display WAYLAND_DISPLAY='' FUSEBOX_LOG=$log \
  "$BIN" --addr 127.0.0.1:0 --data-dir "$tmp/data" >"$tmp/stdout.log" 2>&1 &
app_pid=$!
echo "desktop-smoke: started $BIN (pid $app_pid), waiting up to ${TIMEOUT}s for the console to report ready"

ready=''
deadline=$((SECONDS + TIMEOUT))
while ((SECONDS < deadline)); do
  if [[ -f $log ]] && grep -E 'console ready' "$log" | grep -q 'door=window'; then
    ready=$(grep -E 'console ready' "$log" | grep 'door=window' | head -n 1)
    break
  fi
  if grep -q 'running serve instead' "$tmp/stdout.log"; then
    fail "$BIN did not open a window: $(grep 'running serve instead' "$tmp/stdout.log" | head -n 1)"
  fi
  if ! kill -0 "$app_pid" 2>/dev/null; then
    wait "$app_pid" && code=0 || code=$?
    app_pid=''
    fail "$BIN exited (status $code) before the console reported ready; output:
$(tail -n 40 "$tmp/stdout.log")"
  fi
  sleep 0.5
done
if [[ -z $ready ]]; then
  import -display "$display" -window root "$SHOT" 2>/dev/null || true
  fail "no 'console ready' door=window log line within ${TIMEOUT}s (screenshot, if any: $SHOT); output:
$(tail -n 40 "$tmp/stdout.log")"
fi
echo "desktop-smoke: server logged: $ready"

# The console reports ready right after its first render; give the dashboard's
# API answer a moment to paint before the screenshot.
sleep 2
import -display "$display" -window root "$SHOT" || fail "screenshot with 'import -window root' failed"

# A window that rendered the console has text and colours; an empty X screen is one colour.
colors=$(identify -format '%k' "$SHOT")
((colors >= 16)) || fail "the screenshot $SHOT has only $colors colours: the window did not render"
echo "desktop-smoke: screenshot $SHOT ($colors colours)"
echo "desktop-smoke: OK"
