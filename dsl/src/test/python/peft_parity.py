"""PEFT 0.21 fixtures for DoRA, the PiSSA / OLoRA / gaussian initialisations and LoRA+.

Usage (see README.md in this folder):
    python peft_parity.py BASE_DIR OUT_DIR

BASE_DIR is ../shared/fixtures/t5/tiny_flan (its expected.json supplies the batches). OUT_DIR
(dsl/src/test/resources/io/peft4j/peft/parity) receives one folder per fixture:

    <fixture>/adapter/        the adapter as PEFT's save_pretrained writes it (unconverted)
    <fixture>/initial/        the adapter before training (training fixtures)
    <fixture>/converted/      save_pretrained(path_initial_model_for_weight_conversion=...) (pissa, olora)
    <fixture>/expected.safetensors   full float32 tensors (logits per batch, residual weights, ...)
    <fixture>/expected.json          scalars: losses, parameter counts, greedy ids, optimizer groups

Every run of a model uses dropout_rate 0 and lora_dropout 0 in training, so that a forward pass is
a function of the weights alone; the Java tests reproduce each number from the same files. The
Java build never runs this script.
"""
import json
import math
import os
import shutil
import sys

import torch
import peft
import transformers
from peft import LoraConfig, PeftModel, get_peft_model
from peft.optimizers import create_loraplus_optimizer
from peft.tuners.lora.layer import LoraLayer
from safetensors.torch import save_file
from transformers import T5ForConditionalGeneration

# peft 0.21 reads an attribute that transformers 5.x renamed (only its own generate() uses it)
if not hasattr(T5ForConditionalGeneration, "_prepare_encoder_decoder_kwargs_for_generation"):
    T5ForConditionalGeneration._prepare_encoder_decoder_kwargs_for_generation = (
        T5ForConditionalGeneration._prepare_text_encoder_decoder_kwargs_for_generation)

BASE = None
BATCHES = None
TRAIN_ORDER = [0, 1, 2, 0, 1]          # 5 optimizer steps: the Java Trainer's order without shuffling (3 batches, maxSteps 5)
PREFIX = "base_model.model."


def base_model():
    return T5ForConditionalGeneration.from_pretrained(BASE, dropout_rate=0.0).eval()


def tensors(b):
    return (torch.tensor(b["input_ids"]), torch.tensor(b["attention_mask"]), torch.tensor(b["labels"]))


def run(model, store, key, greedy=None):
    """Loss per batch; logits into store[key.logits.i]; greedy ids (12 new tokens) when greedy is a list."""
    losses = []
    with torch.no_grad():
        for i, b in enumerate(BATCHES):
            ids, mask, labels = tensors(b)
            out = model(input_ids=ids, attention_mask=mask, labels=labels)
            losses.append(float(out.loss))
            store[f"{key}.logits.{i}"] = out.logits.detach().float().contiguous()
            if greedy is not None:
                inner = model.get_base_model() if isinstance(model, PeftModel) else model
                seq = inner.generate(input_ids=ids, attention_mask=mask, max_new_tokens=12, do_sample=False, num_beams=1)
                greedy.append(seq.tolist())
    return losses


def lora_layers(model):
    return {n[len(PREFIX):] if n.startswith(PREFIX) else n: m for n, m in model.named_modules() if isinstance(m, LoraLayer)}


def trainable(model):
    return {n: p for n, p in model.named_parameters() if p.requires_grad}


def short(name):
    """base_model.model.X.lora_A.default.weight -> X.lora_A.default.weight (peft4j's in-memory names)."""
    return name[len(PREFIX):] if name.startswith(PREFIX) else name


def train(model, optimizer, steps, clip=1.0, store=None):
    """The Java Trainer's loop: linear schedule without warmup, clip_grad_norm_, one batch per step."""
    sched = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda cur: max(0.0, (steps - cur) / max(1, steps)))
    params = [p for g in optimizer.param_groups for p in g["params"]]
    model.train()
    losses = []
    for s in range(steps):
        ids, mask, labels = tensors(BATCHES[TRAIN_ORDER[s]])
        loss = model(input_ids=ids, attention_mask=mask, labels=labels).loss
        losses.append(float(loss))
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, clip)
        optimizer.step()
        sched.step()
    model.eval()
    return losses


