#!/usr/bin/env bash
# Desktop smoke test: runs the desktop binary (built by `make desktop`) in a real
# window under Xvfb with a fresh data dir, waits until the console in the window
# has reported itself ready through the window's API door (the server logs
# `msg="console ready" door=window`), saves a screenshot of the screen to
# test-artifacts/desktop/console.png once the importer below shows its upload
# step, then makes one real upload through the window and stops the app. Every
# wait is for a logged event or an API answer, with a deadline.
#
# The upload: the app starts with --open importers/contacts/try (the console's
# "Try" view of the demo "contacts" importer). When the importer shows its
# upload step, the Try view reports it and the server logs
# `msg="upload step ready" door=window ... x=X y=Y`, the centre of the paste box
# in window pixels. The script waits for that line (nothing is timed by
# sleeping), then xdotool clicks there, types a small CSV and presses
# Ctrl+Enter, so the embed sends the bytes as the window sends them (a
# Uint8Array body through the window's API door). The script then asks the
# admin API over the port (URL from stdout, token from <data-dir>/admin.token)
# until the import the window created holds exactly those bytes (file_sha256)
# and its preview has the typed rows, waits for the importer's header step
# (msg="header step ready", the preview loaded in the window), checks that the
# app is still running (WebKitGTK crashes on some upload bodies) and saves
# test-artifacts/desktop/upload.png.
#
# Builds nothing. Needs: Xvfb (xvfb), import (imagemagick), xdotool, curl, jq.
# Env: FUSEBOX_DESKTOP_BIN (default bin/fusebox-desktop; the .deb test passes the
# installed /usr/bin/fusebox), SMOKE_TIMEOUT seconds (default 60), SMOKE_OUT
# (default test-artifacts/desktop) for the screenshots and logs.
set -euo pipefail

cd "$(dirname "$0")/.."
BIN=${FUSEBOX_DESKTOP_BIN:-bin/fusebox-desktop}
TIMEOUT=${SMOKE_TIMEOUT:-60}
OUT=${SMOKE_OUT:-test-artifacts/desktop}
SHOT=$OUT/console.png
UPLOAD_SHOT=$OUT/upload.png
# The CSV typed into the paste box (demo "contacts" importer columns).
ROWS=(
  'first_name,last_name,email,company'
  'Ada,Lovelace,ada@example.com,Analytical Engines'
  'Grace,Hopper,grace@example.com,US Navy'
  'Katherine,Johnson,katherine@example.com,NASA'
)

fail() {
  echo "desktop-smoke: FAIL: $*" >&2
  exit 1
}

[[ -x $BIN ]] || fail "$BIN is missing or not executable; build it with 'make desktop'"
for tool in Xvfb import identify xdotool curl jq; do
  command -v "$tool" >/dev/null || fail "'$tool' not found; install them (apt-get install xvfb imagemagick xdotool curl jq)"
done

mkdir -p "$OUT"
rm -f "$SHOT" "$UPLOAD_SHOT" "$OUT/fusebox.log" "$OUT/stdout.log"
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
  "$BIN" --addr 127.0.0.1:0 --data-dir "$tmp/data" --open importers/contacts/try >"$tmp/stdout.log" 2>&1 &
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

# --open importers/contacts/try: once the Try view's importer shows its upload
# step, the console says so, with where the paste box is (window pixels).
step=''
deadline=$((SECONDS + TIMEOUT))
while ((SECONDS < deadline)); do
  step=$(grep -E 'msg="upload step ready"' "$log" | grep 'door=window' | head -n 1) && break
  kill -0 "$app_pid" 2>/dev/null || fail "$BIN exited before the importer showed its upload step"
  sleep 0.2
done
if [[ -z $step ]]; then
  import -display "$display" -window root "$SHOT" 2>/dev/null || true
  fail "no 'upload step ready' door=window log line within ${TIMEOUT}s (screenshot: $SHOT); output:
$(tail -n 40 "$tmp/stdout.log")"
fi
echo "desktop-smoke: server logged: $step"
paste_x=$(grep -oE ' x=[0-9]+' <<<"$step" | head -n 1 | cut -d= -f2)
paste_y=$(grep -oE ' y=[0-9]+' <<<"$step" | head -n 1 | cut -d= -f2)
[[ -n $paste_x && -n $paste_y ]] || fail "the 'upload step ready' line has no x=N y=N: $step"

# The console and the importer's upload step have rendered: the screenshot.
import -display "$display" -window root "$SHOT" || fail "screenshot with 'import -window root' failed"

# A window that rendered the console has text and colours; an empty X screen is one colour.
colors=$(identify -format '%k' "$SHOT")
((colors >= 16)) || fail "the screenshot $SHOT has only $colors colours: the window did not render"
echo "desktop-smoke: screenshot $SHOT ($colors colours)"

