#!/usr/bin/env bash
# Writes the manual pages carilab-cli(1) and carilab(1) and the bash completion of carilab-cli
# from the built programs' own --help output, so none of them can disagree with what the
# programs accept (packaging/CMakeLists.txt runs this at build time; docs/packaging.md).
#   cli_docs.sh --cli PATH [--gui PATH] --version V --date YYYY-MM-DD --out DIR
# Writes DIR/carilab-cli.1.gz, DIR/carilab.1.gz (with --gui) and DIR/carilab-cli (completion).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cli="" gui="" version="" date="" out=""
while (($#)); do
  case "$1" in
    --cli) cli=$2; shift 2 ;;
    --gui) gui=$2; shift 2 ;;
    --version) version=$2; shift 2 ;;
    --date) date=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    *) echo "cli_docs.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ -n "$cli" ] && [ -n "$version" ] && [ -n "$date" ] && [ -n "$out" ] || { echo "usage: $0 --cli PATH [--gui PATH] --version V --date YYYY-MM-DD --out DIR" >&2; exit 2; }
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The programs describe their defaults with the user's own folders: run them with HOME=~ so the
# pages say "~/.local/share/carilab/runs" rather than the build machine's home. No re-execution
# (process_launcher.h), no display.
run() {
  env -i PATH="$PATH" HOME='~' LANG=C.UTF-8 CARILAB_NO_RUNTIME_TUNING=1 QT_QPA_PLATFORM=offscreen "$@" 2>/dev/null
}

# One --help text of carilab-cli (Args::help's layout, or a command's own usage lines) as records:
#   U|usage line   D|description line   A|NAME|help   O|name|VALUE|help   C|command|summary
# with \037 (unit separator) for |: an empty field (a flag's VALUE) must not collapse in `read`.
parse_args_help() {
  awk -v FS_=$'\037' '
    function flush() { if (kind != "") { print kind FS_ name FS_ (kind == "O" ? value FS_ : "") help; kind = "" } }
    /^usage: / { sub(/^usage: /, ""); print "U" FS_ $0; section = "usage"; next }
    section == "usage" && /^       carilab-cli / { sub(/^ +/, ""); print "U" FS_ $0; next }
    /^arguments:$/ { flush(); section = "arguments"; next }
    /^options:$/ { flush(); section = "options"; next }
    /^commands:$/ { flush(); section = "commands"; next }
    section == "options" && /^  --/ {
      flush(); line = substr($0, 5); kind = "O"; help = ""
      # carilab-cli --help puts the help on the same line, after two spaces or more
      if (match(line, /  +/)) { help = substr(line, RSTART + RLENGTH); line = substr(line, 1, RSTART - 1) }
      sp = index(line, " "); name = sp ? substr(line, 1, sp - 1) : line; value = sp ? substr(line, sp + 1) : ""
      next
    }
    section == "arguments" && /^  [^ ]/ { flush(); kind = "A"; name = substr($0, 3); help = ""; next }
    (section == "options" || section == "arguments") && /^      +[^ ]/ && kind != "" {
      t = $0; sub(/^ +/, "", t); help = help (help == "" ? "" : " ") t; next
    }
    section == "commands" && /^  [a-z]/ { flush(); c = substr($0, 3); sp = index(c, " "); t = substr(c, sp); sub(/^ +/, "", t); print "C" FS_ substr(c, 1, sp - 1) FS_ t; next }
    section == "usage" || section == "description" { section = "description"; t = $0; sub(/^ +/, "", t); print "D" FS_ t; next }
    /^$/ { flush(); next }
    { flush(); if ($0 !~ /^Run .carilab-cli/) print "T" FS_ $0 }
    END { flush() }
  '
}

# roff text: backslashes and hyphens escaped, a leading dot or quote made harmless.
roff_text() {
  awk '{
    out = ""
    for (i = 1; i <= length($0); ++i) {
      c = substr($0, i, 1)
      if (c == "\\") out = out "\\e"
      else if (c == "-") out = out "\\-"
      else out = out c
    }
    if (out ~ /^[.\x27]/) out = "\\&" out
    print out
  }'
}

# Records -> roff for one command: synopsis, description, arguments and options.
records_to_roff() {
  local records=$1
  { echo ".nf"; awk -F $'\037' '$1 == "U"' "$records" | cut -d $'\037' -f2 | roff_text; echo ".fi"; }
  local desc
  desc=$(awk -F $'\037' '$1 == "D" || $1 == "T" { print $2 }' "$records" | sed '/./,$!d' | cat -s)
  if [ -n "$desc" ]; then echo ".PP"; printf '%s\n' "$desc" | roff_text | sed 's/^$/.PP/'; fi
  awk -F $'\037' '$1 == "A"' "$records" | while IFS=$'\037' read -r _ name help; do
    printf '.TP\n.I %s\n%s\n' "$(printf '%s' "$name" | roff_text)" "$(printf '%s' "$help" | roff_text)"
  done
  awk -F $'\037' '$1 == "O"' "$records" | while IFS=$'\037' read -r _ name value help; do
    if [ -n "$value" ]; then
      printf '.TP\n.BI "\\-\\-%s " "%s"\n' "$(printf '%s' "$name" | roff_text)" "$(printf '%s' "$value" | roff_text)"
    else
      printf '.TP\n.B \\-\\-%s\n' "$(printf '%s' "$name" | roff_text)"
    fi
    printf '%s\n' "$help" | roff_text
  done
}

