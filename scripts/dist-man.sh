#!/usr/bin/env bash
# Writes the fusebox(1) man page (roff) to stdout from the binary's own
# help: `fusebox help` for the synopsis and the command list, then each
# command's `fusebox COMMAND -h`, verbatim. Usage: dist-man.sh BIN VERSION
set -euo pipefail
BIN=$1 VERSION=$2
esc() { sed -e 's/\\/\\e/g' -e 's/^\./\\\&./' -e "s/^'/\\\\\&'/"; }
help=$("$BIN" help)
date=$(date -u -d "@${SOURCE_DATE_EPOCH:-$(date +%s)}" +%Y-%m-%d)
cat <<HEAD
.TH FUSEBOX 1 "$date" "fusebox $VERSION" "User Commands"
.SH NAME
fusebox \- local data importer, session issuer, integrations marketplace and relay in one program
.SH SYNOPSIS
.B fusebox
[\fIcommand\fR] [\fIflags\fR]
.SH DESCRIPTION
Fusebox lets a web app embed a data importer and an integrations marketplace
without a cloud account. With no command it opens the desktop window (the
admin console); \fBfusebox serve\fR runs the same server headless for a team
or for CI. What follows is the program's own help.
.PP
.nf
HEAD
esc <<<"$help"
echo ".fi"
echo ".SH COMMANDS"
for cmd in $(sed -nE 's/^  ([a-z][a-z-]*) .*/\1/p' <<<"$help"); do
  case $cmd in help|version) continue ;; esac
  echo ".SS fusebox $cmd"
  echo ".nf"
  { "$BIN" "$cmd" -h 2>&1 || true; } | esc
  echo ".fi"
done
cat <<TAIL
.SH FILES
.TP
.I ~/.config/fusebox
the default data dir (\fB\-\-data\-dir\fR, \fBFUSEBOX_DATA_DIR\fR): fusebox.db, the key files, admin.token, uploads/
.TP
.I /var/lib/fusebox
the data dir of the optional team server unit \fBfusebox.service\fR (disabled until you enable it); its flags are in \fI/etc/default/fusebox\fR
.SH SEE ALSO
The documentation in the source repository's docs/ folder: cli.md (commands, data dir, configuration), backup.md, security.md.
TAIL