def gradients(model, store):
    """Gradients of every trainable parameter for batch 0 (training mode, no dropout)."""
    model.train()
    model.zero_grad()
    ids, mask, labels = tensors(BATCHES[0])
    loss = model(input_ids=ids, attention_mask=mask, labels=labels).loss
    loss.backward()
    for n, p in trainable(model).items():
        store["grad." + short(n)] = p.grad.detach().clone()
    model.zero_grad()
    model.eval()
    return float(loss)


def save(out, name, store, info):
    d = os.path.join(out, name)
    tidy(d)
    save_file({k: v.contiguous() for k, v in store.items()}, os.path.join(d, "expected.safetensors"))
    info["versions"] = {"peft": peft.__version__, "transformers": transformers.__version__, "torch": torch.__version__}
    with open(os.path.join(d, "expected.json"), "w") as f:
        json.dump(info, f, indent=1)
        f.write("\n")


def tidy(d):
    """PEFT writes a model card next to each adapter; the fixtures do not need it."""
    for root, _, files in os.walk(d):
        if "README.md" in files:
            os.remove(os.path.join(root, "README.md"))


def fresh(out, name):
    d = os.path.join(out, name)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    return d


def perturb_magnitude(model, seed):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for n, p in model.named_parameters():
            if "lora_magnitude_vector" in n:
                p.mul_(1 + 0.25 * torch.randn(p.shape, generator=g))


def dora(out, name, config, seed, train_steps=0, lr=2e-2, magnitude_seed=None):
    """A DoRA adapter: optionally trained from its saved initial state, then outputs unmerged and merged."""
    d = fresh(out, name)
    torch.manual_seed(seed)
    model = get_peft_model(base_model(), config)
    store, info = {}, {"config": name}
    if magnitude_seed is not None:
        perturb_magnitude(model, magnitude_seed)
    if train_steps:
        model.save_pretrained(os.path.join(d, "initial"))
        info["initial_loss_batch0"] = gradients(model, store)
        opt = torch.optim.AdamW(list(trainable(model).values()), lr=lr, weight_decay=0.0)
        info["train"] = {"lr": lr, "steps": train_steps, "order": TRAIN_ORDER, "clip": 1.0, "schedule": "linear",
                         "losses": train(model, opt, train_steps)}
        for n, p in trainable(model).items():
            store["final." + short(n)] = p.detach().clone()
    model.save_pretrained(os.path.join(d, "adapter"))
    model.eval()          # get_peft_model leaves the new lora_dropout modules in training mode
    t, a = model.get_nb_trainable_parameters()
    info["trainable_params"], info["all_params"] = t, a
    greedy = []
    info["unmerged_loss"] = run(model, store, "unmerged", greedy)
    info["greedy"] = greedy
    layers = lora_layers(model)
    example = next(iter(layers))
    info["example_module"] = example
    before = layers[example].get_base_layer().weight.detach().clone()
    layers[example].merge()
    store["merged_weight." + example] = layers[example].get_base_layer().weight.detach().clone()
    layers[example].unmerge()
    info["unmerge_max_abs_vs_original"] = float((layers[example].get_base_layer().weight - before).abs().max())
    merged = model.merge_and_unload().eval()
    info["merged_loss"] = run(merged, store, "merged")
    save(out, name, store, info)


