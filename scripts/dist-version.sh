#!/usr/bin/env bash
# Prints the version `make dist` builds, from git: X.Y.Z on a commit
# tagged vX.Y.Z; otherwise the last tag's version (else wails.json's
# productVersion) followed by ~dev.N.gHASH, N the commit count, so Debian
# and people both sort it below the release it leads to; .dirty when the
# work tree has changes. The same string is in every artifact's name and
# in what `fusebox version` prints.
set -euo pipefail
cd "$(dirname "$0")/.."
if tag=$(git describe --tags --exact-match --match 'v[0-9]*' 2>/dev/null); then
  v=${tag#v}
else
  base=$(git describe --tags --abbrev=0 --match 'v[0-9]*' 2>/dev/null || true)
  base=${base#v}
  [[ -n $base ]] || base=$(sed -nE 's/.*"productVersion": *"([^"]+)".*/\1/p' wails.json)
  v="${base:-0.0.0}~dev.$(git rev-list --count HEAD).g$(git rev-parse --short=7 HEAD)"
fi
if [[ -n $(git status --porcelain --untracked-files=no 2>/dev/null) ]]; then
  v="$v.dirty"
fi
echo "$v"
