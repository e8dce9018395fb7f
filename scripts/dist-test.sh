#!/usr/bin/env bash
# `make test-dist`: tests what a user installs, from the artifacts `make
# dist` wrote to dist/ (builds nothing). Stages, each timed:
#   checksums  SHA256SUMS matches every artifact
#   binaries   the static binaries' headers (linux/arm64 ELF AArch64, darwin Mach-O, windows PE)
#   deb        apt-get install ./dist/fusebox_<v>_amd64.deb; fusebox version; man page, .desktop entry,
#              icons, the fusebox user and /var/lib/fusebox; fusebox.service installed but not enabled;
#              the desktop smoke (scripts/desktop-smoke.sh) against /usr/bin/fusebox under Xvfb;
#              apt-get remove leaves a user's data dir and /var/lib/fusebox
#   wine       the Windows binary under wine64: serve answers /healthz; import of a CSV and an XLSX
#              into a data dir with a Windows path gives the same JSON summary as the Linux binary;
#              without WebView2 (wine has none) the window's message says what to install
#   nsis       the installer runs silently (/S) under wine, installs a runnable fusebox.exe and a
#              Start-menu entry; the silent uninstaller removes it and keeps the user's data dir
# Wine 8.0 (Debian 12) lacks bcryptprimitives.dll, which Go 1.24+ Windows binaries load at start: a
# test-only shim (scripts/wine-shim/bcryptprimitives.c, ProcessPrng over BCryptGenRandom) is built
# into the test wine prefix's system32. It is never shipped.
# Ends with "N passed, N failed". Needs root or sudo (apt-get), and make deps-dist's packages.
set -uo pipefail
cd "$(dirname "$0")/.."
V=${DIST_VERSION:-$(scripts/dist-version.sh)}
OUT=dist
ART=test-artifacts/dist
SUDO=''
[[ $(id -u) == 0 ]] || SUDO=sudo
mkdir -p "$ART"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/fusebox-dist-test.XXXXXX")
# One wine prefix for the wine and nsis stages.
export WINEPREFIX=$tmp/wine WINEDEBUG=-all WINEARCH=win64 WINEDLLOVERRIDES='mscoree,mshtml=;bcryptprimitives=n'
cleanup() {
  [[ -d $WINEPREFIX ]] && wineserver -k 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
passed=0 failed=0
deb=$OUT/fusebox_${V}_amd64.deb
winexe=$OUT/fusebox-$V-windows-amd64.exe
setup=$OUT/fusebox-$V-windows-amd64-setup.exe

if [[ ! -f $deb || ! -f $winexe || ! -f $setup ]]; then
  echo "dist-test: dist/ has no artifacts of version $V; run make dist first" >&2
  exit 1
fi

# Each stage runs in a subshell: fail ends the stage.
fail() { echo "dist-test: FAIL: $*" >&2; exit 1; }
stage() { # name function
  local t=$SECONDS
  echo "== $1"
  if ("$2") >"$ART/$1.log" 2>&1; then
    tail -n 3 "$ART/$1.log"; passed=$((passed + 1)); printf '== %s: passed (%ds)\n' "$1" $((SECONDS - t))
  else
    cat "$ART/$1.log"; failed=$((failed + 1)); printf '== %s: FAILED (%ds)\n' "$1" $((SECONDS - t))
  fi
}

# --- checksums and headers ---------------------------------------------------------------
checksums() {
  (cd "$OUT" && sha256sum -c SHA256SUMS) || fail "SHA256SUMS does not match"
  n=$(wc -l <"$OUT/SHA256SUMS")
  ((n == 8)) || fail "SHA256SUMS lists $n files, want 8 (the .deb, two Windows .exe, five archives)"
}

binaries() {
  local want=(
    "linux-amd64.tar.gz|fusebox|ELF 64-bit LSB executable, x86-64.*statically linked"
    "linux-arm64.tar.gz|fusebox|ELF 64-bit LSB executable, ARM aarch64.*statically linked"
    "darwin-arm64.tar.gz|fusebox|Mach-O 64-bit arm64 executable"
    "darwin-amd64.tar.gz|fusebox|Mach-O 64-bit x86_64 executable"
    "windows-arm64.zip|fusebox.exe|PE32\\+ executable \\(console\\) Aarch64"
  )
  for w in "${want[@]}"; do
    IFS='|' read -r suffix exe re <<<"$w"
    f=$OUT/fusebox-$V-$suffix
    d=$tmp/bin-$suffix
    mkdir -p "$d"
    if [[ $suffix == *.zip ]]; then unzip -q "$f" -d "$d"; else tar -xzf "$f" -C "$d"; fi
    top=$d/fusebox-$V-${suffix%%.*}
    for doc in "$exe" README.md; do [[ -f $top/$doc ]] || fail "$f has no $doc"; done
    desc=$(file -b "$top/$exe")
    [[ $desc =~ $re ]] || fail "$f: $exe is '$desc', want /$re/"
    echo "$suffix: $desc"
  done
  # The ELF header of the arm64 binary, field by field.
  readelf -h "$tmp/bin-linux-arm64.tar.gz/fusebox-$V-linux-arm64/fusebox" | tee "$tmp/elf" | grep -E 'Class|Machine|Type'
  grep -q 'Class:.*ELF64' "$tmp/elf" && grep -q 'Machine:.*AArch64' "$tmp/elf" && grep -q 'Type:.*EXEC' "$tmp/elf" ||
    fail "linux/arm64 ELF header is not ELF64 AArch64 EXEC"
  desc=$(file -b "$winexe")
  [[ $desc == *"PE32+ executable (GUI) x86-64"* ]] || fail "$winexe is '$desc', want a PE32+ GUI x86-64 binary"
}

# --- the Debian package --------------------------------------------------------------------------
debian() {
  local apt=(flock /tmp/fusebox-apt.lock $SUDO env DEBIAN_FRONTEND=noninteractive apt-get -y -qq)
  "${apt[@]}" install "./$deb" >/dev/null || fail "apt-get install ./$deb"
  [[ $(/usr/bin/fusebox version) == "fusebox $V" ]] || fail "/usr/bin/fusebox version says '$(/usr/bin/fusebox version)', want 'fusebox $V'"
  echo "installed: $(/usr/bin/fusebox version)"
  dpkg -L fusebox >"$tmp/files"
  for f in /usr/share/applications/fusebox.desktop /usr/share/man/man1/fusebox.1.gz \
    /usr/share/icons/hicolor/16x16/apps/fusebox.png /usr/share/icons/hicolor/512x512/apps/fusebox.png \
    /lib/systemd/system/fusebox.service /etc/default/fusebox; do
    grep -qx "$f" "$tmp/files" && [[ -f $f ]] || fail "the package does not install $f"
  done
  [[ $(identify -format '%wx%h' /usr/share/icons/hicolor/48x48/apps/fusebox.png) == 48x48 ]] || fail "the 48x48 icon is not 48x48"
  zcat /usr/share/man/man1/fusebox.1.gz | grep -q '^\.SS fusebox backup' || fail "the man page has no backup section"
  if command -v desktop-file-validate >/dev/null; then desktop-file-validate /usr/share/applications/fusebox.desktop || fail "the .desktop entry does not validate"; fi
  getent passwd fusebox >/dev/null || fail "postinst did not create the fusebox user"
  [[ $(stat -c '%U %a' /var/lib/fusebox) == "fusebox 700" ]] || fail "/var/lib/fusebox is $(stat -c '%U %a' /var/lib/fusebox), want fusebox 700"
  [[ ! -e /etc/systemd/system/multi-user.target.wants/fusebox.service ]] || fail "fusebox.service is enabled; it must be installed disabled"
  dpkg-deb -f "$deb" Depends | grep -q 'libwebkit2gtk-4.1-0' || fail "Depends lacks libwebkit2gtk-4.1-0"
  dpkg-deb -f "$deb" Depends | grep -q 'libgtk-3-0' || fail "Depends lacks libgtk-3-0"
  # The team server's command line works under its user (the unit's ExecStart, without systemd).
  $SUDO runuser -u fusebox -- /usr/bin/fusebox export --data-dir /var/lib/fusebox >/dev/null || fail "fusebox export as the fusebox user on /var/lib/fusebox"

  # The window of the installed binary.
  FUSEBOX_DESKTOP_BIN=/usr/bin/fusebox SMOKE_OUT=$ART/desktop scripts/desktop-smoke.sh || fail "the desktop smoke against /usr/bin/fusebox"

  # A user's data dir, then apt-get remove.
  local home=$tmp/home
  mkdir -p "$home"
  printf 'version: 1\nimporters:\n  - slug: people\n    name: People\n    columns:\n      - {key: email, label: Email, type: email}\n' >"$tmp/ws.yaml"
  HOME=$home XDG_CONFIG_HOME=$home/.config /usr/bin/fusebox apply "$tmp/ws.yaml" >/dev/null || fail "fusebox apply into the user's data dir"
  local db=$home/.config/fusebox/fusebox.db
  [[ -f $db ]] || fail "no $db after apply"
  local before
  before=$(sha256sum "$db" "$home/.config/fusebox/secrets.key" "$home/.config/fusebox/sessions.key")
  "${apt[@]}" remove fusebox >/dev/null || fail "apt-get remove fusebox"
  [[ ! -e /usr/bin/fusebox ]] || fail "/usr/bin/fusebox is still there after apt-get remove"
  [[ $(sha256sum "$db" "$home/.config/fusebox/secrets.key" "$home/.config/fusebox/sessions.key") == "$before" ]] || fail "apt-get remove changed the user's data dir"
  [[ -d /var/lib/fusebox ]] || fail "apt-get remove deleted /var/lib/fusebox"
  echo "apt-get remove: /usr/bin/fusebox gone; the user's data dir and /var/lib/fusebox kept"
}

# --- Windows under wine ------------------------------------------------------------------------------
winesetup() {
  [[ -f $WINEPREFIX/drive_c/windows/system32/bcryptprimitives.dll ]] && return 0
  DISPLAY='' wineboot -i >/dev/null 2>&1 || { echo "wineboot failed"; return 1; }
  x86_64-w64-mingw32-gcc -O2 -shared -o "$WINEPREFIX/drive_c/windows/system32/bcryptprimitives.dll" \
    scripts/wine-shim/bcryptprimitives.c -lbcrypt || { echo "cannot build the bcryptprimitives shim"; return 1; }
}

# people.csv holds what the Orders sheet of backend/ingest/testdata/sample.xlsx holds.
orders_ws='version: 1
importers:
  - slug: orders
    name: Orders
    settings: {invalid_rows: exclude}
    columns:
      - {key: order_id, label: order_id, type: integer, required: true}
      - {key: customer, label: customer, type: string}
      - {key: ordered_on, label: ordered_on, type: date}
      - {key: amount, label: amount, type: float}
      - {key: zip, label: zip, type: string}
'
summary() { tail -n 1 | jq -c 'del(.import)'; }

wine_run() {
  winesetup || fail "wine prefix"
  local exe=$tmp/fusebox.exe
  cp "$winexe" "$exe"
  [[ $(wine "$exe" version | tr -d '\r') == "fusebox $V" ]] || fail "fusebox.exe version says '$(wine "$exe" version)'"
  # serve answers /healthz
  wine "$exe" serve --addr 127.0.0.1:0 --data-dir 'C:\fusebox-serve' >"$tmp/serve.out" 2>"$tmp/serve.err" &
  spid=$!
  trap 'kill $spid 2>/dev/null; cleanup' EXIT
  local url=''
  for _ in $(seq 1 300); do
    url=$(grep -oE 'listening on http://127\.0\.0\.1:[0-9]+' "$tmp/serve.out" | head -n 1 | sed 's/^listening on //')
    [[ -n $url ]] && break
    sleep 0.1
  done
  [[ -n $url ]] || fail "fusebox.exe serve printed no URL: $(cat "$tmp/serve.err")"
  health=$(curl -fsS --max-time 10 "$url/healthz") || fail "GET $url/healthz"
  [[ $(jq -r .status <<<"$health") == ok && $(jq -r .version <<<"$health") == "$V" ]] || fail "/healthz answered $health"
  echo "fusebox.exe serve: $url/healthz -> $health"
  kill "$spid" 2>/dev/null; wait "$spid" 2>/dev/null

  # import of a CSV and an XLSX into a data dir with a Windows path, as on Linux
  printf '%s' "$orders_ws" >"$tmp/orders.yaml"
  cp backend/ingest/testdata/sample.xlsx "$WINEPREFIX/drive_c/orders.xlsx"
  printf 'order_id,customer,ordered_on,shipped_at,due,amount,zip,share,paid,start\n1001,José Müller,2024-03-15,2024-03-16T10:30:00,2024-04-18,1234.5,02134,0.125,TRUE,10:30:00\n1002,Zoë,2024-03-15,2024-03-16T18:00:00,2024-04-19,7,00501,1,FALSE,12:00:00\n\n1003,Short\n' >"$WINEPREFIX/drive_c/orders.csv"
  cp "$tmp/orders.yaml" "$WINEPREFIX/drive_c/orders.yaml"
  local lin=$tmp/bin-linux-amd64.tar.gz/fusebox-$V-linux-amd64/fusebox
  [[ -x $lin ]] || { mkdir -p "$tmp/lin" && tar -xzf "$OUT/fusebox-$V-linux-amd64.tar.gz" -C "$tmp/lin" && lin=$tmp/lin/fusebox-$V-linux-amd64/fusebox; }
  "$lin" apply --data-dir "$tmp/linux-data" "$tmp/orders.yaml" >/dev/null || fail "linux apply"
  wine "$exe" apply --data-dir 'C:\Users\Public\Fusebox Data' 'C:\orders.yaml' >/dev/null 2>"$tmp/apply.err" || fail "fusebox.exe apply: $(cat "$tmp/apply.err")"
  for f in orders.csv orders.xlsx; do
    want=$("$lin" import --data-dir "$tmp/linux-data" --importer orders "$WINEPREFIX/drive_c/$f" | summary) || fail "linux import $f"
    got=$(wine "$exe" import --data-dir 'C:\Users\Public\Fusebox Data' --importer orders "C:\\$f" 2>"$tmp/import.err" | tr -d '\r' | summary) ||
      fail "fusebox.exe import C:\\$f: $(cat "$tmp/import.err")"
    [[ $got == "$want" ]] || fail "C:\\$f: fusebox.exe says $got, Linux says $want"
    echo "import C:\\$f -> $got (same as Linux)"
  done
  [[ -f "$WINEPREFIX/drive_c/users/Public/Fusebox Data/fusebox.db" ]] || fail "no fusebox.db in C:\\Users\\Public\\Fusebox Data"

  # Wine has no WebView2: the window's first words say what to do (screenshot: webview2-missing.png).
  # A fresh wine session, so its desktop process starts on this display.
  wineserver -k 2>/dev/null; wineserver -w 2>/dev/null
  Xvfb -displayfd 3 -screen 0 1024x768x24 -nolisten tcp 3>"$tmp/display" 2>/dev/null &
  xpid=$!
  for _ in $(seq 1 100); do [[ -s $tmp/display ]] && break; sleep 0.1; done
  local d=":$(tr -d '[:space:]' <"$tmp/display")"
  DISPLAY=$d wine "$exe" --data-dir 'C:\fusebox-window' >/dev/null 2>&1 &
  gpid=$!
  trap 'kill $spid $gpid $xpid 2>/dev/null; cleanup' EXIT
  local box=''
  for _ in $(seq 1 120); do
    box=$(DISPLAY=$d xdotool search --name '^Fusebox needs the WebView2 Runtime$' 2>/dev/null | head -n 1) && [[ -n $box ]] && break
    sleep 0.25
  done
  DISPLAY=$d import -window root "$ART/webview2-missing.png" 2>/dev/null || true
  kill "$gpid" 2>/dev/null; wineserver -k 2>/dev/null; kill "$xpid" 2>/dev/null
  [[ -n $box ]] || fail "fusebox.exe without WebView2 showed no 'Fusebox needs the WebView2 Runtime' message (screenshot: $ART/webview2-missing.png)"
  echo "without WebView2 the window says so (screenshot: $ART/webview2-missing.png)"
}

nsis_run() {
  winesetup || fail "wine prefix"
  wine "$setup" /S || fail "the installer /S exited $?"
  wineserver -w
  local pf="$WINEPREFIX/drive_c/Program Files/Fusebox"
  [[ -f $pf/fusebox.exe && -f $pf/uninstall.exe ]] || fail "the installer put no fusebox.exe and uninstall.exe in Program Files\\Fusebox: $(ls -la "$pf" 2>&1)"
  [[ $(wine 'C:\Program Files\Fusebox\fusebox.exe' version | tr -d '\r') == "fusebox $V" ]] || fail "the installed fusebox.exe does not run"
  local lnk
  lnk=$(find "$WINEPREFIX/drive_c" -path '*Start Menu/Programs/Fusebox/Fusebox.lnk' | head -n 1)
  [[ -n $lnk ]] || fail "no Start-menu entry Fusebox\\Fusebox.lnk"
  echo "installed: C:\\Program Files\\Fusebox\\fusebox.exe ($(wine 'C:\Program Files\Fusebox\fusebox.exe' version | tr -d '\r')); Start menu: ${lnk#$WINEPREFIX/}"
  # The user's data dir (%APPDATA%\fusebox) survives a silent uninstall.
  wine 'C:\Program Files\Fusebox\fusebox.exe' apply 'C:\orders.yaml' >/dev/null || fail "the installed fusebox.exe apply (default data dir)"
  local data
  data=$(find "$WINEPREFIX/drive_c/users" -path '*AppData/Roaming/fusebox/fusebox.db' | head -n 1)
  [[ -n $data ]] || fail "no data dir in %APPDATA%\\fusebox after apply"
  wine 'C:\Program Files\Fusebox\uninstall.exe' /S '_?=C:\Program Files\Fusebox' || fail "the uninstaller /S exited $?"
  wineserver -w
  [[ ! -f $pf/fusebox.exe ]] || fail "fusebox.exe is still installed after the uninstaller"
  [[ -z $(find "$WINEPREFIX/drive_c" -path '*Start Menu/Programs/Fusebox/Fusebox.lnk') ]] || fail "the Start-menu entry is still there"
  [[ -f $data ]] || fail "the uninstaller deleted the user's data dir"
  echo "uninstalled; the data dir ${data#$WINEPREFIX/} is kept"
}

echo "dist-test: version $V"
stage checksums checksums
stage binaries binaries
stage deb debian
stage wine wine_run
stage nsis nsis_run
echo
echo "$passed passed, $failed failed"
((failed == 0))
