#!/usr/bin/env bash
# Interleaved peft4j / PyTorch+PEFT runs of the training-step benchmark (one process per stack and mode),
# then (T5 configs) the generation benchmark; CSV rows to stdout, the load average before each run to stderr.
# Development tool, not part of CI.
#   bench/compare.sh [config] [threads...]      e.g. bench/compare.sh flan-t5-small 2 1
#   MODES="full lora8" STEPS=3 bench/compare.sh smollm2-135m 2 1
# PYTHON defaults to /tmp/venv-bench/bin/python (see bench/requirements.txt for the local-mirror install);
# MODES defaults to "full lora8 lora32"; STEPS (timed steps per run) to each tool's default (5).
set -euo pipefail
cd "$(dirname "$0")/.."
cfg="${1:-flan-t5-small}"; shift || true
threads=("${@:-2}")
PY="${PYTHON:-/tmp/venv-bench/bin/python}"
read -r -a modes <<< "${MODES:-full lora8 lora32}"
steps=(); if [ -n "${STEPS:-}" ]; then steps=(--steps "$STEPS"); fi
header=1
for th in "${threads[@]}"; do
  for mode in "${modes[@]}"; do
    for stack in peft4j pytorch; do
      echo "# $(date -u +%H:%M:%S) $stack $cfg $mode threads $th; load: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
      if [ "$stack" = peft4j ]; then out=$(bin/peft4j bench --config "$cfg" --mode "$mode" --threads "$th" "${steps[@]}" --csv 2>/dev/null)
      else out=$("$PY" bench/pytorch_peer.py --config "$cfg" --mode "$mode" --threads "$th" "${steps[@]}" --csv 2>/dev/null); fi
      if [ $header = 1 ]; then echo "$out" | head -1; header=0; fi
      echo "$out" | tail -1
    done
  done
done
case "$cfg" in smollm2-135m|demo-causal) exit 0 ;; esac      # generation: T5 configs only
for th in "${threads[@]}"; do
  bin/peft4j bench --config "$cfg" --generate --threads "$th" --csv 2>/dev/null
  "$PY" bench/pytorch_peer.py --config "$cfg" --generate --threads "$th" --csv 2>/dev/null | tail -n +2
done
