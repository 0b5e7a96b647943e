"""Golden data for peft4j's generation options (io.peft4j.model.LogitsProcessors, Generator).

Run with the local reference stack (torch, transformers):
    /work/pyenv/bin/python dsl/src/test/python/gen_generation_expected.py ../shared/fixtures/t5/tiny_flan \
        dsl/src/test/resources/io/peft4j/model/generation/expected.json
1. transformers' logits processors / warpers on random score rows (repetition penalty, no-repeat n-gram,
   temperature, top-k, top-p), one row at a time, banned entries as null (-inf);
2. T5ForConditionalGeneration.generate on the tiny FLAN-T5 fixture with repetition_penalty,
   no_repeat_ngram_size, beams with them, and several eos ids.
"""
import json, sys
import torch
import transformers
from transformers import T5ForConditionalGeneration
from transformers.generation.logits_process import (RepetitionPenaltyLogitsProcessor, NoRepeatNGramLogitsProcessor,
    TemperatureLogitsWarper, TopKLogitsWarper, TopPLogitsWarper)

fixture, out = sys.argv[1], sys.argv[2]
g = torch.Generator().manual_seed(7)
V = 40

def rows(t):
    return [[None if v == float("-inf") else float(v) for v in r] for r in t.tolist()]

cases = []
for i in range(12):
    scores = (torch.randn(1, V, generator=g, dtype=torch.float64) * 3)
    seq = torch.randint(0, V, (1, 3 + i), generator=g)
    if i % 3 == 0:  # repeat a bigram so no-repeat bans something
        seq = torch.cat([seq, seq[:, :2], seq[:, :1]], dim=1)
    case = {"scores": scores[0].tolist(), "seq": seq[0].tolist()}
    pen = 1.0 + 0.25 * (i % 4)
    case["repetition_penalty"] = pen
    case["after_repetition_penalty"] = rows(RepetitionPenaltyLogitsProcessor(pen)(seq, scores.clone()))[0]
    n = 2 + i % 3
    case["no_repeat_ngram_size"] = n
    case["after_no_repeat_ngram"] = rows(NoRepeatNGramLogitsProcessor(n)(seq, scores.clone()))[0]
    temp, k, p = [0.7, 1.0, 1.5][i % 3], [0, 5, 12][i % 3], [1.0, 0.9, 0.5, 0.3][i % 4]
    x = scores.clone()
    x = TemperatureLogitsWarper(temp)(seq, x)
    if k > 0: x = TopKLogitsWarper(k)(seq, x)
    if p < 1.0: x = TopPLogitsWarper(p)(seq, x)
    case.update({"temperature": temp, "top_k": k, "top_p": p, "after_warpers": rows(x)[0]})
    cases.append(case)

model = T5ForConditionalGeneration.from_pretrained(fixture, dtype=torch.float32).eval()
exp = json.load(open(f"{fixture}/expected.json"))
b = exp["batches"][0]
ids, mask = torch.tensor(b["input_ids"]), torch.tensor(b["attention_mask"])
runs = []
for name, kw in [("rep1.5", dict(repetition_penalty=1.5)),
                 ("ngram2", dict(no_repeat_ngram_size=2)),
                 ("rep1.3_ngram3", dict(repetition_penalty=1.3, no_repeat_ngram_size=3)),
                 ("beam3_ngram2", dict(num_beams=3, no_repeat_ngram_size=2)),
                 ("beam2_rep1.4", dict(num_beams=2, repetition_penalty=1.4)),
                 ("eos_list", dict(eos_token_id=[1, 44]))]:
    with torch.no_grad():
        seqs = model.generate(input_ids=ids, attention_mask=mask, max_new_tokens=12, do_sample=False, **kw)
    runs.append({"name": name, "kwargs": kw, "sequences": seqs.tolist()})
json.dump({"transformers": transformers.__version__, "torch": torch.__version__, "vocab": V, "processor_cases": cases,
           "batch": {"input_ids": b["input_ids"], "attention_mask": b["attention_mask"]}, "generate": runs},
          open(out, "w"), indent=1)
print("wrote", out)
