"""Tiny Llama-shaped reference checkpoints with transformers' own outputs, for peft4j's Java tests.

Usage:
    python make_causal_fixtures.py OUT_DIR
(OUT_DIR is dsl/src/test/resources/io/peft4j/model/llama; see README.md in this folder.)

Each sub-folder holds config.json, the weights, generation_config.json and expected.json in the
layout of ../shared/fixtures/causal (batches; per batch loss, logits summary, logits_valid_sum,
argmax and top2_margin; greedy sequences, 12 new tokens, on the left-padded batch) plus
beam_sequences (num_beams=3, 6 new tokens). Every number is computed from the files on disk,
loaded as a user loads them (AutoModelForCausalLM.from_pretrained(dir, dtype=float32)), eval mode.

  mistral_head_dim   MistralForCausalLM, head_dim 16 != hidden/heads (8), 2 kv heads, sliding_window 6
                     (shorter than the sequences), config rewritten in the transformers-4.x style
                     (rope_theta, torch_dtype at the top level); a LoRA adapter on all-linear (r 4)
  llama_one_kv       LlamaForCausalLM, one key/value head (MQA), attention_bias (q/k/v/o bias), untied
  llama3_tied_bf16   LlamaForCausalLM, tied embeddings, rope_scaling llama3 (all three frequency bands),
                     weights stored as BF16, generation_config.json with two eos ids
  llama_sharded      LlamaForCausalLM, linear rope scaling, weights in several safetensors shards
                     with model.safetensors.index.json
"""
import json
import os
import shutil
import sys

import torch
import transformers
import peft
from transformers import (AutoModelForCausalLM, GenerationConfig, LlamaConfig, LlamaForCausalLM, MistralConfig,
                          MistralForCausalLM)
from peft import LoraConfig, get_peft_model, PeftModel

VOCAB, BOS, EOS, PAD = 96, 1, 2, 0


def summary(t):
    flat = t.detach().double().flatten()
    w = ((torch.arange(flat.numel()) % 13) + 1).double() / 13
    return {"shape": list(t.shape), "first16": [float(x) for x in flat[:16]], "sum": float(flat.sum()),
            "abs_sum": float(flat.abs().sum()), "sq_sum": float((flat * flat).sum()), "weighted_sum": float((flat * w).sum())}


def batches(seed):
    g = torch.Generator().manual_seed(seed)

    def row(n):
        return [BOS] + torch.randint(3, VOCAB, (n - 1,), generator=g).tolist()
    # right-padded training batch, labels -100 on a prompt part and on padding
    lens, T = [14, 9, 12], 14
    ids, mask, labels = [], [], []
    for n in lens:
        r = row(n)
        ids.append(r + [PAD] * (T - n))
        mask.append([1] * n + [0] * (T - n))
        lab = [-100] * 4 + r[4:] + [-100] * (T - n)
        labels.append(lab)
    train = {"padding_side": "right", "input_ids": ids, "attention_mask": mask, "labels": labels}
    # left-padded generation batch
    lens, T = [11, 7, 9], 11
    ids, mask, labels = [], [], []
    for n in lens:
        r = row(n)
        ids.append([PAD] * (T - n) + r)
        mask.append([0] * (T - n) + [1] * n)
        labels.append([-100] * (T - n) + [-100] * 3 + r[3:])
    gen = {"padding_side": "left", "input_ids": ids, "attention_mask": mask, "labels": labels}
    return [train, gen]


def outputs(model, bs, gen_cfg):
    out = []
    with torch.no_grad():
        for b in bs:
            ids, mask = torch.tensor(b["input_ids"]), torch.tensor(b["attention_mask"])
            r = model(input_ids=ids, attention_mask=mask, labels=torch.tensor(b["labels"]))
            logits = r.logits
            top2 = logits.topk(2, dim=-1).values
            margin = (top2[..., 0] - top2[..., 1])
            e = {"loss": float(r.loss), "logits": summary(logits),
                 "logits_valid_sum": float((logits.double() * mask[..., None]).sum()),
                 "argmax": logits.argmax(-1).tolist(),
                 "top2_margin": [[round(float(x), 6) for x in row] for row in margin],
                 "min_top2_margin_valid": float(margin[mask.bool()].min())}
            if b["padding_side"] == "left":
                e["greedy_sequences"] = model.generate(input_ids=ids, attention_mask=mask, max_new_tokens=12,
                                                       do_sample=False, generation_config=gen_cfg).tolist()
                e["beam_sequences"] = model.generate(input_ids=ids, attention_mask=mask, max_new_tokens=6, do_sample=False,
                                                     num_beams=3, generation_config=gen_cfg).tolist()
            out.append(e)
    return out


def finish(folder, name, what, adapters=None, note=None):
    model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32).eval()
    gen_cfg = GenerationConfig.from_pretrained(folder)
    bs = batches(sum(map(ord, name)))
    exp = {"model": name, "family": model.config.model_type, "architecture": type(model).__name__, "what": what,
           "library_versions": {"transformers": transformers.__version__, "peft": peft.__version__, "torch": torch.__version__},
           "compute": "float32, eval mode", "batches": bs, "base": outputs(model, bs, gen_cfg), "adapters": {}}
    if note:
        exp["note"] = note
    for ad in adapters or []:
        base = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32).eval()
        pm = PeftModel.from_pretrained(base, os.path.join(folder, ad)).eval()
        entry = {"dir": ad, "unmerged": outputs(pm, bs, gen_cfg)}
        entry["merged"] = outputs(pm.merge_and_unload().eval(), bs, gen_cfg)
        exp["adapters"][ad] = entry
    with open(os.path.join(folder, "expected.json"), "w") as f:
        json.dump(exp, f, indent=1)
        f.write("\n")