def mutating(out, name, init, seed, targets, r=4, alpha=8, train_steps=5, lr=1e-2, use_dora=False):
    """PiSSA / OLoRA: initial factors and residual weights, 5 training steps, unconverted and converted saves."""
    d = fresh(out, name)
    torch.manual_seed(seed)
    sketches = {}
    if init.startswith("pissa_niter_"):
        # record the Gaussian test matrix torch.svd_lowrank draws for each module ("the same factors")
        real_randn, real_init = torch.randn, LoraLayer.pissa_init
        current = {}

        def randn(*args, **kwargs):
            t = real_randn(*args, **kwargs)
            if "layer" in current:
                sketches[current["layer"]] = t.detach().clone()
            return t

        def pissa_init(self, adapter_name, init_lora_weights):
            current["layer"] = id(self)
            try:
                return real_init(self, adapter_name, init_lora_weights)
            finally:
                current.pop("layer")

        torch.randn, LoraLayer.pissa_init = randn, pissa_init
    config = LoraConfig(r=r, lora_alpha=alpha, target_modules=targets, init_lora_weights=init, use_dora=use_dora,
                        lora_dropout=0.0, task_type="SEQ_2_SEQ_LM")
    try:
        model = get_peft_model(base_model(), config)
    finally:
        if init.startswith("pissa_niter_"):
            torch.randn, LoraLayer.pissa_init = real_randn, real_init
    model.eval()
    store, info = {}, {"config": name, "init_lora_weights": init}
    layers = lora_layers(model)
    for m, layer in layers.items():
        store["residual." + m] = layer.get_base_layer().weight.detach().clone()
        store["init_A." + m] = layer.lora_A["default"].weight.detach().clone()
        store["init_B." + m] = layer.lora_B["default"].weight.detach().clone()
        if use_dora:
            store["init_magnitude." + m] = layer.lora_magnitude_vector["default"].weight.detach().clone()
        if id(layer) in sketches:
            store["sketch." + m] = sketches[id(layer)]
    info["modules"] = list(layers)
    info["sketched"] = len(sketches)
    # the initial adapter, saved as PEFT's conversion recipe asks (init_lora_weights=True)
    model.peft_config["default"].init_lora_weights = True
    model.save_pretrained(os.path.join(d, "initial"))
    model.peft_config["default"].init_lora_weights = init
    info["initial_loss"] = run(model, {}, "initial")
    opt = torch.optim.AdamW(list(trainable(model).values()), lr=lr, weight_decay=0.0)
    info["train"] = {"lr": lr, "steps": train_steps, "order": TRAIN_ORDER, "clip": 1.0, "schedule": "linear",
                     "losses": train(model, opt, train_steps)}
    for m, layer in layers.items():
        store["final_delta." + m] = (layer.lora_B["default"].weight @ layer.lora_A["default"].weight).detach().clone()
    model.save_pretrained(os.path.join(d, "adapter"))
    if not use_dora:
        model.save_pretrained(os.path.join(d, "converted"),
                              path_initial_model_for_weight_conversion=os.path.join(d, "initial"))
    t, a = model.get_nb_trainable_parameters()
    info["trainable_params"], info["all_params"] = t, a
    greedy = []
    info["unmerged_loss"] = run(model, store, "unmerged", greedy)
    info["greedy"] = greedy
    merged = model.merge_and_unload().eval()
    info["merged_loss"] = run(merged, store, "merged")
    if not use_dora:
        conv = PeftModel.from_pretrained(base_model(), os.path.join(d, "converted")).eval()
        info["converted_loss"] = run(conv, store, "converted")
    if not init.startswith("pissa_niter_"):
        # PEFT itself loading the unconverted adapter: it recomputes the residual from the base
        again = PeftModel.from_pretrained(base_model(), os.path.join(d, "adapter")).eval()
        info["reloaded_loss"] = run(again, store, "reloaded")
    save(out, name, store, info)


