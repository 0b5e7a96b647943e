"""Tiny random GPT-2 fixtures for peft4j's GPT-2 engine, made with transformers + peft.

Usage (from the repository root, with the reference venv):
    PYTHONHASHSEED=0 /work/pyenv/bin/python dsl/src/test/python/gen_gpt2_fixtures.py dsl/src/test/resources/io/peft4j/model/gpt2
(PYTHONHASHSEED fixes the order PEFT writes an all-linear target set in; everything else is seeded.)

Writes, under OUT:
  tiny_gpt2/            GPT2LMHeadModel saved with save_pretrained (tied lm_head, F32, Conv1D biases and
                        LayerNorm weights/biases drawn random so every parameter matters), generation_config.json,
                        adapters lora_c_attn/ (r=4, alpha=8, c_attn, fan_in_fan_out=True) and
                        lora_all_linear/ (r=8, alpha=16, all-linear, rsLoRA, created with fan_in_fan_out=False:
                        PEFT warns and saves True), both with B drawn non-zero; ia3/ (c_attn, mlp.c_proj);
                        expected.json: batches, base / adapter (unmerged, merged) outputs, greedy and beam search.
  tiny_gpt2_variant/    a smaller GPT-2 with the less common settings: untied lm_head, n_inner given,
                        scale_attn_by_inverse_layer_idx, reorder_and_upcast_attn, stored as BF16;
                        expected.json with base outputs and greedy sequences.

Every expected number is computed from the files on disk, loaded as a user loads them
(AutoModelForCausalLM.from_pretrained(dir, dtype=float32), PeftModel.from_pretrained), in eval mode.
"""
import json
import os
import shutil
import sys
import warnings

import torch
import transformers
import peft
from peft import IA3Config, LoraConfig, PeftModel, get_peft_model
from transformers import AutoModelForCausalLM, GPT2Config, GPT2LMHeadModel


def randomize(model, scale, seed):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("ln_1.weight") or name.endswith("ln_2.weight") or name.endswith("ln_f.weight"):
                p.copy_(1.0 + 0.2 * torch.randn(p.shape, generator=g))
            elif name.endswith(".bias"):
                p.copy_(0.1 * torch.randn(p.shape, generator=g))
            elif "wte" in name or "wpe" in name or name == "lm_head.weight":
                p.copy_(scale * torch.randn(p.shape, generator=g))
            else:
                p.copy_(0.15 * torch.randn(p.shape, generator=g))


def summary(t):
    flat = t.detach().double().flatten()
    w = (torch.arange(flat.numel(), dtype=torch.float64) % 13 + 1) / 13
    return {"shape": list(t.shape), "first16": [float(x) for x in flat[:16]], "sum": float(flat.sum()),
            "abs_sum": float(flat.abs().sum()), "sq_sum": float((flat * flat).sum()), "weighted_sum": float((flat * w).sum())}


def forward_outputs(model, batch):
    ids = torch.tensor(batch["input_ids"])
    mask = torch.tensor(batch["attention_mask"])
    labels = torch.tensor(batch["labels"])
    with torch.no_grad():
        out = model(input_ids=ids, attention_mask=mask, labels=labels)
    logits = out.logits
    top2 = logits.topk(2, dim=-1).values
    margin = (top2[..., 0] - top2[..., 1]).double()
    valid = mask.bool()
    return {
        "loss": float(out.loss),
        "logits": summary(logits),
        "logits_valid_sum": float(logits.double()[valid].sum()),
        "argmax": logits.argmax(-1).tolist(),
        "top2_margin": [[round(float(x), 6) for x in row] for row in margin],
        "min_top2_margin_valid": float(margin[valid].min()),
    }


def generate(model, batch, **kw):
    with torch.no_grad():
        seqs = model.generate(input_ids=torch.tensor(batch["input_ids"]), attention_mask=torch.tensor(batch["attention_mask"]),
                              do_sample=False, **kw)
    return seqs.tolist()


