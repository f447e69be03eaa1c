#!/usr/bin/env bash
# test_package: the Debian package made from this build tree, as a user would get it.
#   test_package.sh BUILD_DIR
# cpack -G DEB -> control fields -> file list -> unpacked into a temporary root -> the validators
# (lintian, desktop-file-validate, appstreamcli, man) -> the unpacked carilab-cli (--version, a
# 5-step demo training) and carilab (a few seconds under Xvfb). A validator whose tool is not
# installed is skipped with a note (packaging/quickstart.sh installs them all, so CI runs them).
# About a minute on 2 cores; docs/packaging.md.
set -uo pipefail
build=$(cd "${1:?usage: test_package.sh BUILD_DIR}" && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/carilab-package.XXXXXX")
gui_pid=""
cleanup() {
  [ -n "$gui_pid" ] && kill "$gui_pid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT

failures=0
fail() {
  echo "FAIL: $*"
  failures=$((failures + 1))
}
pass() { echo "PASS: $*"; }
skip() { echo "SKIP: $*"; }
have() { command -v "$1" >/dev/null 2>&1; }
step() { echo "--- $* (${SECONDS} s)"; }

version=$(sed -n 's/^CMAKE_PROJECT_VERSION:STATIC=//p' "$build/CMakeCache.txt")
[ -n "$version" ] || { echo "FAIL: no CMAKE_PROJECT_VERSION in $build/CMakeCache.txt"; exit 1; }

# ---- the package ----------------------------------------------------------------------------
step "cpack -G DEB"
if ! cpack -G DEB --config "$build/CPackConfig.cmake" -B "$tmp/pkg" > "$tmp/cpack.log" 2>&1; then
  cat "$tmp/cpack.log"
  echo "FAIL: cpack"
  exit 1
fi
deb="$tmp/pkg/carilab_${version}_amd64.deb"
[ -f "$deb" ] || { ls "$tmp/pkg"; echo "FAIL: cpack made no $(basename "$deb")"; exit 1; }
pass "$(basename "$deb"), $(stat -c %s "$deb") bytes"

field() { dpkg-deb -f "$deb" "$1"; }
[ "$(field Package)" = carilab ] || fail "Package: $(field Package)"
[ "$(field Version)" = "$version" ] || fail "Version: $(field Version), not $version"
[ "$(field Architecture)" = amd64 ] || fail "Architecture: $(field Architecture)"
[ "$(field Section)" = science ] || fail "Section: $(field Section)"
[ -n "$(field Maintainer)" ] || fail "no Maintainer"
[ "$(field Description | sed -n '2,$p' | wc -l)" -ge 3 ] || fail "no extended Description"
# shlibdeps found the linked libraries; the runtime-only ones are added by hand
depends=$(field Depends)
for d in libtorch libopencv-core libopencv-objdetect libqt6widgets6 libqt6svg6 libqcustomplot libc6 opencv-data libopenblas0; do
  [[ $depends == *"$d"* ]] || fail "Depends lacks $d: $depends"
done
[[ $depends == *libqt6widgets6* ]] && [[ $depends == *'libtorch'*'(>='* ]] && pass "Depends from dpkg-shlibdeps: $depends"
[[ $(field Recommends) == *npm* ]] || fail "Recommends lacks npm: $(field Recommends)"

# ---- the file list --------------------------------------------------------------------------
step "file list"
dpkg-deb -c "$deb" | awk '{ print $NF }' | sed 's|^\./|/|' | grep -v '/$' | sort > "$tmp/files"
expected=(
  /usr/bin/carilab
  /usr/bin/carilab-cli
  /usr/share/applications/carilab.desktop
  /usr/share/icons/hicolor/scalable/apps/carilab.svg
  /usr/share/metainfo/io.github.carilab.CariLab.metainfo.xml
  /usr/share/man/man1/carilab.1.gz
  /usr/share/man/man1/carilab-cli.1.gz
  /usr/share/bash-completion/completions/carilab-cli
  /usr/share/doc/carilab/copyright
  /usr/share/doc/carilab/changelog.gz
  /usr/share/doc/carilab/README.md
  /usr/share/doc/carilab/docs/command-line.md
  /usr/share/doc/carilab/docs/workbench.md
  /usr/share/doc/carilab/docs/screenshots/train-view-live.png
  /usr/share/carilab/presets/index.json
)
for size in 16 22 24 32 48 64 128 256; do expected+=("/usr/share/icons/hicolor/${size}x${size}/apps/carilab.png"); done
for f in "${expected[@]}"; do grep -qxF "$f" "$tmp/files" || fail "missing $f"; done
# nothing outside /usr/bin and /usr/share, no build helpers or tests
stray=$(grep -v -e '^/usr/bin/carilab$' -e '^/usr/bin/carilab-cli$' -e '^/usr/share/' "$tmp/files")
[ -z "$stray" ] || fail "unexpected files: $stray"
pass "$(wc -l < "$tmp/files") files, the ${#expected[@]} expected among them"

root="$tmp/root"
dpkg-deb -x "$deb" "$root" || { echo "FAIL: dpkg-deb -x"; exit 1; }
for f in /usr/bin/carilab /usr/bin/carilab-cli; do
  [ -x "$root$f" ] || fail "$f is not executable"
  if have file; then
    file -b "$root$f" | grep -q 'stripped' && ! file -b "$root$f" | grep -q 'not stripped' || fail "$f is not stripped: $(file -b "$root$f")"
  fi
done
if have file; then
  for size in 16 22 24 32 48 64 128 256; do
    png="$root/usr/share/icons/hicolor/${size}x${size}/apps/carilab.png"
    file -b "$png" | grep -q "PNG image data, $size x $size," || fail "icon ${size}x$size: $(file -b "$png")"
  done
  pass "icons: a PNG of each size, 16x16 to 256x256"
fi

# ---- validators -----------------------------------------------------------------------------
step "validators"
if have desktop-file-validate; then
  if out=$(desktop-file-validate "$root/usr/share/applications/carilab.desktop" 2>&1) && ! grep -qi error <<< "$out"; then
    pass "desktop-file-validate${out:+ ($out)}"
  else
    fail "desktop-file-validate: $out"
  fi
else
  skip "desktop-file-validate (package desktop-file-utils) is not installed"
fi
if have appstreamcli; then
  if out=$(appstreamcli validate --no-net "$root/usr/share/metainfo/io.github.carilab.CariLab.metainfo.xml" 2>&1); then
    pass "appstreamcli validate --no-net: $(tail -1 <<< "$out")"
  else
    fail "appstreamcli validate --no-net: $out"
  fi
  grep -q "<release version=\"$version\"" "$root/usr/share/metainfo/io.github.carilab.CariLab.metainfo.xml" || fail "metainfo has no release $version"
  grep -q '<screenshot type="default">' "$root/usr/share/metainfo/io.github.carilab.CariLab.metainfo.xml" || fail "metainfo has no screenshot"
else
  skip "appstreamcli (package appstream) is not installed"
fi
if have lintian; then
  # Errors fail the test; warnings and notes are shown.
  lintian --fail-on error "$deb" > "$tmp/lintian" 2>&1
  rc=$?
  grep -v 'running with root privileges' "$tmp/lintian"
  if [ $rc -eq 0 ]; then pass "lintian: $(grep -c '^E:' "$tmp/lintian") errors, $(grep -c '^W:' "$tmp/lintian") warnings"; else fail "lintian (exit $rc)"; fi
else
  skip "lintian is not installed"
fi
zcat "$root/usr/share/doc/carilab/changelog.gz" | head -1 | grep -q "^carilab ($version)" || fail "changelog.gz does not start with carilab ($version)"

# The manual pages: they format without warnings and hold what --help says.
for page in carilab carilab-cli; do
  gz="$root/usr/share/man/man1/$page.1.gz"
  if have man; then
    warnings=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l -Tutf8 -Z "$gz" 2>&1 > /dev/null | grep -v 'cannot adjust line')
    [ -z "$warnings" ] || fail "$page.1: $warnings"
  fi
  zcat "$gz" | grep -q "^\.TH $(tr a-z A-Z <<< "$page") 1 .*\"CariLab $version\"" || fail "$page.1 has no .TH for CariLab $version"
done
cli="$root/usr/bin/carilab-cli"
commands=$("$cli" --help | sed -n '/^commands:/,/^$/p' | awk 'NR > 1 && NF { print $1 }')
[ "$(wc -w <<< "$commands")" -ge 10 ] || fail "carilab-cli --help lists only: $commands"
page=$(zcat "$root/usr/share/man/man1/carilab-cli.1.gz")
for c in $commands; do grep -q "^\.SH \"$(tr a-z A-Z <<< "$c") COMMAND\"" <<< "$page" || fail "carilab-cli.1 has no section for $c"; done
roff_option() { sed 's/-/\\-/g' <<< "--$1"; }
for o in $("$cli" demo --help | sed -n 's/^  --\([a-z-]*\).*/\1/p'); do
  grep -qF -- "$(roff_option "$o")" <<< "$page" || fail "carilab-cli.1 lacks demo's --$o"
done
gui_opts=$(QT_QPA_PLATFORM=offscreen "$root/usr/bin/carilab" --help 2>/dev/null | sed -n 's/^  \(-., \)\{0,1\}--\([a-z-]*\).*/\2/p')
[ -n "$gui_opts" ] || fail "carilab --help printed no options"
for o in $gui_opts; do zcat "$root/usr/share/man/man1/carilab.1.gz" | grep -qF -- "$(roff_option "$o")" || fail "carilab.1 lacks --$o"; done
pass "manual pages: $(wc -w <<< "$commands") commands, demo's and carilab's options"

# The bash completion: commands, sub-commands, a command's options, choices of a value, files.
completion="$root/usr/share/bash-completion/completions/carilab-cli"
if bash -n "$completion"; then
  complete_words() {
    bash -c 'source "$1"; shift; cd "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); _carilab_cli; echo "${COMPREPLY[*]}"' \
      _ "$completion" "$tmp" "$@"
  }
  mkdir -p "$tmp/runs-here"
  check_completion() {
    local want=$1
    shift
    local got
    got=$(complete_words "$@")
    [ "$got" = "$want" ] || fail "completion of '$*': '$got', expected '$want'"
  }
  check_completion "demo" carilab-cli de
  check_completion "info align" carilab-cli dataset ""
  check_completion "--steps --strategy" carilab-cli demo --st
  check_completion "webcari-restricted" carilab-cli eval --protocol webcari-r
  check_completion "runs-here" carilab-cli demo --runs runs-
  check_completion "--format" carilab-cli dataset info --fo
  pass "bash completion"
else
  fail "bash -n $completion"
fi

# ---- the unpacked programs ------------------------------------------------------------------
export CARILAB_HOME="$tmp/home" HOME="$tmp/home"
mkdir -p "$HOME"
step "carilab-cli --version"
if out=$("$cli" --version 2>&1); then
  head -1 <<< "$out" | grep -qx "carilab-cli $version" || fail "carilab-cli --version: $out"
  grep -q '^LibTorch .*, OpenCV ' <<< "$out" && grep -q '^BLAS: ' <<< "$out" && pass "carilab-cli --version: $(tr '\n' ';' <<< "$out")"
else
  fail "carilab-cli --version: $out"
fi

step "carilab-cli demo --steps 5"
if "$cli" demo --data "$tmp/demo-data" --runs "$tmp/runs" --steps 5 > "$tmp/demo.log" 2>&1; then
  run=$(ls -d "$tmp"/runs/demo-dynamic-* 2>/dev/null | head -1)
  if [ -n "$run" ] && grep -q '"step": *5\|"step":5' "$run/metrics.jsonl" && grep -q 'finished at step 5' "$tmp/demo.log"; then
    pass "demo: $(grep '^step 5/5' "$tmp/demo.log")"
  else
    cat "$tmp/demo.log"
    fail "demo wrote no 5-step run"
  fi
else
  cat "$tmp/demo.log"
  fail "carilab-cli demo"
fi

step "carilab under Xvfb"
# The workbench on a real X server: it must start (platform plugin, icon, Help menu), draw a
# window named CariLab and keep running; it is ended after a few seconds.
# (a script of its own: xvfb-run is a POSIX shell script, which drops exported bash functions)
cat > "$tmp/gui_check.sh" << 'EOF'
root=$1 tmp=$2
"$root/usr/bin/carilab" --runs "$tmp/runs" --demo-data "$tmp/demo-data" > "$tmp/gui.log" 2>&1 &
pid=$!
seen=""
for _ in $(seq 1 20); do
  sleep 1
  kill -0 "$pid" 2>/dev/null || break
  if command -v xwininfo > /dev/null; then
    xwininfo -root -tree 2>/dev/null | grep -q '"CariLab' && seen=window && break
  else
    seen=alive
  fi
done
sleep 2
if kill -0 "$pid" 2>/dev/null; then echo "running ${seen:-without a window}"; else echo exited; fi > "$tmp/gui.state"
kill "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
EOF
display=Xvfb
if have xvfb-run; then
  env -u QT_QPA_PLATFORM xvfb-run -a -s "-screen 0 1280x800x24" bash "$tmp/gui_check.sh" "$root" "$tmp" > /dev/null 2>&1
else
  skip "xvfb-run (package xvfb) is not installed: the offscreen platform instead"
  display=offscreen
  QT_QPA_PLATFORM=offscreen bash "$tmp/gui_check.sh" "$root" "$tmp"
fi
state=$(cat "$tmp/gui.state" 2>/dev/null)
case $state in
  "running window" | "running alive") pass "carilab ran on $display (${state#running })" ;;
  *) cat "$tmp/gui.log"; fail "carilab: ${state:-did not start}" ;;
esac
grep -q 'Could not load the Qt platform plugin\|could not connect to display' "$tmp/gui.log" && fail "carilab: $(cat "$tmp/gui.log")"

step "done"
if ((failures)); then
  echo "test_package: $failures failure(s)"
  exit 1
fi
echo "test_package: all checks passed"
