"""Python PEFT 0.21 interoperability check for causal-LM adapters and checkpoints saved by peft4j.

Usage (see README.md in this folder):
    python peft_interop_gpt2.py SAVED_DIR MODEL_DIR OUT_JSON

SAVED_DIR holds what peft4j wrote (WriteInteropAdaptersTest, e.g. the gpt2/ sub-folder): folders with
an adapter_config.json are PEFT adapters, loaded with peft.PeftModel.from_pretrained onto the model in
MODEL_DIR (AutoModelForCausalLM, float32, eval mode); folders with a config.json are whole models saved
by peft4j, loaded with AutoModelForCausalLM.from_pretrained. Loss and logits on the batches of
MODEL_DIR/expected.json are recorded for each (adapters unmerged and after merge_and_unload()), with
PEFT's parameter counts and the fan_in_fan_out / task_type PEFT ends up using. PythonInteropTest
compares peft4j's outputs with them.
"""
import json
import os
import sys
import warnings

import torch
from peft import PeftModel
from transformers import AutoModelForCausalLM


def summary(t):
    flat = t.detach().double().flatten()
    return {"shape": list(t.shape), "first16": [float(x) for x in flat[:16]], "sum": float(flat.sum()),
            "abs_sum": float(flat.abs().sum())}


def run(model, batches):
    out = []
    with torch.no_grad():
        for b in batches:
            r = model(input_ids=torch.tensor(b["input_ids"]), attention_mask=torch.tensor(b["attention_mask"]),
                      labels=torch.tensor(b["labels"]))
            out.append({"logits": summary(r.logits), "loss": float(r.loss), "_logits": r.logits})
    return out


def strip(entries):
    for r in entries:
        r.pop("_logits", None)
    return entries


def load(model_dir):
    return AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32).eval()


def main(saved, model_dir, out_json):
    batches = json.load(open(os.path.join(model_dir, "expected.json")))["batches"]
    result = {"peft": __import__("peft").__version__, "transformers": __import__("transformers").__version__,
              "torch": torch.__version__, "model": os.path.basename(os.path.normpath(model_dir)), "adapters": {}, "models": {}}
    for name in sorted(os.listdir(saved)):
        d = os.path.join(saved, name)
        if os.path.isfile(os.path.join(d, "adapter_config.json")):
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                model = PeftModel.from_pretrained(load(model_dir), d, is_trainable=True).eval()
            trainable, total = model.get_nb_trainable_parameters()
            cfg = model.peft_config["default"]
            entry = {"trainable_params": trainable, "all_params": total, "task_type": str(cfg.task_type),
                     "fan_in_fan_out": bool(cfg.fan_in_fan_out),
                     "lora_modules": sorted(n[len("base_model.model."):-len(".lora_A.default.weight")]
                                            for n, _ in model.named_parameters() if n.endswith(".lora_A.default.weight")),
                     "warnings": sorted({str(w.message) for w in caught if "fan_in_fan_out" in str(w.message)}),
                     "unmerged": run(model, batches)}
            merged = model.merge_and_unload().eval()
            entry["merged"] = run(merged, batches)
            for u, m in zip(entry["unmerged"], entry["merged"]):
                m["max_abs_diff_vs_unmerged"] = float((u["_logits"] - m["_logits"]).abs().max())
            strip(entry["unmerged"]); strip(entry["merged"])
            result["adapters"][name] = entry
        elif os.path.isfile(os.path.join(d, "config.json")):
            result["models"][name] = {"outputs": strip(run(load(d), batches))}
    with open(out_json, "w") as f:
        json.dump(result, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main(*sys.argv[1:4])