def step_margins(model, batch, seqs, prompt_len):
    """top1 - top2 logit at each greedy step, recomputed with a full forward on the generated rows."""
    out = []
    with torch.no_grad():
        for b, row in enumerate(seqs):
            ids = torch.tensor([row])
            mask = torch.tensor([batch["attention_mask"][b] + [1] * (len(row) - prompt_len)])
            pos = (mask.cumsum(-1) - 1).clamp(min=0)
            logits = model(input_ids=ids, attention_mask=mask, position_ids=pos).logits[0]
            top2 = logits[prompt_len - 1:-1].topk(2, dim=-1).values
            out.append([round(float(x), 6) for x in (top2[:, 0] - top2[:, 1])])
    return out


def make_batches(rng, vocab, pad):
    def row(n):
        return torch.randint(0, vocab - 1, (n,), generator=rng).tolist()

    def labeled(ids, mask, prompt):
        lab = []
        for i, (t, m) in enumerate(zip(ids, mask)):
            lab.append(t if m == 1 and i >= prompt else -100)
        return lab

    batches = []
    # right-padded training batch
    lens, width, prompts = [20, 15, 9], 20, [6, 5, 3]
    b = {"padding_side": "right", "input_ids": [], "attention_mask": [], "labels": []}
    for n, p in zip(lens, prompts):
        ids = row(n) + [pad] * (width - n)
        mask = [1] * n + [0] * (width - n)
        b["input_ids"].append(ids); b["attention_mask"].append(mask); b["labels"].append(labeled(ids, mask, p))
    batches.append(b)
    # left-padded batch (forward with positions 0..T-1 on every row; generation from the mask)
    lens, width = [14, 8], 14
    b = {"padding_side": "left", "input_ids": [], "attention_mask": [], "labels": []}
    for n in lens:
        ids = [pad] * (width - n) + row(n)
        mask = [0] * (width - n) + [1] * n
        lab = [t if m == 1 and i >= width - n + 2 else -100 for i, (t, m) in enumerate(zip(ids, mask))]
        b["input_ids"].append(ids); b["attention_mask"].append(mask); b["labels"].append(lab)
    batches.append(b)
    # one unpadded row, long
    ids = row(40)
    batches.append({"padding_side": "right", "input_ids": [ids], "attention_mask": [[1] * 40],
                    "labels": [[-100] * 10 + ids[10:]]})
    return batches


def load(d):
    return AutoModelForCausalLM.from_pretrained(d, dtype=torch.float32).eval()


def choose_eos(model_dir, batch, max_new):
    """An eos id that greedy decoding of row 0 emits at a step >= 3 (so the fixture shows padding after eos)."""
    m = load(model_dir)
    seqs = generate(m, batch, max_new_tokens=max_new, pad_token_id=m.config.eos_token_id)
    p = len(batch["input_ids"][0])
    new0 = seqs[0][p:]
    for step in range(3, max_new - 1):
        tok = new0[step]
        if tok not in new0[:step] and all(tok not in s[p:p + step] for s in seqs[1:]):
            return tok
    raise RuntimeError("no eos candidate")