# The completion of one option's value, from its value name: a list of words (auto|folder|...),
# folders (DIR, PATH), files (FILE, IMAGE, FILE.csv), or nothing (N, X, ...).
value_kind() {
  case "$1" in
    *'|'*) local w=${1//|/ }; case " $w " in *" FILE "*) echo "files ${w// FILE/}" ;; *) echo "words $w" ;; esac ;;
    DIR | PATH | RUN) echo dirs ;;
    FILE | FILE.* | IMAGE) echo files ;;
    [a-z]*) echo "words $1" ;;
    *) echo none ;;
  esac
}

# ---- carilab-cli: the command list, then every command's (and sub-command's) --help ----------
run "$cli" --help | parse_args_help > "$tmp/top"
commands=$(awk -F $'\037' '$1 == "C" { print $2 }' "$tmp/top")
[ -n "$commands" ] || { echo "cli_docs.sh: '$cli --help' lists no commands" >&2; exit 1; }
declare -a units=()
for c in $commands; do
  run "$cli" "$c" --help > "$tmp/help.$c" || { echo "cli_docs.sh: '$cli $c --help' failed" >&2; exit 1; }
  # A command with sub-commands prints one usage line per sub-command: carilab-cli dataset info PATH ...
  subs=$(sed -n "s/^\(usage: \)\{0,1\} *carilab-cli $c \([a-z][a-z-]*\)\( .*\)\{0,1\}$/\2/p" "$tmp/help.$c" | awk '!seen[$0]++')
  if [ -n "$subs" ]; then
    parse_args_help < "$tmp/help.$c" > "$tmp/rec.$c"
    echo "$subs" > "$tmp/subs.$c"
    for s in $subs; do
      run "$cli" "$c" "$s" --help | parse_args_help > "$tmp/rec.$c.$s" || { echo "cli_docs.sh: '$cli $c $s --help' failed" >&2; exit 1; }
      units+=("$c.$s")
    done
  else
    parse_args_help < "$tmp/help.$c" > "$tmp/rec.$c"
    units+=("$c")
  fi
done

summary=$(awk -F $'\037' '$1 == "D" && $2 != "" { print $2; exit }' "$tmp/top" | sed 's/^CariLab: //; s/\.$//')
{
  echo ".\\\" Generated by packaging/cli_docs.sh from 'carilab-cli --help' and each command's --help."
  echo ".TH CARILAB-CLI 1 \"$date\" \"CariLab $version\" \"User Commands\""
  echo ".SH NAME"
  echo "carilab-cli \\- $(printf '%s' "$summary" | roff_text)"
  echo ".SH SYNOPSIS"
  echo ".B carilab-cli"
  echo ".I command"
  echo ".RI [ options ]"
  echo ".br"
  echo ".B carilab-cli"
  echo ".BR \\-\\-help \" | \" \\-\\-version"
  echo ".SH DESCRIPTION"
  echo "CariLab trains and evaluates the three-branch network of Ming, Burie and Luqman (GREC 2019)"
  echo "for caricature\\-photo face recognition: caricature\\-photo verification, caricature identification"
  echo "and photo identification, with dynamic task weights."
  echo ".B carilab-cli"
  echo "is the headless twin of every action of the"
  echo ".BR carilab (1)"
  echo "workbench. Each command takes its own options, listed below and by"
  echo ".IR \"carilab-cli command \\-\\-help\" ."
  echo ".SH COMMANDS"
  awk -F $'\037' '$1 == "C"' "$tmp/top" | while IFS=$'\037' read -r _ name help; do
    printf '.TP\n.B %s\n%s\n' "$name" "$(printf '%s' "$help" | roff_text)"
  done
  echo ".SH OPTIONS"
  awk -F $'\037' '$1 == "O"' "$tmp/top" | while IFS=$'\037' read -r _ name _ help; do
    printf '.TP\n.B \\-\\-%s\n%s\n' "$name" "$(printf '%s' "$help" | roff_text)"
  done
  for c in $commands; do
    echo ".SH \"$(echo "$c" | tr a-z A-Z) COMMAND\""
    if [ -f "$tmp/subs.$c" ]; then
      # the command's own page: its usage lines and what they do, then each sub-command
      records_to_roff "$tmp/rec.$c"
      for s in $(cat "$tmp/subs.$c"); do
        echo ".SS \"carilab-cli $c $s\""
        records_to_roff "$tmp/rec.$c.$s"
      done
    else
      records_to_roff "$tmp/rec.$c"
    fi
  done
  cat "$here/man/common.roff"
  echo ".SH SEE ALSO"
  echo ".BR carilab (1)."
  echo "The user guide: /usr/share/doc/carilab/README.md and /usr/share/doc/carilab/docs/,"
  echo "command\\-line.md in particular; in the workbench, Help \\(-> User guide."
} > "$tmp/carilab-cli.1"
gzip -9n < "$tmp/carilab-cli.1" > "$out/carilab-cli.1.gz"