def gen_config(folder, eos):
    GenerationConfig(bos_token_id=BOS, eos_token_id=eos, pad_token_id=PAD).save_pretrained(folder)


def lora(model, folder, seed):
    torch.manual_seed(seed)
    cfg = LoraConfig(r=4, lora_alpha=8, target_modules="all-linear", task_type="CAUSAL_LM", init_lora_weights=False)
    pm = get_peft_model(model, cfg)
    pm.save_pretrained(os.path.join(folder, "lora_all_linear"))


def main(out):
    common = dict(vocab_size=VOCAB, hidden_size=32, intermediate_size=48, num_hidden_layers=2, num_attention_heads=4,
                  max_position_embeddings=128, rms_norm_eps=1e-5, bos_token_id=BOS, eos_token_id=EOS, pad_token_id=PAD,
                  initializer_range=0.1)

    # 1. Mistral, explicit head_dim, sliding window, 4.x-style config
    name = "mistral_head_dim"
    d = os.path.join(out, name)
    shutil.rmtree(d, ignore_errors=True)
    torch.manual_seed(1)
    m = MistralForCausalLM(MistralConfig(**common, num_key_value_heads=2, head_dim=16, sliding_window=6,
                                         rope_parameters={"rope_type": "default", "rope_theta": 10000.0})).eval()
    m.save_pretrained(d)
    gen_config(d, EOS)
    lora(m, d, 2)
    cfg = json.load(open(os.path.join(d, "config.json")))
    rope = cfg.pop("rope_parameters")
    cfg["rope_theta"] = rope["rope_theta"]
    cfg["torch_dtype"] = cfg.pop("dtype")
    json.dump(cfg, open(os.path.join(d, "config.json"), "w"), indent=2)
    finish(d, name, "Mistral, head_dim 16 != hidden/heads, 2 kv heads, sliding_window 6, 4.x-style config", ["lora_all_linear"])

    # 2. Llama, one key/value head, attention bias
    name = "llama_one_kv"
    d = os.path.join(out, name)
    shutil.rmtree(d, ignore_errors=True)
    torch.manual_seed(3)
    m = LlamaForCausalLM(LlamaConfig(**common, num_key_value_heads=1, attention_bias=True,
                                     rope_parameters={"rope_type": "default", "rope_theta": 500000.0})).eval()
    with torch.no_grad():
        for n, p in m.named_parameters():
            if n.endswith(".bias"):
                p.normal_(0, 0.1)
    m.save_pretrained(d)
    gen_config(d, EOS)
    finish(d, name, "Llama, 4 heads / 1 kv head, attention_bias (q/k/v/o), untied")

    # 3. Llama tied, llama3 rope scaling, BF16 storage, two eos ids
    name = "llama3_tied_bf16"
    d = os.path.join(out, name)
    shutil.rmtree(d, ignore_errors=True)
    torch.manual_seed(4)
    m = LlamaForCausalLM(LlamaConfig(**{**common, "num_attention_heads": 2}, num_key_value_heads=2, tie_word_embeddings=True,
                                     rope_parameters={"rope_type": "llama3", "rope_theta": 500000.0, "factor": 8.0,
                                                      "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                                                      "original_max_position_embeddings": 64})).eval()
    m.to(torch.bfloat16).save_pretrained(d)
    gen_config(d, EOS)
    # a second eos: a token greedy emits mid-way in row 0 only, so that row stops early
    fm = AutoModelForCausalLM.from_pretrained(d, dtype=torch.float32).eval()
    b = batches(sum(map(ord, name)))[1]
    with torch.no_grad():
        seq = fm.generate(input_ids=torch.tensor(b["input_ids"]), attention_mask=torch.tensor(b["attention_mask"]),
                          max_new_tokens=12, do_sample=False).tolist()
    T = len(b["input_ids"][0])
    new0, others = seq[0][T:], set(t for r in seq[1:] for t in r[T:])
    second = next((t for t in new0[2:] if t not in others and t not in (EOS, PAD)), None)
    gen_config(d, [EOS, second] if second is not None else EOS)
    finish(d, name, "Llama, tied, llama3 rope scaling (L=64: high, medium and low bands at head_dim 16), BF16 storage, "
           "eos_token_id [2, %s] in generation_config.json" % second)

    # 4. Llama sharded, linear rope scaling
    name = "llama_sharded"
    d = os.path.join(out, name)
    shutil.rmtree(d, ignore_errors=True)
    torch.manual_seed(5)
    m = LlamaForCausalLM(LlamaConfig(**common, num_key_value_heads=2,
                                     rope_parameters={"rope_type": "linear", "rope_theta": 10000.0, "factor": 2.0})).eval()
    m.save_pretrained(d, max_shard_size="40KB")
    gen_config(d, EOS)
    finish(d, name, "Llama, linear rope scaling (factor 2), safetensors shards + index")


if __name__ == "__main__":
    main(sys.argv[1])