def gaussian(out, name, seed):
    d = fresh(out, name)
    torch.manual_seed(seed)
    model = get_peft_model(base_model(), LoraConfig(r=4, lora_alpha=8, target_modules=["k", "o"],
                                                    init_lora_weights="gaussian", task_type="SEQ_2_SEQ_LM")).eval()
    store, info = {}, {"config": name}
    a_values = torch.cat([l.lora_A["default"].weight.detach().flatten() for l in lora_layers(model).values()])
    info["init_A_std"] = float(a_values.std())
    info["init_A_count"] = a_values.numel()
    with torch.no_grad():
        g = torch.Generator().manual_seed(seed + 1)
        for l in lora_layers(model).values():
            l.lora_B["default"].weight.copy_(0.1 * torch.randn(l.lora_B["default"].weight.shape, generator=g))
    model.save_pretrained(os.path.join(d, "adapter"))
    info["unmerged_loss"] = run(model, store, "unmerged")
    save(out, name, store, info)


def loraplus(out, name, config, seed, ratio=16.0, lr=5e-3, weight_decay=0.01):
    """create_loraplus_optimizer(AdamW): param groups, 5 steps from the saved initial adapter, final states."""
    d = fresh(out, name)
    torch.manual_seed(seed)
    model = get_peft_model(base_model(), config)
    perturb_magnitude(model, seed + 7)
    model.save_pretrained(os.path.join(d, "initial"))
    opt = create_loraplus_optimizer(model, torch.optim.AdamW, lr=lr, loraplus_lr_ratio=ratio,
                                    loraplus_weight_decay=weight_decay)
    names = {id(p): short(n) for n, p in model.named_parameters()}
    groups = [{"name": gname, "lr": g["lr"], "weight_decay": g["weight_decay"], "params": [names[id(p)] for p in g["params"]]}
              for gname, g in zip(["groupA", "embedding", "groupB", "groupB_no_decay"], opt.param_groups)]
    info = {"config": name, "lr": lr, "loraplus_lr_ratio": ratio, "loraplus_weight_decay": weight_decay, "groups": groups}
    info["train"] = {"steps": 5, "order": TRAIN_ORDER, "clip": 1.0, "schedule": "linear", "losses": train(model, opt, 5)}
    store = {}
    for n, p in trainable(model).items():
        store["final." + short(n)] = p.detach().clone()
        st = opt.state[p]
        store["exp_avg." + short(n)] = st["exp_avg"].detach().clone()
        store["exp_avg_sq." + short(n)] = st["exp_avg_sq"].detach().clone()
        info["adam_step"] = float(st["step"])
    save(out, name, store, info)


def main(base, out):
    global BASE, BATCHES
    BASE = base
    BATCHES = json.load(open(os.path.join(base, "expected.json")))["batches"]
    os.makedirs(out, exist_ok=True)
    dora(out, "dora_qv", LoraConfig(r=4, lora_alpha=8, target_modules=["q", "v"], use_dora=True, init_lora_weights=False,
                                    task_type="SEQ_2_SEQ_LM"), seed=101, train_steps=5)
    dora(out, "dora_all_rslora", LoraConfig(r=8, lora_alpha=16, target_modules="all-linear", use_dora=True, use_rslora=True,
                                            lora_dropout=0.05, init_lora_weights=False, task_type="SEQ_2_SEQ_LM"),
         seed=102, magnitude_seed=103)
    mutating(out, "pissa", "pissa", seed=201, targets=["q", "v", "wi_0", "wo"])
    mutating(out, "olora", "olora", seed=202, targets=["q", "v", "wi_0", "wo"])
    mutating(out, "pissa_niter_2", "pissa_niter_2", seed=203, targets=["q", "v", "wi_0", "wo"])
    mutating(out, "dora_pissa", "pissa", seed=204, targets=["k", "wi_1"], use_dora=True)
    gaussian(out, "gaussian", seed=301)
    loraplus(out, "loraplus", LoraConfig(r=4, lora_alpha=8, target_modules=["q", "v"], init_lora_weights=False,
                                         task_type="SEQ_2_SEQ_LM"), seed=401)
    loraplus(out, "loraplus_dora", LoraConfig(r=4, lora_alpha=8, target_modules=["q", "v", "wo"], use_dora=True,
                                              init_lora_weights=False, task_type="SEQ_2_SEQ_LM"), seed=402)


if __name__ == "__main__":
    main(*sys.argv[1:3])
