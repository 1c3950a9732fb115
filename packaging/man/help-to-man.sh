#!/usr/bin/env bash
# Writes a gzipped man page for one of the relay's executables from its own
# --help text, so the page cannot drift from the program.
#   help-to-man.sh PROGRAM SECTION SUMMARY VERSION OUT.gz
# For relay-cli, every command's --help follows the overview.
set -euo pipefail
program=$1 section=$2 summary=$3 version=$4 out=$5
name=$(basename "$program")

# roff: a backslash is \e; "-" is a hyphen unless written \- (flags must
# stay ASCII minus signs to be copied); a line starting with . or ' would be
# a request.
escape() { sed -e 's/\\/\\e/g' -e 's/-/\\-/g' -e "s/^\\([.']\\)/\\\\\\&\\1/"; }

{
  printf '.TH %s %s "" "relay %s" "relay"\n' "$(tr '[:lower:]' '[:upper:]' <<<"$name")" "$section" "$version"
  printf '.SH NAME\n%s \\- %s\n' "$name" "$summary"
  printf '.SH SYNOPSIS\n'
  if [ "$name" = relay-cli ]; then
    printf '.B %s\n\\fICOMMAND\\fR [\\fIFLAGS\\fR]\n' "$name"
  else
    printf '.B %s\n[\\fIOPTIONS\\fR]\n' "$name"
  fi
  printf '.SH DESCRIPTION\nThe text below is what\n.B %s \\-\\-help\nprints.\n.PP\n.nf\n' "$name"
  "$program" --help | escape
  printf '.fi\n'
  if [ "$name" = relay-cli ]; then
    for cmd in $("$program" --help | awk '/^Commands:/ { on = 1; next } on && NF == 0 { exit } on { print $1 }'); do
      printf '.SS %s\n.nf\n' "$cmd"
      "$program" "$cmd" --help | escape
      printf '.fi\n'
    done
  fi
  printf '.SH VERSION\n.B %s \\-\\-version\nprints the version and the git commit it was built from.\n' "$name"
  printf '.SH SEE ALSO\n'
  if [ "$name" = relay ]; then printf '.BR relay-cli (1),\n'; else printf '.BR relay (1),\n'; fi
  printf '/usr/share/doc/relay/\n'
} | gzip -9n >"$out"
