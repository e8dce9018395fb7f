#!/usr/bin/env bash
# `make dist`: every release artifact into dist/, versioned from git
# (scripts/dist-version.sh), the frontend already built (make frontend):
#
#   fusebox_<v>_amd64.deb                  desktop binary (/usr/bin/fusebox), .desktop entry, icons,
#                                          man page, optional fusebox.service (disabled)
#   fusebox-<v>-windows-amd64.exe          the Windows desktop binary (WebView2), also headless: serve
#   fusebox-<v>-windows-amd64-setup.exe    its NSIS installer
#   fusebox-<v>-<os>-<arch>.tar.gz / .zip  static headless binaries (CGO_ENABLED=0) with README and licence:
#                                          linux/amd64, linux/arm64, darwin/arm64, darwin/amd64, windows/arm64
#   SHA256SUMS
#
# Only these files are replaced; other things in dist/ (dist/npm, the SDK
# package) are left alone. Each step prints how long it took.
# Needs: go, dpkg-deb and dpkg-shlibdeps (dpkg-dev), convert (imagemagick),
# makensis (nsis), x86_64-w64-mingw32-windres (binutils-mingw-w64), zip, gzip.
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
V=${DIST_VERSION:-$(scripts/dist-version.sh)}
OUT=dist
LDFLAGS="-s -w -X main.version=$V"
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct)}
export GOFLAGS="${GOFLAGS:-} -trimpath"

for tool in dpkg-deb dpkg-shlibdeps convert makensis x86_64-w64-mingw32-windres zip; do
  command -v "$tool" >/dev/null || { echo "dist: '$tool' not found (make deps-dist installs what dist needs)" >&2; exit 1; }
done
[[ -f frontend/dist/index.html ]] || { echo "dist: build the frontend first (make frontend)" >&2; exit 1; }

stage=$(mktemp -d "${TMPDIR:-/tmp}/fusebox-dist.XXXXXX")
syso=fusebox_windows_amd64.syso
trap 'rm -rf "$stage"; rm -f "$syso"' EXIT
mkdir -p "$OUT"
rm -f "$OUT"/fusebox_*.deb "$OUT"/fusebox-*.tar.gz "$OUT"/fusebox-*.zip "$OUT"/fusebox-*.exe "$OUT"/SHA256SUMS

