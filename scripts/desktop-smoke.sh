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
# Then the desktop app's own behaviour, on the same running app (each step
# waits for the app's log line or an API answer, never a fixed sleep):
#  - a second launch on the same data dir (--open relay) exits 0 saying the
#    window is in front, the first process stays (log "second launch");
#  - the Edit menu in the Try view's paste box: Paste (the CSV put on the
#    clipboard with xclip), Select all, Cut, Paste, Paste, Undo, Redo, each
#    checked by its log line (msg=edit with the field's length); the import
#    sent from the box holds the CSV twice;
#  - a second launch with a file runs the runtime's file-drop event: the
#    console's Try view of the importer on screen imports the file, read by
#    the server from its path (admin API: an import holding the file's sha256);
#    screenshot drop.png;
#  - a file dragged onto the window by the XDND protocol (what a file manager
#    does; scripts/desktop-smoke/xdnd-drop.c) is imported the same way and
#    the console stays (screenshot xdnd-drop.png);
#  - a destination disabled (admin API) gives a desktop notification
#    (notification-daemon on a private D-Bus session bus; log
#    msg=notification ... native=true); screenshot notification.png;
#  - the File menu opened with a click (screenshot menu.png), Export
#    workspace... clicked, the save dialog accepted: the workspace file is
#    written (log "workspace exported"); Back up... the same (a backup
#    archive with its manifest);
#  - a host app creates a session with an API key (the keep-running default
#    turns on), the window is closed like a window manager's close button
#    does (WM_DELETE_WINDOW, scripts/desktop-smoke/wm-close.c): the window
#    hides, /healthz still answers, a launch shows it again;
#  - the window moved and resized, `fusebox quit --data-dir` stops the app
#    (exit 0) and desktop.json holds the geometry; a new start opens the
#    window there; closing it now (no host app in this run, imports in
#    progress) asks first (screenshot close-ask.png), Escape keeps the
#    window; with the notification server stopped, a disabled destination
#    shows as a notice in the console (log native=false; screenshot
#    console-notice.png); `fusebox quit` again.
#
# Builds nothing but two small X helpers (wm-close, xdnd-drop). Needs: Xvfb (xvfb), import
# (imagemagick), xdotool, xclip, curl, jq, dbus-daemon (dbus), notification-daemon,
# cc and the X11 headers (build-essential, libx11-dev).
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
for tool in Xvfb import identify convert xdotool xclip curl jq dbus-daemon cc; do
  command -v "$tool" >/dev/null || fail "'$tool' not found; install them (apt-get install xvfb imagemagick xdotool xclip curl jq dbus build-essential libx11-dev)"
done
NOTIFYD=/usr/lib/notification-daemon/notification-daemon
[[ -x $NOTIFYD ]] || fail "$NOTIFYD not found; install it (apt-get install notification-daemon)"

mkdir -p "$OUT"
rm -f "$SHOT" "$UPLOAD_SHOT" "$OUT"/{drop,xdnd-drop,notification,menu,hidden,close-ask,console-notice,failure}.png "$OUT/fusebox.log" "$OUT/stdout.log"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/fusebox-desktop-smoke.XXXXXX")
log=$tmp/fusebox.log
xvfb_pid=''
app_pid=''
bus_pid=''
notifyd_pid=''

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
  [[ -n $notifyd_pid ]] && kill -TERM "$notifyd_pid" 2>/dev/null
  [[ -n $bus_pid ]] && kill -TERM "$bus_pid" 2>/dev/null
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

# A private session bus with a notification server on the display: the app's
# desktop notifications (freedesktop D-Bus interface) are shown there.
dbus-daemon --session --fork --nopidfile --print-address=3 --print-pid=4 3>"$tmp/bus.addr" 4>"$tmp/bus.pid" ||
  fail "dbus-daemon --session did not start"
bus_pid=$(tr -d '[:space:]' <"$tmp/bus.pid")
export DBUS_SESSION_BUS_ADDRESS=$(head -n 1 "$tmp/bus.addr")
DISPLAY=$display "$NOTIFYD" >"$tmp/notifyd.log" 2>&1 &
notifyd_pid=$!
for helper in wm-close xdnd-drop; do
  cc -O -o "$tmp/$helper" "scripts/desktop-smoke/$helper.c" -lX11 || fail "cannot build scripts/desktop-smoke/$helper.c (needs cc and libx11-dev)"
