"""transformers' beam search on the shared T5 fixture tiny_flan, for T5BeamSearchTest.

Usage (from the repository root):
    /work/pyenv/bin/python dsl/src/test/python/gen_t5_beams.py ../shared/fixtures/t5/tiny_flan \
        dsl/src/test/resources/io/peft4j/model/t5/tiny_flan_beams.json
"""
import json
import sys

import torch
import transformers
from transformers import T5ForConditionalGeneration

fixture, out = sys.argv[1:3]
batches = json.load(open(f"{fixture}/expected.json"))["batches"]
model = T5ForConditionalGeneration.from_pretrained(fixture).eval()
cases = []
for i, b in enumerate(batches):
    for beams in (2, 3, 4):
        with torch.no_grad():
            seqs = model.generate(input_ids=torch.tensor(b["input_ids"]), attention_mask=torch.tensor(b["attention_mask"]),
                                  num_beams=beams, max_new_tokens=20, do_sample=False)
        cases.append({"batch": i, "num_beams": beams, "max_new_tokens": 20, "sequences": seqs.tolist()})
with open(out, "w") as f:
    json.dump({"transformers": transformers.__version__, "torch": torch.__version__,
               "definition": "model.generate(num_beams=K, max_new_tokens=20, do_sample=False) on batches[i] of "
                             "tiny_flan/expected.json (length_penalty 1.0, early_stopping false)",
               "cases": cases}, f, indent=1)
    f.write("\n")
