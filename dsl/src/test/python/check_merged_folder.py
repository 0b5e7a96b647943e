"""Checks that a folder written by peft4j's LoraResult.saveMerged / Model.save loads in transformers and
generates what peft4j generated (greedy). Not run by the build (the Java tests never need Python):

    PEFT4J_KEEP_MERGED=/tmp/keep mvn -o -pl dsl test -Dtest=MergeAndSaveTest
    /work/pyenv/bin/python dsl/src/test/python/check_merged_folder.py /tmp/keep
"""
import json
import sys

from transformers import AutoModelForSeq2SeqLM, AutoTokenizer, GenerationConfig

root = sys.argv[1]
folder = root + "/merged"
expected = json.load(open(root + "/java_generations.json"))
tok = AutoTokenizer.from_pretrained(folder)
model = AutoModelForSeq2SeqLM.from_pretrained(folder).eval()
gen = GenerationConfig.from_pretrained(folder)
print("loaded", type(model).__name__, type(tok).__name__, "params", sum(p.numel() for p in model.parameters()))
ok = True
for prompt, java in zip(expected["prompts"], expected["generations"]):
    ids = tok(prompt, return_tensors="pt")
    out = model.generate(**ids, generation_config=gen)
    py = tok.decode(out[0], skip_special_tokens=True).strip()
    same = py == java
    ok &= same
    print("same" if same else "DIFFERENT", repr(py), "|", repr(java))
print("all generations equal" if ok else "MISMATCH")
sys.exit(0 if ok else 1)