def tiny_gpt2(out):
    d = os.path.join(out, "tiny_gpt2")
    shutil.rmtree(d, ignore_errors=True)
    vocab = 300
    cfg = GPT2Config(vocab_size=vocab, n_positions=48, n_embd=48, n_layer=2, n_head=4, bos_token_id=vocab - 1,
                     eos_token_id=vocab - 1, layer_norm_epsilon=1e-5)
    torch.manual_seed(0)
    model = GPT2LMHeadModel(cfg)
    randomize(model, 0.3, 1)
    model.save_pretrained(d)
    rng = torch.Generator().manual_seed(2)
    batches = make_batches(rng, vocab, vocab - 1)
    gen_batch = batches[1]
    eos = choose_eos(d, gen_batch, 12)
    # the eos id only lives in the configs: set it there (weights unchanged) and save again
    model.config.eos_token_id = eos
    model.config.bos_token_id = eos
    model.generation_config.eos_token_id = eos
    model.generation_config.bos_token_id = eos
    model.save_pretrained(d)

    base = load(d)
    exp = {
        "model": "tiny_gpt2", "family": "gpt2", "architecture": "GPT2LMHeadModel",
        "library_versions": {"transformers": transformers.__version__, "peft": peft.__version__, "torch": torch.__version__},
        "compute": "float32, eval mode, attn_implementation " + base.config._attn_implementation,
        "eos_token_id": eos, "pad_token_id_for_generation": eos,
        "batches": batches,
        "base": [forward_outputs(base, b) for b in batches],
    }
    p = len(gen_batch["input_ids"][0])
    exp["base_greedy"] = generate(base, gen_batch, max_new_tokens=12)
    exp["base_greedy_step_margins"] = step_margins(base, gen_batch, exp["base_greedy"], p)
    exp["base_beam3"] = generate(base, gen_batch, max_new_tokens=12, num_beams=3)
    exp["base_beam3_first_row"] = generate(base, {k: v[:1] for k, v in gen_batch.items() if k != "padding_side"},
                                           max_new_tokens=12, num_beams=3)

    exp["adapters"] = {}
    specs = {
        "lora_c_attn": dict(r=4, lora_alpha=8, target_modules=["c_attn"], fan_in_fan_out=True),
        "lora_all_linear": dict(r=8, lora_alpha=16, target_modules="all-linear", use_rslora=True, lora_dropout=0.05,
                                fan_in_fan_out=False),
    }
    for i, (name, spec) in enumerate(specs.items()):
        m = load(d)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            pm = get_peft_model(m, LoraConfig(task_type="CAUSAL_LM", **spec))
        g = torch.Generator().manual_seed(10 + i)
        with torch.no_grad():
            for n, prm in pm.named_parameters():
                if "lora_B" in n:
                    prm.copy_(0.2 * torch.randn(prm.shape, generator=g))
        ad = os.path.join(d, name)
        pm.save_pretrained(ad)
        os.remove(os.path.join(ad, "README.md"))  # PEFT's model-card boilerplate
        saved_cfg = json.load(open(os.path.join(ad, "adapter_config.json")))
        # outputs from the files on disk
        pm = PeftModel.from_pretrained(load(d), ad).eval()
        entry = {"dir": name, "spec": spec, "saved_fan_in_fan_out": saved_cfg["fan_in_fan_out"],
                 "saved_target_modules": saved_cfg["target_modules"],
                 "peft_warnings": sorted({str(w.message) for w in caught if "fan_in_fan_out" in str(w.message)}),
                 "unmerged": [forward_outputs(pm, b) for b in batches]}
        entry["greedy"] = generate(pm, gen_batch, max_new_tokens=12)
        entry["beam3"] = generate(pm, gen_batch, max_new_tokens=12, num_beams=3)
        # gradient check: loss.backward on batch 0, first lora_A / lora_B in named_parameters order
        pt = PeftModel.from_pretrained(load(d), ad, is_trainable=True).eval()
        b0 = batches[0]
        out = pt(input_ids=torch.tensor(b0["input_ids"]), attention_mask=torch.tensor(b0["attention_mask"]),
                 labels=torch.tensor(b0["labels"]))
        out.loss.backward()
        ga = next((n, q) for n, q in pt.named_parameters() if "lora_A" in n)
        gb = next((n, q) for n, q in pt.named_parameters() if "lora_B" in n)
        module = ga[0].split(".lora_A")[0].replace("base_model.model.", "")
        entry["gradient_check"] = {"batch_index": 0, "loss": float(out.loss), "module": module,
                                   "lora_A_grad": {**summary(ga[1].grad), "frobenius": float(ga[1].grad.double().norm())},
                                   "lora_B_grad": {**summary(gb[1].grad), "frobenius": float(gb[1].grad.double().norm())}}
        merged = pm.merge_and_unload().eval()
        entry["merged"] = [forward_outputs(merged, b) for b in batches]
        entry["merged_greedy"] = generate(merged, gen_batch, max_new_tokens=12)
        exp["adapters"][name] = entry

    # IA3 on c_attn (output scaling) and mlp.c_proj (feed-forward: input scaling), fan_in_fan_out left False
    m = load(d)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pm = get_peft_model(m, IA3Config(task_type="CAUSAL_LM", target_modules=["c_attn", "mlp.c_proj"],
                                         feedforward_modules=["mlp.c_proj"]))
    g = torch.Generator().manual_seed(20)
    with torch.no_grad():
        for n, prm in pm.named_parameters():
            if "ia3_l" in n:
                prm.copy_(1.0 + 0.3 * torch.randn(prm.shape, generator=g))
    ad = os.path.join(d, "ia3")
    pm.save_pretrained(ad)
    os.remove(os.path.join(ad, "README.md"))
    saved_cfg = json.load(open(os.path.join(ad, "adapter_config.json")))
    pm = PeftModel.from_pretrained(load(d), ad).eval()
    entry = {"dir": "ia3", "saved_fan_in_fan_out": saved_cfg["fan_in_fan_out"],
             "peft_warnings": sorted({str(w.message) for w in caught if "fan_in_fan_out" in str(w.message)}),
             "unmerged": [forward_outputs(pm, b) for b in batches]}
    entry["greedy"] = generate(pm, gen_batch, max_new_tokens=12)
    merged = pm.merge_and_unload().eval()
    entry["merged"] = [forward_outputs(merged, b) for b in batches]
    exp["ia3"] = entry

    exp["definitions"] = {
        "batches": "labels are -100 on the prompt part and on padding; padding_side says where pad tokens are (pads are "
                   "token " + str(vocab - 1) + ", masked)",
        "loss": "transformers' causal-LM loss: logits[:, :-1] against labels[:, 1:], mean over labels != -100",
        "logits": "summary over the whole [B,T,V] tensor in float64, padded positions included (weighted_sum = "
                  "sum x[i]*((i mod 13)+1)/13); the forward uses position ids 0..T-1 on every row, also left-padded",
        "logits_valid_sum": "sum of logits over positions with attention_mask == 1",
        "argmax": "argmax over the vocabulary at every position (compare where attention_mask == 1 and top2_margin >= 1e-3)",
        "base_greedy": "model.generate(max_new_tokens=12, do_sample=False) on batches[1] (left-padded); pad_token_id is "
                       "unset so transformers pads with eos",
        "base_greedy_step_margins": "top1 - top2 logit at each generated step",
        "base_beam3": "model.generate(max_new_tokens=12, num_beams=3, do_sample=False) on batches[1]",
        "base_beam3_first_row": "the same on row 0 of batches[1] alone",
        "adapters": "PEFT adapters saved by save_pretrained, B drawn non-zero; unmerged = PeftModel.from_pretrained, "
                    "merged = merge_and_unload()",
        "gradient_check": "loss.backward() on batch 0 with the adapter, grads of the first lora_A/lora_B module",
        "ia3": "a PEFT IA3 adapter (c_attn, mlp.c_proj as feed-forward; vectors drawn around 1), unmerged and merged",
    }
    exp["suggested_tolerances"] = {"logits_elementwise_abs": 1e-4, "loss_abs": 1e-5, "checksums_rel_to_abs_sum": 1e-5,
                                   "grad_frobenius_rel": 1e-4, "argmax_greedy": "argmax exact where top2_margin >= 1e-3; greedy exact"}
    with open(os.path.join(d, "expected.json"), "w") as f:
        json.dump(exp, f, indent=1)
        f.write("\n")