t0=$SECONDS
step() { echo "dist: $* ($((SECONDS - t0))s so far)"; }
licence=()
for f in LICENSE LICENSE.md LICENCE COPYING; do [[ -f $f ]] && licence+=("$f"); done
((${#licence[@]})) || echo "dist: warning: the repository has no LICENSE file; the archives hold the README only" >&2

# reproducible archives: names sorted, owner root, times of the commit
tarz() { # OUT.tar.gz DIR NAME
  tar -C "$2" --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$SOURCE_DATE_EPOCH" -cf - "$3" | gzip -9n >"$1"
}

# --- static headless binaries -------------------------------------------------
for target in linux/amd64 linux/arm64 darwin/arm64 darwin/amd64 windows/arm64; do
  os=${target%/*} arch=${target#*/}
  name=fusebox-$V-$os-$arch
  exe=fusebox; [[ $os == windows ]] && exe=fusebox.exe
  mkdir -p "$stage/$name"
  CGO_ENABLED=0 GOOS=$os GOARCH=$arch $GO build -ldflags "$LDFLAGS" -o "$stage/$name/$exe" .
  cp README.md ${licence[@]+"${licence[@]}"} "$stage/$name/"
  touch -d "@$SOURCE_DATE_EPOCH" "$stage/$name"/*
  if [[ $os == windows ]]; then
    (cd "$stage" && zip -qrX9 "$OLDPWD/$OUT/$name.zip" "$name")
  else
    tarz "$OUT/$name.tar.gz" "$stage" "$name"
  fi
  step "$name"
done

# --- icons ----------------------------------------------------------------------
icons=$stage/icons
mkdir -p "$icons"
for s in 16 24 32 48 64 128 256 512; do
  convert build/appicon.png -resize "${s}x${s}" -strip "PNG32:$icons/$s.png"
done
convert build/appicon.png -define icon:auto-resize=256,128,64,48,32,16 "$icons/fusebox.ico"

# --- Windows desktop binary and installer ------------------------------------------
IFS=. read -r vmaj vmin vpat _ <<<"${V%%~*}"
vnum="${vmaj:-0},${vmin:-0},${vpat:-0},0"
vdot="${vmaj:-0}.${vmin:-0}.${vpat:-0}.0"
x86_64-w64-mingw32-windres -O coff -I build/windows -DVERSION_NUM="$vnum" -DVERSION_STR="\\\"$V\\\"" \
  -DICON_PATH="\\\"$icons/fusebox.ico\\\"" build/windows/fusebox.rc -o "$syso"
winexe=$OUT/fusebox-$V-windows-amd64.exe
GOOS=windows GOARCH=amd64 CGO_ENABLED=0 $GO build -tags desktop,production,wv2runtime.browser \
  -ldflags "$LDFLAGS -H windowsgui" -o "$winexe" .
rm -f "$syso"
step "$(basename "$winexe")"
makensis -V2 -INPUTCHARSET UTF8 -DVERSION="$V" -DVIVERSION="$vdot" -DEXE="$PWD/$winexe" \
  -DICON="$icons/fusebox.ico" -DOUTFILE="$PWD/$OUT/fusebox-$V-windows-amd64-setup.exe" build/windows/installer.nsi
step "fusebox-$V-windows-amd64-setup.exe"

# --- Debian package ---------------------------------------------------------------------
# The desktop binary needs cgo and the GTK/WebKit headers (make deps-desktop).
deb=$stage/deb
mkdir -p "$deb/DEBIAN" "$deb/usr/bin" "$deb/usr/share/applications" "$deb/usr/share/man/man1" \
  "$deb/usr/share/doc/fusebox" "$deb/lib/systemd/system" "$deb/etc/default"
CGO_ENABLED=1 $GO build -tags desktop,production,webkit2_41 -ldflags "$LDFLAGS" -o "$deb/usr/bin/fusebox" .
step "desktop binary (linux/amd64)"
install -m 0644 build/linux/fusebox.desktop "$deb/usr/share/applications/fusebox.desktop"
for s in 16 24 32 48 64 128 256 512; do
  install -D -m 0644 "$icons/$s.png" "$deb/usr/share/icons/hicolor/${s}x${s}/apps/fusebox.png"
done
scripts/dist-man.sh "$deb/usr/bin/fusebox" "$V" | gzip -9n >"$deb/usr/share/man/man1/fusebox.1.gz"
install -m 0644 build/linux/fusebox.service "$deb/lib/systemd/system/fusebox.service"
install -m 0644 build/linux/fusebox.default "$deb/etc/default/fusebox"
install -m 0644 README.md "$deb/usr/share/doc/fusebox/README.md"
{
  echo "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/"
  echo "Upstream-Name: fusebox"
  echo
  echo "Files: *"
  if ((${#licence[@]})); then echo "License: see below"; echo; sed 's/^$/./; s/^/ /' "${licence[0]}"; else echo "License: not stated by the project"; fi
} >"$deb/usr/share/doc/fusebox/copyright"
for f in postinst prerm postrm; do install -m 0755 "build/linux/$f" "$deb/DEBIAN/$f"; done
echo /etc/default/fusebox >"$deb/DEBIAN/conffiles"
# Runtime dependencies from the libraries the binary links (WebKitGTK 4.1, GTK 3, ...).
mkdir -p "$stage/shlibs/debian"
echo "Source: fusebox" >"$stage/shlibs/debian/control"
depends=$(cd "$stage/shlibs" && dpkg-shlibdeps -O "$deb/usr/bin/fusebox" 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
[[ $depends == *libwebkit2gtk-4.1* && $depends == *libgtk-3* ]] || { echo "dist: unexpected dependencies: $depends" >&2; exit 1; }
size=$(du -sk --exclude=DEBIAN "$deb" | cut -f1)
cat >"$deb/DEBIAN/control" <<CONTROL
Package: fusebox
Version: $V
Architecture: amd64
Maintainer: Fusebox <fusebox@localhost>
Installed-Size: $size
Depends: $depends, adduser
Recommends: xdg-utils
Section: devel
Priority: optional
Description: data importer, session issuer, integrations marketplace and relay
 Fusebox lets a web app embed a data importer (CSV, TSV, XLSX, JSON) and an
 integrations marketplace without a cloud account: one program, the desktop
 window is the admin console, and the same server runs headless
 (fusebox serve) for a team. An optional systemd unit, fusebox.service,
 installed disabled, runs it as a team server under its own user with its
 data in /var/lib/fusebox.
CONTROL
find "$deb" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
dpkg-deb --root-owner-group -Zxz --build "$deb" "$OUT/fusebox_${V}_amd64.deb" >/dev/null
step "fusebox_${V}_amd64.deb"

# --- checks: every artifact carries the version ----------------------------------------------
(cd "$OUT" && for f in fusebox_*.deb fusebox-*.tar.gz fusebox-*.zip fusebox-*.exe; do [[ -e $f ]] && echo "$f"; done | sort | xargs sha256sum >SHA256SUMS)
got=$("$deb/usr/bin/fusebox" version)
[[ $got == "fusebox $V" ]] || { echo "dist: the desktop binary says '$got', want 'fusebox $V'" >&2; exit 1; }
tar -xzOf "$OUT/fusebox-$V-linux-amd64.tar.gz" "fusebox-$V-linux-amd64/fusebox" >"$stage/fb" && chmod +x "$stage/fb"
got=$("$stage/fb" version)
[[ $got == "fusebox $V" ]] || { echo "dist: the linux/amd64 binary says '$got', want 'fusebox $V'" >&2; exit 1; }
for f in "$OUT"/fusebox-*.tar.gz "$OUT"/fusebox-*.zip; do
  if [[ $f == *.zip ]]; then unzip -p "$f" '*/fusebox.exe' >"$stage/bin"; else tar -xzOf "$f" --wildcards '*/fusebox' >"$stage/bin"; fi
  grep -qaF "$V" "$stage/bin" || { echo "dist: $f: no version $V inside" >&2; exit 1; }
done
grep -qaF "$V" "$winexe" || { echo "dist: $winexe: no version $V inside" >&2; exit 1; }
[[ $(dpkg-deb -f "$OUT/fusebox_${V}_amd64.deb" Version) == "$V" ]] || { echo "dist: the .deb's Version is not $V" >&2; exit 1; }
step "checked; done"
ls -l "$OUT" | grep -v ' npm$'
