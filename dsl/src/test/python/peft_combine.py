"""Reference numbers for peft4j's adapter combinations (io.peft4j.peft.AdapterCombiner) from PEFT 0.21's
own ``LoraModel.add_weighted_adapter`` on the tiny Llama fixture.

Usage (see README.md in this folder):
    python peft_combine.py ../shared/fixtures/causal/tiny_llama dsl/src/test/resources/io/peft4j/peft/combine

Writes into OUT:
  inputs/<name>/adapter_config.json + adapter_model.safetensors   the input adapters (PEFT format),
      random non-zero A and B drawn with fixed seeds:
        x  r=4 alpha=8   q_proj, v_proj
        y  r=4 alpha=16  q_proj, v_proj, alpha_pattern {v_proj: 4}   (per-module scaling)
        z  r=2 alpha=2   q_proj                                      (another rank, fewer modules)
        rs r=4 alpha=8   q_proj, v_proj, use_rslora                   (PEFT issue #3761)
  expected.safetensors   per combination and module: the new adapter's lora_A / lora_B as PEFT made
      them ("<combo>.<module>.lora_A"), and the random masks PEFT drew for the DARE types
      ("mask.<combo>.<module>.<part>.<index>", uint8; part lora_A / lora_B for the factor-space types,
      delta for the *_svd types; index = position of the adapter in the combination's list)
  expected.json          per combination: inputs, weights, options, the new config (r, lora_alpha,
      use_rslora, target_modules), PEFT's scaling of the new adapter per module, and for the #3761
      cases how far PEFT's delta W is from the weighted sum of the inputs' delta W.

The masks are captured by wrapping peft.utils.merge_utils.random_pruning (same torch.bernoulli
draw, recorded); the call order is PEFT's (modules in model order; lora_A of every adapter, then
lora_B; or one delta W per adapter) and is checked against the tensors' shapes.
"""
import json
import math
import os
import shutil
import sys
import tempfile

import torch
from safetensors.torch import save_file
from peft import LoraConfig, get_peft_model
from peft.tuners.lora import LoraLayer
from peft.utils import merge_utils
from transformers import AutoModelForCausalLM

