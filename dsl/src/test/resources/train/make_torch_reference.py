#!/usr/bin/env python3
"""Generates torch_reference.json: AdamW trajectories (torch.optim.AdamW), clip_grad_norm_ and
transformers' learning-rate schedules, for io.peft4j.train tests. Run with a venv holding torch and
transformers (this machine: pip mirror), e.g.
    /tmp/venv-train/bin/python make_torch_reference.py > torch_reference.json
The Java build never runs this script; it reads the committed JSON."""
import json
import torch
import transformers
from transformers import (get_constant_schedule_with_warmup, get_linear_schedule_with_warmup,
                          get_cosine_schedule_with_warmup)

torch.manual_seed(0)
shapes = {"a.weight": (3, 4), "b.bias": (5,)}
init = {n: torch.randn(*s, dtype=torch.float32) for n, s in shapes.items()}


def flat(t):
    return [float(x) for x in t.detach().reshape(-1).tolist()]


def trajectory(steps, grad_scale, opt_kwargs, clip=None, schedule=None):
    params = {n: torch.nn.Parameter(v.clone()) for n, v in init.items()}
    opt = torch.optim.AdamW(list(params.values()), **opt_kwargs)
    sched = schedule(opt) if schedule else None
    g = torch.Generator().manual_seed(1)
    out = []
    for _ in range(steps):
        grads = {n: torch.randn(*shapes[n], generator=g) * grad_scale for n in shapes}
        for n, p in params.items():
            p.grad = grads[n].clone()
        rec = {"grads": {n: flat(grads[n]) for n in shapes}, "lr": opt.param_groups[0]["lr"]}
        if clip is not None:
            rec["total_norm"] = float(torch.nn.utils.clip_grad_norm_(list(params.values()), clip))
        opt.step()
        if sched:
            sched.step()
        rec["params"] = {n: flat(p) for n, p in params.items()}
        out.append(rec)
    return out


ref = {
    "torch": torch.__version__,
    "transformers": transformers.__version__,
    "shapes": {n: list(s) for n, s in shapes.items()},
    "init": {n: flat(v) for n, v in init.items()},
    "defaults": {"opt": {"lr": 1e-3}, "steps": trajectory(8, 1.0, {"lr": 1e-3})},
    "pipeline": {
        "opt": {"lr": 0.05, "betas": [0.8, 0.99], "eps": 1e-6, "weight_decay": 0.1},
        "clip": 0.5, "warmup": 3, "total": 10, "schedule": "cosine",
        "steps": trajectory(10, 2.0, {"lr": 0.05, "betas": (0.8, 0.99), "eps": 1e-6, "weight_decay": 0.1},
                            clip=0.5, schedule=lambda o: get_cosine_schedule_with_warmup(o, 3, 10)),
    },
    "schedules": [],
}

for name, fn in [("CONSTANT", lambda o, w, t: get_constant_schedule_with_warmup(o, w)),
                 ("LINEAR", get_linear_schedule_with_warmup),
                 ("COSINE", get_cosine_schedule_with_warmup)]:
    for warmup, total in [(3, 10), (0, 7), (5, 5)]:
        p = torch.nn.Parameter(torch.zeros(1))
        o = torch.optim.SGD([p], lr=1.0)
        s = fn(o, warmup, total)
        lrs = []
        for _ in range(total + 2):
            lrs.append(o.param_groups[0]["lr"])
            o.step()
            s.step()
        ref["schedules"].append({"schedule": name, "warmup": warmup, "total": total, "lr_per_step": lrs})

print(json.dumps(ref, indent=1))
