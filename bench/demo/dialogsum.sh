#!/usr/bin/env bash
# The demo on DialogSum with the best base this project can make without downloading anything: the demo
# T5's recipe pretrained on DialogSum's own training split (its licence keeps the weights out of the
# project, so they go to BASE, outside the checkout), its learning rates chosen on a slice of train, then
# reported once on the dev split (DialogSum ships no test split).
#   bench/demo/dialogsum.sh [DATA [BASE [OUT]]]
#   defaults: ../shared/datasets/dialogsum, /tmp/peft4j-dialogsum-base, results/dialogsum
# Steps (each skipped when its output exists): pretrain-demo (1,200 steps; ~26 min on 2 cores; MAX_LENGTH
# and STEPS change the recipe's 160-token window and step count), the
# rate grids on 120 training dialogues after the 1,000 trained on (FULL_LRS, LORA_LRS), the demo on all
# 500 dev dialogues at the chosen rates (FULL_LR, LORA_LR; default: the best of each grid printed).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DATA="$(realpath "${1:-$ROOT/../shared/datasets/dialogsum}")"
BASE="${2:-/tmp/peft4j-dialogsum-base}"
OUT="${3:-$ROOT/results/dialogsum}"
case "$(realpath -m "$BASE")/" in "$ROOT"/*) echo "BASE=$BASE is inside the project: DialogSum's licence keeps weights trained on it out of the repository" >&2; exit 2;; esac
[ -f "$DATA/train.jsonl" ] || [ -f "$DATA/dialogsum.train.jsonl" ] || { echo "no DialogSum training split in $DATA (expected [dialogsum.]train.jsonl and [dialogsum.]dev.jsonl)" >&2; exit 2; }
mkdir -p "$OUT"
cd "$ROOT"
if [ ! -f "$BASE/model.safetensors" ]; then
  echo "== pretraining the demo recipe on the training split of $DATA into $BASE"
  /usr/bin/time -f "pretrain-demo: %e s" bin/peft4j pretrain-demo --data "$DATA" --out "$BASE" \
    ${MAX_LENGTH:+--max-length "$MAX_LENGTH"} ${STEPS:+--steps "$STEPS"} 2>&1 | tr '\r' '\n' | grep -v "^epoch 1 \[" | tee "$OUT/pretrain.log"
fi
if [ ! -f "$OUT/choose.log" ]; then
  echo "== choosing the learning rates on 120 training dialogues (never dev)"
  PEFT4J_MODEL="$BASE" DATA="$DATA" DEV_FROM_TRAIN=1 DEV_N=120 EPOCHS=2 \
    FULL_LRS="${FULL_LRS:-5e-4,1e-3,2e-3}" LORA_LRS="${LORA_LRS:-3e-3,5e-3,1e-2}" \
    bin/peft4j run bench/demo/choose-lr.jsh 2>&1 | tee "$OUT/choose.log.tmp"
  mv "$OUT/choose.log.tmp" "$OUT/choose.log"
fi
# each method's rate: the best of its grid by the mean of ROUGE-1 and ROUGE-L (as for the demo's defaults)
best() { grep "^$1" "$OUT/choose.log" | sed -E 's/.* lr ([^:]+): R-1 ([0-9.]+) R-L ([0-9.]+).*/\1 \2 \3/' | awk '{m=($2+$3)/2; if (m>b) {b=m; lr=$1}} END {print lr}'; }
FULL_LR="${FULL_LR:-$(best full)}"
LORA_LR="${LORA_LR:-$(best LoRA)}"
echo "== the demo on all 500 dev dialogues: full fine-tuning at $FULL_LR, LoRA at $LORA_LR"
bin/peft4j demo --data "$DATA" --model "$BASE" --test 0 --out "$OUT" --full-lr "$FULL_LR" --lora-lr "$LORA_LR" 2>&1 | tee "$OUT/demo.log"