# --- One upload through the window -------------------------------------------
base=$(grep -oE 'listening on http://127\.0\.0\.1:[0-9]+' "$tmp/stdout.log" | head -n 1 | sed 's/^listening on //')
[[ -n $base ]] || fail "no 'listening on http://127.0.0.1:PORT' line in the app's output"
token=$(tr -d '[:space:]' <"$tmp/data/admin.token") || fail "cannot read $tmp/data/admin.token"
admin() { curl -fsS --max-time 5 -H "Authorization: Bearer $token" "$base$1"; }
alive() {
  kill -0 "$app_pid" 2>/dev/null && return 0
  wait "$app_pid" && code=0 || code=$?
  app_pid=''
  fail "$BIN exited (status $code) $1; output:
$(tail -n 40 "$tmp/stdout.log")"
}

# The Try view creates its import through the window once the importer is up.
imp=''
deadline=$((SECONDS + TIMEOUT))
while ((SECONDS < deadline)); do
  alive "before the Try view opened"
  imp=$(admin '/api/admin/imports?importer=contacts' | jq -r '.imports[0].slug // empty') || true
  [[ -n $imp ]] && break
  sleep 0.5
done
if [[ -z $imp ]]; then
  import -display "$display" -window root "$UPLOAD_SHOT" 2>/dev/null || true
  fail "the window's Try view (--open importers/contacts/try) created no contacts import within ${TIMEOUT}s (screenshot: $UPLOAD_SHOT)"
fi
echo "desktop-smoke: the Try view created import $imp; typing ${#ROWS[@]} lines into the paste box at ($paste_x, $paste_y)"

win=$(DISPLAY=$display xdotool search --name '^Fusebox$' | head -n 1)
[[ -n $win ]] || fail "no X window named 'Fusebox'"
# The web view gets the keyboard only once clicked (Wails gives it no GTK focus
# and there is no window manager here), so click into the paste box, then type.
# xdotool sends the events in order: the click lands before the first key.
DISPLAY=$display xdotool mousemove --sync --window "$win" "$paste_x" "$paste_y" click 1
for line in "${ROWS[@]}"; do
  DISPLAY=$display xdotool type --delay 10 -- "$line"
  DISPLAY=$display xdotool key Return
done
DISPLAY=$display xdotool key ctrl+Return

# The embed sends the pasted text trimmed, plus one newline.
want_sha=$(printf '%s\n' "${ROWS[@]}" | sha256sum | cut -d' ' -f1)
got=''
deadline=$((SECONDS + TIMEOUT))
while ((SECONDS < deadline)); do
  alive "during the upload (a WebKitGTK crash?)"
  got=$(admin "/api/admin/imports/$imp" | jq -r '[.import.step, .import.file_name, .summary.file_sha256] | join(" ")') || true
  [[ $got == "uploaded pasted.csv $want_sha" ]] && break
  sleep 0.5
done
if [[ $got != "uploaded pasted.csv $want_sha" ]]; then
  import -display "$display" -window root "$UPLOAD_SHOT" 2>/dev/null || true
  fail "the pasted CSV did not land in import $imp within ${TIMEOUT}s: got step/file/sha256 '$got', want 'uploaded pasted.csv $want_sha' (screenshot: $UPLOAD_SHOT)"
fi
rows=$(admin "/api/importer/imports/$imp/preview" | jq -r '.rows | map(join(",")) | join("\n")') ||
  fail "cannot read the preview of import $imp"
[[ $rows == "$(printf '%s\n' "${ROWS[@]}")" ]] ||
  fail "the preview of import $imp is not the typed CSV:
$rows"
echo "desktop-smoke: import $imp holds the ${#ROWS[@]} typed lines (sha256 $want_sha)"

# The importer moves on to the header step and shows the preview; the Try
# view says so (msg="header step ready") and the screenshot shows it.
header=''
deadline=$((SECONDS + TIMEOUT))
while ((SECONDS < deadline)); do
  header=$(grep -E 'msg="header step ready"' "$log" | grep 'door=window' | head -n 1) && break
  alive "after the upload (a WebKitGTK crash?)"
  sleep 0.2
done
if [[ -z $header ]]; then
  import -display "$display" -window root "$UPLOAD_SHOT" 2>/dev/null || true
  fail "no 'header step ready' door=window log line within ${TIMEOUT}s of the upload (screenshot: $UPLOAD_SHOT)"
fi
echo "desktop-smoke: server logged: $header"
alive "after the upload (a WebKitGTK crash?)"
import -display "$display" -window root "$UPLOAD_SHOT" || fail "screenshot with 'import -window root' failed"
echo "desktop-smoke: screenshot $UPLOAD_SHOT"
echo "desktop-smoke: OK"