done

# The app's home (the export dialog starts there) is the test's own.
mkdir -p "$tmp/data" "$tmp/home"
export HOME=$tmp/home
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
# xdotool sends the events in order, but the web view handled a key before
# the click that focuses the box once (the first character was lost), so the
# first key waits half a second after the click.
DISPLAY=$display xdotool mousemove --sync --window "$win" "$paste_x" "$paste_y" click 1
sleep 0.5
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

# --- The desktop app: one instance, drops, notifications, menu, close -------
export DISPLAY=$display WAYLAND_DISPLAY=''
shot() { import -display "$display" -window root "$OUT/$1" 2>/dev/null || true; }
lines() { wc -l <"$log"; }
# wait_log SINCE PATTERN WHAT: the first log line after line SINCE matching
# the extended regex PATTERN, within the timeout; else fail saying WHAT.
wait_log() {
  local since=$1 pattern=$2 what=$3 line='' deadline=$((SECONDS + TIMEOUT))
  while ((SECONDS < deadline)); do
    line=$(tail -n +"$((since + 1))" "$log" | grep -m 1 -E -- "$pattern") && { printf '%s\n' "$line"; return 0; }
    alive "while waiting for: $what"
    sleep 0.2
  done
  shot failure.png
  fail "no log line /$pattern/ within ${TIMEOUT}s: $what (screenshot: $OUT/failure.png)"
}
# launch ARGS...: a second launch on the same data dir; it must exit 0.
launch() {
  local out code
  out=$("$BIN" --data-dir "$tmp/data" "$@" 2>"$tmp/second.err") && code=0 || code=$?
  ((code == 0)) || fail "a second launch ($*) exited $code: $(cat "$tmp/second.err")"
  grep -q 'already running' <<<"$out" || fail "a second launch ($*) did not reach the running window: $out"
  alive "after a second launch"
}
# visible: the app's main window when it is mapped (xdotool's name match
# ignores case, and GTK's drag window is called "fusebox").
visible() {
  local w
  for w in $(xdotool search --onlyvisible --name '^Fusebox$' 2>/dev/null); do
    [[ $(xdotool getwindowname "$w" 2>/dev/null) == Fusebox ]] && { echo "$w"; return; }
  done
}
# menu_item X DY: open the menu at x=X of the menu bar and click the item DY
# pixels below the top of its popup (the popup is a new window of the app).
menu_item() {
  local before popup='' deadline
  before=$(xdotool search --onlyvisible --class fusebox 2>/dev/null | sort)
  # No --sync: the pointer may already be there (xdotool would wait for a motion).
  xdotool mousemove --window "$win" "$1" 12 click 1
  deadline=$((SECONDS + TIMEOUT))
  until popup=$(comm -13 <(printf '%s\n' "$before") <(xdotool search --onlyvisible --class fusebox 2>/dev/null | sort) | head -n 1) && [[ -n $popup ]]; do
    ((SECONDS < deadline)) || fail "the menu at x=$1 did not open"
    sleep 0.05
  done
  local X Y WIDTH HEIGHT SCREEN WINDOW
  eval "$(xdotool getwindowgeometry --shell "$popup")"
  xdotool mousemove $((X + 30)) $((Y + $2)) click 1
}
EDIT_X=59 UNDO=12 REDO=37 CUT=63 PASTE=113 SELECT_ALL=139 FILE_X=20 EXPORT=62 BACKUP=87

# One instance per data dir: the second launch focuses the first and exits 0.
n=$(lines)
launch --open relay
wait_log "$n" 'msg="second launch".*open=relay' 'the running window heard the second launch' >/dev/null
wait_log "$n" 'msg="window shown" reason="second launch"' 'the window came to the front' >/dev/null
[[ $(pgrep -c -f -- "--data-dir $tmp/data") == 1 ]] || fail "more than one process runs on $tmp/data: $(pgrep -a -f -- "--data-dir $tmp/data")"
echo "desktop-smoke: a second launch exited 0 and brought the window to the front; one process runs"

