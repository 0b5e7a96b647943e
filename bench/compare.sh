#!/usr/bin/env bash
# Interleaved peft4j / PyTorch+PEFT runs of the training-step benchmark (one process per stack and mode),
# then the generation benchmark; CSV rows to stdout. Development tool, not part of CI.
#   bench/compare.sh [config] [threads...]      e.g. bench/compare.sh flan-t5-small 2 1
# PYTHON defaults to /tmp/venv-bench/bin/python (see bench/requirements.txt for the local-mirror install).
set -euo pipefail
cd "$(dirname "$0")/.."
cfg="${1:-flan-t5-small}"; shift || true
threads=("${@:-2}")
PY="${PYTHON:-/tmp/venv-bench/bin/python}"
header=1
for th in "${threads[@]}"; do
  for mode in full lora8 lora32; do
    for stack in peft4j pytorch; do
      if [ "$stack" = peft4j ]; then out=$(bin/peft4j bench --config "$cfg" --mode "$mode" --threads "$th" --csv 2>/dev/null)
      else out=$("$PY" bench/pytorch_peer.py --config "$cfg" --mode "$mode" --threads "$th" --csv 2>/dev/null); fi
      if [ $header = 1 ]; then echo "$out" | head -1; header=0; fi
      echo "$out" | tail -1
    done
  done
done
for th in "${threads[@]}"; do
  bin/peft4j bench --config "$cfg" --generate --threads "$th" --csv 2>/dev/null
  "$PY" bench/pytorch_peer.py --config "$cfg" --generate --threads "$th" --csv 2>/dev/null | tail -n +2
done
