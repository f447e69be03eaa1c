#!/usr/bin/env bash
# The workbench under AddressSanitizer + UBSan on a real X server (Xvfb), driven by xdotool as a
# user would drive it: started with --tab match, then ROUNDS times: pick an identity in the
# Datasets tab, drag one of its thumbnails across the tab bar (the tab switches to Match on
# hover) onto the query panel and drop it there, then click the Datasets tab again. It is the
# sequence after which an instance once vanished without a message (issue #21); the offscreen
# test test_workbench_session covers the widgets' side, this covers Qt's X11 drag and drop.
# Passes when the process is alive after every round and after a final 5 s wait, quits with
# status 0 on Ctrl+Q, and left no sanitizer report.
#   tests/sanitizers/gui_drop_session.sh [BUILD_DIR (default build/asan)] [ROUNDS (default 12)]
# Needs xvfb-run, xdotool and ImageMagick's import; the asan preset with CARILAB_GUI on.
set -euo pipefail
cd "$(dirname "$0")/../.."
build=$(realpath "${1:-build/asan}")
rounds=${2:-12}
for tool in xvfb-run xdotool import; do
  command -v "$tool" >/dev/null || { echo "gui_drop_session: $tool is needed (apt-get install xvfb xdotool imagemagick)" >&2; exit 2; }
done
[ -x "$build/app/carilab" ] || { echo "gui_drop_session: no $build/app/carilab (cmake --build --preset asan --target carilab carilab-cli)" >&2; exit 2; }

work=$(mktemp -d /tmp/carilab-drop-session.XXXXXX)
trap 'rm -rf "$work"' EXIT
"$build/app/carilab-cli" synth --out "$work/synth" --identities 8 --photos 6 --caricatures 6 --size 96 >/dev/null
"$build/app/carilab-cli" train --dataset "$work/synth" --run-dir "$work/runs/run" --steps 60 --batch 16 --threads 2 \
  --plain --checkpoint-every 60 >/dev/null 2>&1

cat >"$work/session.sh" <<'EOF'
#!/usr/bin/env bash
# Runs inside xvfb-run at 1280x720: the window fills the screen at (0, 0) (no window manager).
set -u
work=$1 build=$2 rounds=$3
export QT_QPA_PLATFORM=xcb HOME="$work/home"
"$build/app/carilab" --runs "$work/runs" --demo-data "$work/synth" --tab match >"$work/gui.log" 2>&1 &
pid=$!
alive() { kill -0 "$pid" 2>/dev/null || { echo "gui_drop_session: the window vanished $1" >&2; exit 1; }; }
sleep 8  # the window, the run and (under ASan) its first gallery
alive "at start"
# Tab bar: Datasets at (233, 32), Match at (303, 32); identity rows from y = 137, 20 px apart;
# the grid's first thumbnail at (472, 160), the first caricature at (472, 408); the query panel
# around (318, 420). Measured on a screenshot of this layout at 1280x720.
for ((i = 0; i < rounds; i++)); do
  xdotool mousemove 233 32 click 1
  sleep 1
  xdotool mousemove 100 $((137 + 20 * (i % 8))) click 1
  sleep 1
  y=$((i % 2 == 0 ? 160 : 408))
  xdotool mousemove 472 "$y" mousedown 1
  for step in 1 2 3 4 5 6; do xdotool mousemove $((472 - step * 4)) $((y - step * 4)); sleep 0.05; done
  xdotool mousemove 300 40; sleep 0.2; xdotool mousemove 303 32; sleep 1.2  # hover: the tab switches
  for step in 1 2 3 4 5 6 7 8; do xdotool mousemove 318 $((32 + step * 48)); sleep 0.05; done
  xdotool mouseup 1
  sleep 2
  alive "after drop $((i + 1))"
done
xdotool mousemove 233 32 click 1
sleep 5
alive "5 s after the last click on Datasets"
xdotool mousemove 303 32 click 1
sleep 1
import -window root "$work/last-drop.png"
xdotool key ctrl+q
status=0
wait "$pid" || status=$?
[ "$status" = 0 ] || { echo "gui_drop_session: carilab exited with status $status" >&2; tail -40 "$work/gui.log" >&2; exit 1; }
EOF
chmod +x "$work/session.sh"
export ASAN_OPTIONS="detect_leaks=1:log_path=$work/asan"
export LSAN_OPTIONS="suppressions=$PWD/tests/sanitizers/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$work/asan"
failed=0
xvfb-run -a -s "-screen 0 1280x720x24" "$work/session.sh" "$work" "$build" "$rounds" || failed=1
if compgen -G "$work/asan*" >/dev/null; then
  cat "$work"/asan* >&2
  echo "gui_drop_session: sanitizer report above" >&2
  exit 1
fi
[ "$failed" = 0 ] || exit 1
mkdir -p "$build/artifacts"
cp "$work/last-drop.png" "$build/artifacts/gui-drop-session.png"
echo "gui_drop_session: $rounds drags from Datasets to Match, no sanitizer report, clean exit ($build/artifacts/gui-drop-session.png)"