# The Edit menu in a console input (the Try view's paste box): the clipboard
# holds the CSV (xclip, once); Paste, Select all, Cut (the box empties, Go
# holds the text), Paste, Paste, Undo, Redo; each command logs msg=edit with
# the field's length after it. Then Ctrl+Enter sends the box: the import
# must hold the lines twice.
n=$(lines)
launch --open importers/contacts/try
step=$(wait_log "$n" 'msg="upload step ready"' 'the Try view showed its upload step again')
paste_x=$(grep -oE ' x=[0-9]+' <<<"$step" | cut -d= -f2)
paste_y=$(grep -oE ' y=[0-9]+' <<<"$step" | cut -d= -f2)
csv=$(printf '%s\n' "${ROWS[@]}")
printf '%s\n' "$csv" | xclip -selection clipboard -loops 1 -i >/dev/null 2>&1
win=$(visible)
xdotool mousemove --window "$win" "$paste_x" "$paste_y" click 1 # the pointer may be there already: no --sync
len=$((${#csv} + 1))
edit() { # edit OFFSET CMD CHARS: the Edit menu item, then its log line
  local m
  m=$(lines)
  menu_item "$EDIT_X" "$1"
  wait_log "$m" "msg=edit cmd=$2 field_chars=$3\$" "Edit > $2 leaves $3 characters in the paste box" >/dev/null
}
edit "$PASTE" paste "$len"
edit "$SELECT_ALL" selectAll "$len"
edit "$CUT" cut 0
edit "$PASTE" paste "$len"
edit "$PASTE" paste $((2 * len))
# WebKit may group the two pastes into one undo step: Undo takes back one or both.
edit "$UNDO" undo '[0-9]+'
undone=$(tail -n 1 <(grep -E 'msg=edit cmd=undo ' "$log") | grep -oE 'field_chars=[0-9]+' | cut -d= -f2)
((undone == len || undone == 0)) || fail "Edit > Undo left $undone characters in the paste box, want $len or 0"
edit "$REDO" redo $((2 * len))
echo "desktop-smoke: Edit > Paste, Select all, Cut, Paste, Paste, Undo, Redo in the paste box ($len -> 0 -> $((2 * len)) -> $undone -> $((2 * len)) characters)"
# After the menus the keyboard goes nowhere until the web view is clicked again.
xdotool mousemove --sync --window "$win" "$paste_x" "$((paste_y + 1))" click 1
xdotool key ctrl+Return
twice_sha=$(printf '%s\n' "$csv" "$csv" | sha256sum | cut -d' ' -f1)
edited=''
deadline=$((SECONDS + TIMEOUT))
while ((SECONDS < deadline)) && [[ -z $edited ]]; do
  alive "after sending the edited paste box"
  for slug in $(admin '/api/admin/imports?importer=contacts' | jq -r '.imports[].slug'); do
    [[ $(admin "/api/admin/imports/$slug" | jq -r '.summary.file_sha256') == "$twice_sha" ]] && edited=$slug && break
  done
  sleep 0.3
done
[[ -n $edited ]] || { shot failure.png; fail "no import holds the edited paste box (the CSV twice) within ${TIMEOUT}s (screenshot: $OUT/failure.png)"; }
echo "desktop-smoke: import $edited holds what the Edit menu made of the paste box"

# A file dropped on the window (the runtime's file-drop event, fired by a
# second launch with the file): the Try view on screen imports it.
drop_file=$tmp/dropped-contacts.csv
printf '%s\n' 'first_name,last_name,email,company' 'Mary,Jackson,mary@example.com,NASA' 'Dorothy,Vaughan,dorothy@example.com,NASA' >"$drop_file"
drop_sha=$(sha256sum "$drop_file" | cut -d' ' -f1)
launch --open importers/contacts/try "$drop_file"
wait_log "$n" 'msg="files to import" source=drop' 'the window took the dropped file' >/dev/null
dropped=''
deadline=$((SECONDS + TIMEOUT))
while ((SECONDS < deadline)); do
  alive "after the file drop"
  for slug in $(admin '/api/admin/imports?importer=contacts' | jq -r '.imports[].slug'); do
    [[ $(admin "/api/admin/imports/$slug" | jq -r '[.import.file_name, .summary.file_sha256] | join(" ")') == "dropped-contacts.csv $drop_sha" ]] && dropped=$slug && break
  done
  [[ -n $dropped ]] && break
  sleep 0.5
done
[[ -n $dropped ]] || { shot drop.png; fail "no contacts import holds the dropped file within ${TIMEOUT}s (screenshot: $OUT/drop.png)"; }
wait_log "$n" 'msg="header step ready"' 'the Try view showed the dropped file' >/dev/null
shot drop.png
echo "desktop-smoke: the dropped file became import $dropped (sha256 $drop_sha); screenshot $OUT/drop.png"

# A real drop: the file dragged onto the Try view by the XDND protocol, as a
# file manager does (scripts/desktop-smoke/xdnd-drop.c); GTK hands the path
# to Go, the web view must not open the file as a page.
real_file=$tmp/real-drop.csv
printf '%s\n' 'first_name,last_name,email,company' 'Annie,Easley,annie@example.com,NASA' >"$real_file"
real_sha=$(sha256sum "$real_file" | cut -d' ' -f1)
n=$(lines)
"$tmp/xdnd-drop" "$(visible)" 560 440 "$real_file" || fail "the XDND drop of $real_file was not accepted"
wait_log "$n" "msg=\"files to import\" source=drop files=1 first=$real_file" 'the window took the file dragged onto it' >/dev/null
real=''
deadline=$((SECONDS + TIMEOUT))
while ((SECONDS < deadline)) && [[ -z $real ]]; do
  alive "after the XDND drop"
  for slug in $(admin '/api/admin/imports?importer=contacts' | jq -r '.imports[].slug'); do
    [[ $(admin "/api/admin/imports/$slug" | jq -r '.summary.file_sha256') == "$real_sha" ]] && real=$slug && break
  done
  sleep 0.3
done
[[ -n $real ]] || { shot failure.png; fail "no import holds the file dragged onto the window within ${TIMEOUT}s (screenshot: $OUT/failure.png)"; }
wait_log "$n" 'msg="header step ready"' 'the Try view showed the dragged file' >/dev/null
shot xdnd-drop.png
echo "desktop-smoke: a file dragged onto the window (XDND) became import $real; screenshot $OUT/xdnd-drop.png"

# A desktop notification: a relay destination disabled.
dest=$(admin /api/admin/relay/destinations | jq -r '[.destinations[] | select(.enabled)][0].destination.id // empty')
[[ -n $dest ]] || fail "the demo workspace has no enabled relay destination to disable"
n=$(lines)
curl -fsS --max-time 5 -X POST -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
  -d '{"enabled":false,"reason":"the desktop smoke test turned it off"}' "$base/api/admin/relay/destinations/$dest/enabled" >/dev/null ||
  fail "cannot disable relay destination $dest"
wait_log "$n" "msg=notification kind=destination-disabled .*native=true" "a desktop notification for the disabled destination $dest" >/dev/null
# The notification server maps its popup window, then paints it: wait for
# the window, then until the shot shows its lower edge painted (not black).
deadline=$((SECONDS + TIMEOUT))
until popup=$(xdotool search --onlyvisible --pid "$notifyd_pid" 2>/dev/null | head -n 1) && [[ -n $popup ]]; do
  ((SECONDS < deadline)) || fail "notification-daemon showed no window for the notification"
  sleep 0.1
done
read -r px py pw ph < <(xdotool getwindowgeometry --shell "$popup" | awk -F= '/^X=/{x=$2}/^Y=/{y=$2}/^WIDTH=/{w=$2}/^HEIGHT=/{h=$2}END{print x, y, w, h}')
until shot notification.png && [[ $(convert "$OUT/notification.png" -format "%[hex:p{$((px + pw / 2)),$((py + ph - 6))}]" info: 2>/dev/null) != 000000* ]]; do
  ((SECONDS < deadline)) || fail "the notification window was not painted within ${TIMEOUT}s (screenshot: $OUT/notification.png)"
  sleep 0.1
done
echo "desktop-smoke: destination $dest disabled -> desktop notification; screenshot $OUT/notification.png"

# The native menu: File opened with a click, Export workspace... chosen
# with the keyboard, the save dialog accepted (its default file name, in
# the app's home).
win=$(visible)
[[ -n $win ]] || fail "no visible Fusebox window"
n=$(lines)
before=$(xdotool search --onlyvisible --class fusebox 2>/dev/null | wc -l)
xdotool mousemove --window "$win" "$FILE_X" 12 click 1
deadline=$((SECONDS + TIMEOUT))
until (($(xdotool search --onlyvisible --class fusebox 2>/dev/null | wc -l) > before)); do
  ((SECONDS < deadline)) || { shot menu.png; fail "the File menu did not open (screenshot: $OUT/menu.png)"; }
  sleep 0.1
done
shot menu.png
echo "desktop-smoke: File menu open; screenshot $OUT/menu.png"
xdotool key Escape
menu_item "$FILE_X" "$EXPORT"
dialog=$(xdotool search --sync --onlyvisible --name '^Export workspace$' | head -n 1)
[[ -n $dialog ]] || fail "no 'Export workspace' dialog"
xdotool mousemove --window "$dialog" 300 300 key Return
exported=$(wait_log "$n" 'msg="workspace exported"' 'the menu wrote the workspace file' | grep -oE 'path=[^ ]+' | cut -d= -f2)
[[ -s $exported ]] || fail "the exported workspace $exported is missing or empty"
grep -q '^importers:' "$exported" || fail "$exported is not a workspace file: $(head -n 5 "$exported")"
echo "desktop-smoke: File > Export workspace wrote $exported ($(wc -c <"$exported") bytes)"
# File > Back up... the same way.
n=$(lines)
menu_item "$FILE_X" "$BACKUP"
dialog=$(xdotool search --sync --onlyvisible --name '^Back up$' | head -n 1)
xdotool mousemove --window "$dialog" 300 300 key Return
backup=$(wait_log "$n" 'msg="backup written"' 'the menu wrote a backup' | grep -oE 'path=[^ ]+' | cut -d= -f2)
tar -tzf "$backup" | grep -qx 'manifest.json' || fail "the backup $backup has no manifest.json: $(tar -tzf "$backup" | head)"
echo "desktop-smoke: File > Back up wrote $backup ($(wc -c <"$backup") bytes)"

# Close to the background: once a host app used the server (a session
# created with an API key), closing the window hides it and the server
# keeps serving; a launch shows it again.
n=$(lines)
secret=$(curl -fsS --max-time 5 -X POST -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
  -d '{"name":"desktop smoke host app","kind":"secret"}' "$base/api/admin/keys" | jq -r .secret)
curl -fsS --max-time 5 -X POST -H "Authorization: Bearer $secret" -H 'Content-Type: application/json' \
  -d '{"importer_slug":"contacts"}' "$base/api/v1/importer/sessions" >/dev/null || fail "a host app could not create a session"
wait_log "$n" 'msg="host app used the server".*keep_running=true' 'the app noticed the host app' >/dev/null
"$tmp/wm-close" "$win" || fail "wm-close $win failed"
wait_log "$n" 'msg="window hidden; the server keeps running"' 'closing the window hid it' >/dev/null
deadline=$((SECONDS + TIMEOUT))
while [[ -n $(visible) ]]; do # the hide runs on the GTK main loop right after the log line
  ((SECONDS < deadline)) || fail "the window is still visible after it was closed"
  sleep 0.05
done
[[ $(curl -fsS --max-time 5 "$base/healthz" | jq -r .status) == ok ]] || fail "/healthz does not answer with the window closed"
shot hidden.png
echo "desktop-smoke: window closed -> hidden, /healthz answers; screenshot $OUT/hidden.png"
n=$(lines)
launch
wait_log "$n" 'msg="window shown" reason="second launch"' 'a launch showed the hidden window' >/dev/null
deadline=$((SECONDS + TIMEOUT))
until [[ -n $(visible) ]]; do
  ((SECONDS < deadline)) || fail "the window did not come back after a launch"
  sleep 0.1
done
echo "desktop-smoke: a launch showed the window again"

# Window state: moved and resized, then `fusebox quit`; desktop.json has it
# and the next start opens there.
win=$(visible)
xdotool windowsize --sync "$win" 1100 680 windowmove --sync "$win" 30 20
"$BIN" quit --data-dir "$tmp/data" >"$tmp/quit.out" 2>&1 || fail "fusebox quit failed: $(cat "$tmp/quit.out")"
grep -q '^Stopped Fusebox' "$tmp/quit.out" || fail "fusebox quit said: $(cat "$tmp/quit.out")"
wait "$app_pid" && code=0 || code=$?
app_pid=''
((code == 0)) || fail "the app exited $code after fusebox quit"
state=$(jq -c '.window' "$tmp/data/desktop.json")
[[ $state == '{"width":1100,"height":680,"x":30,"y":20,"maximised":false}' ]] || fail "desktop.json window after quit: $state"
echo "desktop-smoke: fusebox quit stopped the app (exit 0); desktop.json window $state"
n=$(lines)
DISPLAY=$display FUSEBOX_LOG=$log "$BIN" --addr 127.0.0.1:0 --data-dir "$tmp/data" >>"$tmp/stdout.log" 2>&1 &
app_pid=$!
wait_log "$n" 'msg="window placed" width=1100 height=680 x=30 y=20' 'the window opened where it was' >/dev/null
wait_log "$n" 'console ready' 'the console came back' >/dev/null
geom=$(xdotool getwindowgeometry "$(visible)" | tr -s ' \n' ' ')
[[ $geom == *'Position: 30,20 '* && $geom == *'Geometry: 1100x680'* ]] || fail "the window reopened at $geom, want 1100x680 at 30,20"
echo "desktop-smoke: the window reopened at 1100x680 +30+20"

# No host app in this run, so closing would quit; imports are in progress
# (the Try views above), so it asks first. Escape answers No: the window stays.
win=$(visible)
before=$(xdotool search --onlyvisible --class fusebox 2>/dev/null | sort)
n=$(lines)
"$tmp/wm-close" "$win" || fail "wm-close $win failed"
wait_log "$n" 'msg="asking before stopping" pending=.*import' 'closing asked first, naming the imports in progress' >/dev/null
deadline=$((SECONDS + TIMEOUT))
until ask=$(comm -13 <(printf '%s\n' "$before") <(xdotool search --onlyvisible --class fusebox 2>/dev/null | sort) | head -n 1) && [[ -n $ask ]]; do
  ((SECONDS < deadline)) || fail "no dialog window after closing with imports in progress"
  sleep 0.05
done
sleep_until_painted() { # the dialog maps, then paints: wait until its middle is not black
  local X Y WIDTH HEIGHT SCREEN WINDOW
  eval "$(xdotool getwindowgeometry --shell "$1")"
  until shot "$2" && [[ $(convert "$OUT/$2" -format "%[hex:p{$((X + WIDTH / 2)),$((Y + HEIGHT / 2))}]" info: 2>/dev/null) != 000000* ]]; do
    ((SECONDS < deadline)) || fail "the window $1 was not painted within ${TIMEOUT}s"
    sleep 0.1
  done
  xdotool mousemove $((X + WIDTH / 2)) $((Y + HEIGHT / 2))
}
sleep_until_painted "$ask" close-ask.png
xdotool key Escape
wait_log "$n" 'msg="close cancelled; the window stays"' 'No kept the window' >/dev/null
[[ -n $(visible) ]] || fail "the window is gone after answering No"
echo "desktop-smoke: closing with imports in progress asked first (screenshot $OUT/close-ask.png); No kept the window"

# Without a notification server the notice shows in the console instead.
kill -TERM "$notifyd_pid" 2>/dev/null
wait "$notifyd_pid" 2>/dev/null || true
notifyd_pid=''
base=$(grep -oE 'listening on http://127\.0\.0\.1:[0-9]+' "$tmp/stdout.log" | tail -n 1 | sed 's/^listening on //')
dest=$(admin /api/admin/relay/destinations | jq -r '[.destinations[] | select(.enabled)][0].destination.id // empty')
[[ -n $dest ]] || fail "no enabled relay destination left to disable"
n=$(lines)
curl -fsS --max-time 5 -X POST -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
  -d '{"enabled":false}' "$base/api/admin/relay/destinations/$dest/enabled" >/dev/null || fail "cannot disable relay destination $dest"
wait_log "$n" "msg=notification kind=destination-disabled .*native=false" "a console notice for the disabled destination $dest" >/dev/null
shot console-notice.png
echo "desktop-smoke: with no notification server, destination $dest disabled -> notice in the console; screenshot $OUT/console-notice.png"
"$BIN" quit --data-dir "$tmp/data" >/dev/null || fail "the second fusebox quit failed"
wait "$app_pid" && code=0 || code=$?
app_pid=''
((code == 0)) || fail "the app exited $code after the second fusebox quit"
echo "desktop-smoke: fusebox quit stopped it again"
echo "desktop-smoke: OK"
