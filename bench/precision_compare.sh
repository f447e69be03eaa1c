#!/usr/bin/env bash
# Training speed by precision (issue #24): CariLab (fp32, bf16) against eager PyTorch 1.13 (fp32,
# the same bf16 autocast) on both backbones users train, batch 32, synthetic input, alternated in
# N rounds so a shared machine's drift lands on every arm alike. One line per measurement:
#   round backbone implementation precision images/s load-average
# The reference runs with the settings CariLab's launcher gives itself (no OpenMP spinning,
# OpenBLAS's Skylake-X kernels); both sides use --threads T. Needs Debian's python3-torch.
#   bench/precision_compare.sh [N (default 3)] [T (default 2)]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cli=${CARILAB_CLI:-$here/../build/release/app/carilab-cli}
rounds=${1:-3}
threads=${2:-2}
ips() { python3 -c "import json,sys; print('%.2f' % json.load(sys.stdin)['train_synthetic']['images_per_s'])"; }
for r in $(seq 1 "$rounds"); do
  for bb in inception-resnet-v1 face-resnet; do
    for prec in fp32 bf16; do
      echo "$r $bb carilab $prec $("$cli" bench --backbone "$bb" --batch 32 --threads "$threads" --steps 8 --warmup 2 --no-peak \
        --inspections 0 --precision "$prec" --json 2>/dev/null | ips) $(cut -d' ' -f1 /proc/loadavg)"
      echo "$r $bb pytorch $prec $(OMP_WAIT_POLICY=PASSIVE OPENBLAS_CORETYPE=SkylakeX /usr/bin/python3 "$here/pytorch_reference.py" \
        --backbone "$bb" --batch 32 --threads "$threads" --steps 8 --warmup 2 --no-peak --precision "$prec" --json 2>/dev/null | ips) \
$(cut -d' ' -f1 /proc/loadavg)"
    done
  done
done
