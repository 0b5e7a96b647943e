#!/usr/bin/env python3
"""PyTorch + PEFT peer of `bin/peft4j bench`: same configurations, same CSV columns, stack=pytorch.

    python bench/pytorch_peer.py --config demo --mode lora8 --threads 2 --csv [--batch 16 --source 128 --target 32]

Random-init T5ForConditionalGeneration from a config (no download), dropout 0.1 as in the config,
lm_head re-initialised with std d_model^-0.5 (HF's default std 1.0 produces denormals that slow a CPU
several-fold), random token ids, float32, AdamW-free step (forward + backward, like peft4j's bench).
Run one process per (config, mode) so peak RSS is per mode. A development tool, not part of CI.
"""
import argparse, resource, statistics, sys, time

import torch
from transformers import T5Config, T5ForConditionalGeneration

CONFIGS = {
    "flan-t5-small": dict(vocab_size=32128, d_model=512, d_kv=64, d_ff=1024, num_layers=8, num_decoder_layers=8,
                          num_heads=6, feed_forward_proj="gated-gelu", tie_word_embeddings=False, dropout_rate=0.1),
    "demo": dict(vocab_size=4000, d_model=128, d_kv=32, d_ff=512, num_layers=4, num_decoder_layers=4,
                 num_heads=4, feed_forward_proj="gated-gelu", tie_word_embeddings=False, dropout_rate=0.1),
}


def build(config, mode):
    torch.manual_seed(1234)
    m = T5ForConditionalGeneration(T5Config(**CONFIGS[config], decoder_start_token_id=0, pad_token_id=0, eos_token_id=1))
    with torch.no_grad():
        m.lm_head.weight.normal_(0.0, m.config.d_model ** -0.5)
    if mode != "full":
        from peft import LoraConfig, get_peft_model
        r, alpha, drop = (8, 16, 0.0) if mode == "lora8" else (32, 32, 0.05)
        m = get_peft_model(m, LoraConfig(r=r, lora_alpha=alpha, lora_dropout=drop, target_modules=["q", "v"]))
    return m


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", default="flan-t5-small", choices=sorted(CONFIGS))
    ap.add_argument("--mode", default="full", choices=["full", "lora8", "lora32"])
    ap.add_argument("--threads", type=int, default=torch.get_num_threads())
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--source", type=int, default=256)
    ap.add_argument("--target", type=int, default=64)
    ap.add_argument("--csv", action="store_true")
    a = ap.parse_args()
    if a.steps < 5:
        sys.exit("--steps must be >= 5, got %d" % a.steps)
    torch.set_num_threads(a.threads)
    m = build(a.config, a.mode)
    m.train()
    trainable = sum(p.numel() for p in m.parameters() if p.requires_grad)
    g = torch.Generator().manual_seed(99)
    V = CONFIGS[a.config]["vocab_size"]
    ids = torch.randint(2, V, (a.batch, a.source), generator=g)
    mask = torch.ones_like(ids)
    labels = torch.randint(2, V, (a.batch, a.target), generator=g)
    times, fwd = [], []
    for i in range(-a.warmup, a.steps):
        m.zero_grad(set_to_none=False)
        t0 = time.perf_counter()
        loss = m(input_ids=ids, attention_mask=mask, labels=labels).loss
        t1 = time.perf_counter()
        loss.backward()
        t2 = time.perf_counter()
        if i >= 0:
            times.append(t2 - t0); fwd.append(t1 - t0)
        if not a.csv:
            print("step %d: %.3f s (forward %.3f s)" % (i, t2 - t0, t1 - t0), file=sys.stderr)
    step, f = statistics.median(times), statistics.median(fwd)
    tps = a.batch * (a.source + a.target) / step
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    if a.csv:
        print("stack,config,mode,threads,step_s_median,tokens_per_s,peak_rss_mb,trainable_params,forward_s_median,gemm_s,gemm_calls,batch,source,target")
        print("pytorch,%s,%s,%d,%.4f,%.1f,%.0f,%d,%.4f,,,%d,%d,%d" % (a.config, a.mode, a.threads, step, tps, rss, trainable, f,
                                                                  a.batch, a.source, a.target))
    else:
        print("config %s, mode %s, threads %d: step median %.3f s, %.1f tokens/s, forward %.3f s, peak RSS %.0f MB, trainable %d"
              % (a.config, a.mode, a.threads, step, tps, f, rss, trainable))


if __name__ == "__main__":
    main()
