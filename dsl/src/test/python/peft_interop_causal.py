"""Python PEFT 0.21 interoperability check for decoder-only adapters and models saved by peft4j.

Usage (see README.md in this folder):
    python peft_interop_causal.py ADAPTERS_DIR SHARED_CAUSAL_DIR OUT_JSON

ADAPTERS_DIR/<model>/<kind> hold the adapters written by WriteInteropAdaptersTest (CausalInteropAdapters)
for the shared fixture <model> (../shared/fixtures/causal/<model>), and ADAPTERS_DIR/<model>/saved_model
the base model as peft4j's save() wrote it. Each adapter is loaded with
peft.PeftModel.from_pretrained onto AutoModelForCausalLM.from_pretrained(fixture, dtype=float32); loss
and logits on the fixture batches are recorded unmerged (plus greedy generation on left-padded
batches) and after merge_and_unload(). saved_model is loaded with transformers alone and compared with
the fixture model. CausalPythonInteropTest compares peft4j's outputs with these records.
"""
import json
import os
import sys

import torch
from peft import PeftModel
from transformers import AutoModelForCausalLM


def summary(t):
    flat = t.detach().double().flatten()
    return {"shape": list(t.shape), "first16": [float(x) for x in flat[:16]], "sum": float(flat.sum()),
            "abs_sum": float(flat.abs().sum())}


def run(model, batches, generate):
    out = []
    with torch.no_grad():
        for b in batches:
            ids, mask = torch.tensor(b["input_ids"]), torch.tensor(b["attention_mask"])
            r = model(input_ids=ids, attention_mask=mask, labels=torch.tensor(b["labels"]))
            e = {"logits": summary(r.logits), "loss": float(r.loss), "_logits": r.logits}
            if generate and b.get("padding_side") == "left":
                e["greedy_sequences"] = model.generate(input_ids=ids, attention_mask=mask, max_new_tokens=12,
                                                       do_sample=False).tolist()
            out.append(e)
    return out


def strip(rows):
    for r in rows:
        r.pop("_logits", None)
    return rows


def load(path):
    return AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32).eval()


def main(adapters, shared, out_json):
    result = {"peft": __import__("peft").__version__, "transformers": __import__("transformers").__version__,
              "torch": torch.__version__, "models": {}}
    for model in sorted(os.listdir(adapters)):
        fixture = os.path.join(shared, model)
        batches = json.load(open(os.path.join(fixture, "expected.json")))["batches"]
        entry = {"adapters": {}}
        for kind in sorted(os.listdir(os.path.join(adapters, model))):
            if kind == "saved_model":
                continue
            pm = PeftModel.from_pretrained(load(fixture), os.path.join(adapters, model, kind), is_trainable=True).eval()
            trainable, total = pm.get_nb_trainable_parameters()
            a = {"peft_type": pm.peft_config["default"].peft_type.value, "trainable_params": trainable, "all_params": total,
                 "unmerged": run(pm, batches, True)}
            a["merged"] = run(pm.merge_and_unload().eval(), batches, False)
            for u, m in zip(a["unmerged"], a["merged"]):
                m["max_abs_diff_vs_unmerged"] = float((u["_logits"] - m["_logits"]).abs().max())
            strip(a["unmerged"]); strip(a["merged"])
            entry["adapters"][kind] = a
        saved = os.path.join(adapters, model, "saved_model")
        if os.path.isdir(saved):
            ref = run(load(fixture), batches, False)
            mine = run(load(saved), batches, False)
            entry["saved_model"] = {"max_abs_diff_vs_fixture": max(float((x["_logits"] - y["_logits"]).abs().max())
                                                                   for x, y in zip(ref, mine)),
                                    "batches": strip(mine)}
        result["models"][model] = entry
    with open(out_json, "w") as f:
        json.dump(result, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main(*sys.argv[1:4])