# ---- bash completion: a table generated from the same records, then the fixed logic ----------
{
  echo "# bash completion for carilab-cli $version. Generated by packaging/cli_docs.sh from the"
  echo "# program's --help output; the logic below the tables is packaging/completion.bash."
  echo
  echo "_carilab_cli_commands='$(echo $commands) --help --version'"
  echo
  echo "# The sub-commands of a command (carilab-cli dataset info ...)."
  echo "_carilab_cli_subcommands() {"
  echo "  case \$1 in"
  for c in $commands; do
    [ -f "$tmp/subs.$c" ] && echo "    $c) echo '$(echo $(cat "$tmp/subs.$c"))' ;;"
  done
  echo "  esac"
  echo "}"
  echo
  echo "# The options of a command or sub-command."
  echo "_carilab_cli_options() {"
  echo "  case \$1 in"
  for u in "${units[@]}"; do
    opts=$(awk -F $'\037' '$1 == "O" { printf "%s--%s", (n++ ? " " : ""), $2 }' "$tmp/rec.$u")
    echo "    '${u/./ }') echo '$opts' ;;"
  done
  echo "  esac"
  echo "}"
  echo
  echo "# How to complete an option's value: words W..., dirs, files [W...], none (a value nothing"
  echo "# completes) or flag (the option takes no value); 'positional': the command's arguments."
  echo "_carilab_cli_value() {"
  echo "  case \$1 in"
  for u in "${units[@]}"; do
    while IFS=$'\037' read -r kind name value _; do
      if [ "$kind" = O ] && [ -n "$value" ]; then
        echo "    '${u/./ } --$name') echo '$(value_kind "$value")' ;;"
      elif [ "$kind" = A ]; then
        echo "    '${u/./ } positional') echo '$(value_kind "$name")' ;;"
      fi
    done < "$tmp/rec.$u"
  done
  echo "    *' positional') echo none ;;"
  echo "    *) echo flag ;;"
  echo "  esac"
  echo "}"
  echo
  cat "$here/completion.bash"
} > "$out/carilab-cli"

# ---- carilab: Qt's --help (QCommandLineParser) ------------------------------------------------
if [ -n "$gui" ]; then
  run "$gui" --help > "$tmp/gui-help" || { echo "cli_docs.sh: '$gui --help' failed" >&2; exit 1; }
  gsummary=$(sed -n '2p' "$tmp/gui-help" | sed 's/^CariLab: //')
  {
    echo ".\\\" Generated by packaging/cli_docs.sh from 'carilab --help'."
    echo ".TH CARILAB 1 \"$date\" \"CariLab $version\" \"User Commands\""
    echo ".SH NAME"
    echo "carilab \\- $(printf '%s' "$gsummary" | roff_text)"
    echo ".SH SYNOPSIS"
    echo ".B carilab"
    echo ".RI [ options ]"
    echo ".SH DESCRIPTION"
    echo ".B carilab"
    echo "is CariLab's workbench: train the paper's multi\\-task network and watch task weights, losses"
    echo "and accuracies live (Train), compare runs (Runs), evaluate them by a dataset's protocol"
    echo "(Evaluation), browse datasets (Datasets) and rank a gallery against a caricature or photo"
    echo "(Match). Help \\(-> User guide shows the user guide; every action also runs headless with"
    echo ".BR carilab-cli (1)."
    echo ".SH OPTIONS"
    # "  -h, --help      Displays help..." with continuation lines indented to the help column
    awk '
      function flush() { if (spec != "") { print spec "\037" help; spec = "" } }
      /^Options:$/ { on = 1; next }
      /^Arguments:$/ { flush(); on = 0; next }
      on && /^  -/ {
        flush(); line = substr($0, 3)
        if (match(line, /  +/)) { spec = substr(line, 1, RSTART - 1); help = substr(line, RSTART + RLENGTH) } else { spec = line; help = "" }
        next
      }
      on && /^   +[^ ]/ && spec != "" { t = $0; sub(/^ +/, "", t); help = help (help == "" ? "" : " ") t; next }
      { flush() }
      END { flush() }
    ' "$tmp/gui-help" | while IFS=$'\037' read -r spec help; do
      printf '.TP\n.B %s\n%s\n' "$(printf '%s' "$spec" | roff_text)" "$(printf '%s' "$help" | roff_text)"
    done
    cat "$here/man/common.roff"
    echo ".SH SEE ALSO"
    echo ".BR carilab-cli (1)."
    echo "The user guide: /usr/share/doc/carilab/README.md and /usr/share/doc/carilab/docs/."
  } > "$tmp/carilab.1"
  gzip -9n < "$tmp/carilab.1" > "$out/carilab.1.gz"
fi