ADAPTERS = {
    "x": dict(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"]),
    "y": dict(r=4, lora_alpha=16, target_modules=["q_proj", "v_proj"], alpha_pattern={"v_proj": 4}),
    "z": dict(r=2, lora_alpha=2, target_modules=["q_proj"]),
    "rs": dict(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"], use_rslora=True),
}

# name, adapters, weights, add_weighted_adapter keyword arguments
COMBOS = [
    ("linear_single", ["x"], [1.0], dict(combination_type="linear")),
    ("linear_single_scaled", ["y"], [0.5], dict(combination_type="linear")),
    ("ties_single", ["y"], [-0.8], dict(combination_type="ties", density=0.5)),   # PEFT: one adapter -> linear
    ("linear", ["x", "y"], [0.7, -0.4], dict(combination_type="linear")),
    ("cat", ["x", "y", "z"], [0.7, -0.4, 1.3], dict(combination_type="cat")),
    ("svd", ["x", "y"], [0.7, -0.4], dict(combination_type="svd")),
    ("svd_rank10", ["x", "y", "z"], [0.7, -0.4, 1.3], dict(combination_type="svd", svd_rank=10)),
    ("ties", ["x", "y"], [0.7, -0.4], dict(combination_type="ties", density=0.5)),
    ("ties_frequency", ["x", "y"], [0.6, 0.9], dict(combination_type="ties", density=0.3, majority_sign_method="frequency")),
    ("ties_svd", ["x", "y"], [0.7, -0.4], dict(combination_type="ties_svd", density=0.5)),
    ("dare_linear", ["x", "y"], [0.7, -0.4], dict(combination_type="dare_linear", density=0.6)),
    ("dare_ties", ["x", "y"], [0.7, -0.4], dict(combination_type="dare_ties", density=0.6)),
    ("dare_linear_svd", ["x", "y"], [0.7, -0.4], dict(combination_type="dare_linear_svd", density=0.6)),
    ("dare_ties_svd", ["x", "y"], [0.7, 0.5], dict(combination_type="dare_ties_svd", density=0.6, majority_sign_method="frequency")),
    ("magnitude_prune", ["x", "y"], [0.7, -0.4], dict(combination_type="magnitude_prune", density=0.5)),
    ("magnitude_prune_svd", ["x", "y"], [0.7, -0.4], dict(combination_type="magnitude_prune_svd", density=0.5)),
    # PEFT issue #3761: rsLoRA inputs
    ("rs_single", ["rs"], [1.0], dict(combination_type="linear")),
    ("rs_cat", ["rs", "x"], [0.5, 0.5], dict(combination_type="cat")),
]

SVD_TYPES = {"svd", "ties_svd", "dare_linear_svd", "dare_ties_svd", "magnitude_prune_svd"}

calls = []


def capture_random_pruning(tensor, density, rescale):
    mask = torch.bernoulli(torch.full_like(input=tensor, fill_value=density))
    calls.append(mask.clone())
    pruned = tensor * mask
    if rescale:
        pruned = pruned / density
    return pruned


def lora_layers(model):
    return [(k, m) for k, m in model.base_model.model.named_modules() if isinstance(m, LoraLayer)]


def delta(layer, name):
    return (layer.lora_B[name].weight @ layer.lora_A[name].weight) * layer.scaling[name]


def main(fixture, out):
    torch.manual_seed(0)
    base = AutoModelForCausalLM.from_pretrained(fixture, dtype=torch.float32).eval()
    names = list(ADAPTERS)
    model = get_peft_model(base, LoraConfig(task_type="CAUSAL_LM", **ADAPTERS[names[0]]), adapter_name=names[0])
    for n in names[1:]:
        model.add_adapter(n, LoraConfig(task_type="CAUSAL_LM", **ADAPTERS[n]))
    gen = torch.Generator().manual_seed(1234)
    with torch.no_grad():
        for n in names:
            for _, layer in lora_layers(model):
                if n in layer.lora_A:
                    for w in (layer.lora_A[n].weight, layer.lora_B[n].weight):
                        w.copy_(torch.randn(w.shape, generator=gen) * 0.3)

    os.makedirs(out, exist_ok=True)
    tmp = tempfile.mkdtemp()
    for n in names:
        model.peft_config[n].base_model_name_or_path = "tiny_llama"
        model.save_pretrained(tmp, selected_adapters=[n])
        dst = os.path.join(out, "inputs", n)
        shutil.rmtree(dst, ignore_errors=True)
        shutil.copytree(os.path.join(tmp, n), dst)
    shutil.rmtree(tmp)

    merge_utils.random_pruning = capture_random_pruning
    tensors, combos = {}, []
    with torch.no_grad():
        for cname, adapters, weights, kw in COMBOS:
            new = "combo_" + cname
            calls.clear()
            model.add_weighted_adapter(adapters, weights, new, **kw)
            ctype = "linear" if len(adapters) == 1 else kw["combination_type"]
            cfg = model.peft_config[new]
            entry = {"name": cname, "adapters": adapters, "weights": weights,
                     "combination_type": kw["combination_type"], "effective_type": ctype,
                     "density": kw.get("density"), "majority_sign_method": kw.get("majority_sign_method", "total"),
                     "svd_rank": kw.get("svd_rank"), "new_r": cfg.r, "new_lora_alpha": cfg.lora_alpha,
                     "use_rslora": cfg.use_rslora, "target_modules": sorted(cfg.target_modules),
                     "modules": {}, "masks": []}
            expected_calls = []
            worst = 0.0
            for key, layer in lora_layers(model):
                if new not in layer.lora_A:
                    continue
                present = [i for i, a in enumerate(adapters) if a in layer.lora_A]
                A, B = layer.lora_A[new].weight, layer.lora_B[new].weight
                tensors[f"{cname}.{key}.lora_A"] = A.detach().clone().contiguous()
                tensors[f"{cname}.{key}.lora_B"] = B.detach().clone().contiguous()
                entry["modules"][key] = {"scaling": float(layer.scaling[new]), "adapters": [adapters[i] for i in present]}
                want = sum(weights[i] * delta(layer, adapters[i]) for i in present)
                worst = max(worst, float((delta(layer, new) - want).abs().max()))
                if ctype.startswith("dare"):
                    if ctype in SVD_TYPES:
                        expected_calls += [(key, "delta", i, tuple(layer.base_layer.weight.shape)) for i in present]
                    else:
                        for part, mod in (("lora_A", layer.lora_A), ("lora_B", layer.lora_B)):
                            expected_calls += [(key, part, i, tuple(mod[adapters[i]].weight.shape)) for i in present]
            assert len(calls) == len(expected_calls), (cname, len(calls), len(expected_calls))
            for (key, part, i, shape), mask in zip(expected_calls, calls):
                assert tuple(mask.shape) == shape, (cname, key, part, mask.shape, shape)
                mk = f"mask.{cname}.{key}.{part}.{i}"
                tensors[mk] = mask.to(torch.uint8).contiguous()
                entry["masks"].append(mk)
            entry["max_abs_delta_minus_weighted_sum"] = worst
            combos.append(entry)
            model.delete_adapter(new)

    save_file(tensors, os.path.join(out, "expected.safetensors"), metadata={"format": "pt"})
    meta = {"peft": __import__("peft").__version__, "transformers": __import__("transformers").__version__,
            "torch": torch.__version__, "fixture": "causal/tiny_llama", "adapters": ADAPTERS, "combinations": combos}
    with open(os.path.join(out, "expected.json"), "w") as f:
        json.dump(meta, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
