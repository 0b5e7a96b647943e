#!/usr/bin/env bash
# Times `bin/peft4j rouge` on 10,000 DialogSum-sized (reference, prediction) pairs (target: < 5 s).
# Pairs are built in a temp folder from ../shared/datasets/dialogsum summaries (never copied into the
# repo): half are perturbed copies of the reference (words dropped, one swap), half another summary;
# 30% are split into sentence lines (exercises rougeLsum), 10% have two references.
#   bench/rouge_10k.sh [--stemmer]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DS="${PEFT4J_SHARED:-$ROOT/../shared}/datasets/dialogsum"
[ -d "$DS" ] || { echo "bench: $DS not found (set PEFT4J_SHARED)" >&2; exit 2; }
TMP="$(mktemp -d)"; trap 'rm -rf "$TMP"' EXIT
python3 - "$DS" "$TMP/pairs.jsonl" <<'PY'
import json, random, re, sys, os
ds, out = sys.argv[1], sys.argv[2]
S = []
for name in sorted(os.listdir(ds)):
    if name.endswith(".jsonl"):
        S += [json.loads(l)["summary"] for l in open(os.path.join(ds, name), encoding="utf-8") if "summary" in l]
rng = random.Random(1)
with open(out, "w", encoding="utf-8") as f:
    for i in range(10000):
        t = S[i % len(S)]
        if rng.random() < 0.5:
            w = [x for x in t.split() if rng.random() > 0.2]
            if len(w) > 3:
                j = rng.randrange(len(w) - 1); w[j], w[j + 1] = w[j + 1], w[j]
            p = " ".join(w)
        else:
            p = rng.choice(S)
        if rng.random() < 0.3:
            t = re.sub(r"([.!?]) ", r"\1\n", t); p = re.sub(r"([.!?]) ", r"\1\n", p)
        f.write(json.dumps({"target": [t, rng.choice(S)] if rng.random() < 0.1 else t, "prediction": p}) + "\n")
PY
"$ROOT/bin/peft4j" rouge --help >/dev/null   # build outside the timed run
start=$(date +%s.%N)
"$ROOT/bin/peft4j" rouge "$@" < "$TMP/pairs.jsonl" > "$TMP/out.jsonl"
end=$(date +%s.%N)
echo "bench rouge: $(wc -l < "$TMP/out.jsonl") output lines, wall $(python3 -c "print(f'{$end-$start:.2f}')") s (incl. JVM start), load avg $(cut -d' ' -f1 /proc/loadavg)"
