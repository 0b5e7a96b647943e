"""Python PEFT 0.21 interoperability check for adapters saved by peft4j.

Usage (see README.md in this folder):
    python peft_interop.py ADAPTERS_DIR FIXTURE_DIR OUT_JSON

ADAPTERS_DIR holds the folders written by WriteInteropAdaptersTest (lora_qv, lora_all_rslora,
lora_patterns, ia3, prompt, dora, pissa (unconverted: PEFT recomputes the residual from the base),
pissa_converted (a plain LoRA adapter of rank 2r)). Each is loaded with peft.PeftModel.from_pretrained onto the
tiny_flan fixture model; logits and loss on the fixture batches are recorded unmerged and, for
LoRA and IA3, after merge_and_unload(). PythonInteropTest compares peft4j's outputs with them.
"""
import json
import sys

import torch
from peft import PeftModel
from transformers import T5ForConditionalGeneration

# peft 0.21 reads an attribute that transformers 5.x renamed; only generation uses it
if not hasattr(T5ForConditionalGeneration, "_prepare_encoder_decoder_kwargs_for_generation"):
    T5ForConditionalGeneration._prepare_encoder_decoder_kwargs_for_generation = (
        T5ForConditionalGeneration._prepare_text_encoder_decoder_kwargs_for_generation)


def summary(t):
    flat = t.detach().double().flatten()
    return {
        "shape": list(t.shape),
        "first16": [float(x) for x in flat[:16]],
        "sum": float(flat.sum()),
        "abs_sum": float(flat.abs().sum()),
    }


def run(model, batches):
    out = []
    with torch.no_grad():
        for b in batches:
            r = model(input_ids=torch.tensor(b["input_ids"]), attention_mask=torch.tensor(b["attention_mask"]),
                      labels=torch.tensor(b["labels"]))
            out.append({"logits": summary(r.logits), "loss": float(r.loss), "_logits": r.logits})
    return out


def main(adapters, fixture, out_json):
    batches = json.load(open(f"{fixture}/expected.json"))["batches"]
    result = {"peft": __import__("peft").__version__, "transformers": __import__("transformers").__version__,
              "torch": torch.__version__, "adapters": {}}
    for kind in ["lora_qv", "lora_all_rslora", "lora_patterns", "ia3", "prompt", "dora", "pissa", "pissa_converted"]:
        base = T5ForConditionalGeneration.from_pretrained(fixture).eval()
        # PEFT refuses is_trainable for prompt learning; count the prompt as trainable by hand there
        model = PeftModel.from_pretrained(base, f"{adapters}/{kind}", is_trainable=(kind != "prompt")).eval()
        trainable, total = model.get_nb_trainable_parameters()
        if kind == "prompt":
            trainable = model.prompt_encoder["default"].embedding.weight.numel()
        entry = {"trainable_params": trainable, "all_params": total, "unmerged": run(model, batches)}
        if kind != "prompt":
            merged = model.merge_and_unload().eval()
            entry["merged"] = run(merged, batches)
            for u, m in zip(entry["unmerged"], entry["merged"]):
                m["max_abs_diff_vs_unmerged"] = float((u["_logits"] - m["_logits"]).abs().max())
        for part in ("unmerged", "merged"):
            for r in entry.get(part, []):
                r.pop("_logits")
        result["adapters"][kind] = entry
    with open(out_json, "w") as f:
        json.dump(result, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main(*sys.argv[1:4])
