#!/usr/bin/env bash
# Builds tests/device's two checks on a CUDA machine with a pip PyTorch (LibTorch from the wheel)
# and runs them: cuda_parity (CPU vs CUDA), then cuda_precision (bf16 and fp16 training).
# Usage, from the repository root:  bash tests/device/run_cuda_check.sh [cuda_parity args...]
# (cuda_precision's arguments: PRECISION_ARGS="..."). Log: $OUT/cuda_check.log when OUT is set,
# else /tmp/cuda_check.log. Exit: cuda_parity's code when it failed, else cuda_precision's.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${OUT:-/tmp}
log=$out/cuda_check.log
build=${DEVCHECK_BUILD:-/tmp/carilab-devcheck}
py=${PYTHON:-python3}
command -v "$py" >/dev/null || py=/opt/torch/.venv/bin/python3
mkdir -p "$out"
exec > >(tee "$log") 2>&1

echo "== machine"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
"$py" - <<'PY' || true
import torch
print("torch", torch.__version__, "cuda", torch.version.cuda, "cudnn", torch.backends.cudnn.version(),
      "device", torch.cuda.get_device_name(0) if torch.cuda.is_available() else "none",
      "cxx11abi", torch._C._GLIBCXX_USE_CXX11_ABI)
PY
prefix=$("$py" -c 'import torch;print(torch.utils.cmake_prefix_path)')
tdir=$("$py" -c 'import torch,os;print(os.path.dirname(torch.__file__))')
tver=$("$py" -c 'import torch;print(torch.__version__.split("+")[0])')
abi=$("$py" -c 'import torch;print(int(torch._C._GLIBCXX_USE_CXX11_ABI))')
jobs=$(nproc)
manual() {
    rm -rf "$build"
    cmake -S "$here" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DDEVCHECK_TORCH_DIR="$tdir" \
          -DDEVCHECK_TORCH_VERSION="$tver" -DDEVCHECK_CXX_ABI="$abi" || exit 3
}
echo "== configure (find_package(Torch) via $prefix)"
t0=$(date +%s)
if ! cmake -S "$here" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$prefix" -Wno-dev; then
    echo "== find_package(Torch) failed: configuring against $tdir directly"
    manual
fi
echo "== build ($jobs jobs)"
if ! cmake --build "$build" -j "$jobs" 2>&1 | tee "$build.buildlog"; then
    # A link failure through TorchConfig's CUDA targets: retry against the wheel directly once.
    if grep -qE 'ld returned|undefined reference|No rule to make target' "$build.buildlog" \
       && ! grep -q DEVCHECK_TORCH_DIR:PATH=/ "$build/CMakeCache.txt"; then
        echo "== link failed with find_package(Torch): retrying against $tdir directly"
        manual
        cmake --build "$build" -j "$jobs" || exit 4
    else
        exit 4
    fi
fi
echo "== built in $(( $(date +%s) - t0 )) s"
echo "== run cuda_parity"
timeout "${DEVCHECK_RUN_TIMEOUT:-360}" "$build/cuda_parity" "$@"
rc=$?
echo "== cuda_parity exit code $rc"
echo "== run cuda_precision"
# shellcheck disable=SC2086  # PRECISION_ARGS is a word list on purpose
timeout "${DEVCHECK_RUN_TIMEOUT:-360}" "$build/cuda_precision" ${PRECISION_ARGS:-}
prc=$?
echo "== cuda_precision exit code $prc"
[ $rc -ne 0 ] && exit $rc
exit $prc