def variant(out):
    d = os.path.join(out, "tiny_gpt2_variant")
    shutil.rmtree(d, ignore_errors=True)
    vocab = 64
    cfg = GPT2Config(vocab_size=vocab, n_positions=48, n_embd=16, n_layer=3, n_head=2, n_inner=40,
                     bos_token_id=vocab - 1, eos_token_id=vocab - 1, tie_word_embeddings=False,
                     scale_attn_by_inverse_layer_idx=True, reorder_and_upcast_attn=True, layer_norm_epsilon=1e-6)
    torch.manual_seed(3)
    model = GPT2LMHeadModel(cfg)
    randomize(model, 0.5, 4)
    model.to(torch.bfloat16).save_pretrained(d)
    rng = torch.Generator().manual_seed(5)
    batches = make_batches(rng, vocab, vocab - 1)
    base = load(d)
    exp = {
        "model": "tiny_gpt2_variant", "family": "gpt2",
        "library_versions": {"transformers": transformers.__version__, "peft": peft.__version__, "torch": torch.__version__},
        "compute": "float32 (weights stored BF16), eval mode",
        "batches": batches,
        "base": [forward_outputs(base, b) for b in batches],
        "base_greedy": generate(base, batches[1], max_new_tokens=12),
    }
    with open(os.path.join(d, "expected.json"), "w") as f:
        json.dump(exp, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    tiny_gpt2(out)
    variant(out)
