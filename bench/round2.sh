#!/usr/bin/env bash
# The round-two benchmark pass of docs/BENCHMARKS.md: peft4j and PyTorch + PEFT interleaved, one process
# per stack and mode, training steps only (no generation); the launcher's OpenBLAS core type and a preset
# Haswell. Development tool, not part of CI. PYTHON defaults to /tmp/venv-bench/bin/python
# (bench/requirements.txt). CSV rows on stdout, a '#' line with the time and load before each run.
set -uo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-/tmp/venv-bench/bin/python}"
run() {  # core cfg mode threads steps
  local core=$1 cfg=$2 mode=$3 th=$4 st=$5
  for stack in peft4j pytorch; do
    echo "# $(date -u +%H:%M:%S) $stack $cfg $mode t$th core=$core load $(cut -d' ' -f1-3 /proc/loadavg)"
    if [ "$core" = launcher ]; then pre=(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE); else pre=(env OPENBLAS_CORETYPE=Haswell OPENBLAS_L2_SIZE=512); fi
    if [ $stack = peft4j ]; then "${pre[@]}" bin/peft4j bench --config $cfg --mode $mode --threads $th --steps $st --csv 2>/dev/null | tail -1
    else "${pre[@]}" $PY bench/pytorch_peer.py --config $cfg --mode $mode --threads $th --steps $st --csv 2>/dev/null | tail -1; fi
  done
}
for r in 1 2; do for m in full lora8; do run launcher flan-t5-small $m 2 5; done; done
for m in full lora8; do run haswell flan-t5-small $m 2 5; done
for m in full lora8; do run launcher demo $m 2 5; done
for m in lora8 full; do run launcher smollm2-135m $m 2 3; done
run haswell smollm2-135m lora8 2 3
echo "# done $(date -u +%H:%M:%S)"
