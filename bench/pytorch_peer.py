#!/usr/bin/env python3
"""PyTorch + PEFT peer of `bin/peft4j bench`: same configurations, same CSV columns, stack=pytorch.

    python bench/pytorch_peer.py --config demo --mode lora8 --threads 2 --csv [--batch 16 --source 128 --target 32]
    python bench/pytorch_peer.py --config smollm2-135m --mode lora8 --threads 2 --csv

T5 configs: random-init T5ForConditionalGeneration from a config (no download), dropout 0.1 as in the config,
lm_head re-initialised with std d_model^-0.5 (HF's default std 1.0 produces denormals that slow a CPU
several-fold), random token ids, float32; a step is forward, backward and torch.optim.AdamW (as peft4j's bench).
Decoder-only configs (smollm2-135m, demo-causal): random-init LlamaForCausalLM(LlamaConfig(...)) with its
default attention implementation, train mode, no gradient checkpointing; a row is source + target tokens
and the loss counts the last target tokens (labels -100 before them), as peft4j's bench; LoRA on q_proj, v_proj.
Run one process per (config, mode) so peak RSS is per mode. A development tool, not part of CI.
"""
import argparse, resource, statistics, sys, time

import torch
from transformers import T5Config, T5ForConditionalGeneration

CONFIGS = {
    "flan-t5-small": dict(vocab_size=32128, d_model=512, d_kv=64, d_ff=1024, num_layers=8, num_decoder_layers=8,
                          num_heads=6, feed_forward_proj="gated-gelu", tie_word_embeddings=False, dropout_rate=0.1),
    # the embedded demo model's config.json (io.peft4j.tools.DemoPretraining.Recipe.standard())
    "demo": dict(vocab_size=4000, d_model=192, d_kv=48, d_ff=768, num_layers=4, num_decoder_layers=4,
                 num_heads=4, feed_forward_proj="gated-gelu", tie_word_embeddings=False, dropout_rate=0.1),
}

# Llama-shaped decoder-only configs, as io.peft4j.cli.CausalBench builds them
CAUSAL = {
    # HuggingFaceTB/SmolLM2-135M's config.json
    "smollm2-135m": dict(vocab_size=49152, hidden_size=576, intermediate_size=1536, num_hidden_layers=30,
                         num_attention_heads=9, num_key_value_heads=3, max_position_embeddings=8192,
                         rope_theta=100000.0, rms_norm_eps=1e-5, tie_word_embeddings=True),
    # io.peft4j.tools.CausalDemoPretraining.Recipe.standard() with the 2,612-token vocabulary its BPE trainer reaches
    "demo-causal": dict(vocab_size=2612, hidden_size=192, intermediate_size=512, num_hidden_layers=6,
                        num_attention_heads=6, num_key_value_heads=2, max_position_embeddings=1024,
                        rope_theta=10000.0, rms_norm_eps=1e-5, tie_word_embeddings=True),
}
# trainable parameters peft4j reports for the same (config, mode); asserted so both sides train the same thing
CAUSAL_TRAINABLE = {("smollm2-135m", "full"): 134_515_008, ("smollm2-135m", "lora8"): 460_800,
                    ("smollm2-135m", "lora32"): 1_843_200, ("demo-causal", "lora8"): 30_720}


def vocab_of(config):
    return (CONFIGS.get(config) or CAUSAL[config])["vocab_size"]


def build_causal(config, mode):
    from transformers import LlamaConfig, LlamaForCausalLM
    torch.manual_seed(1234)
    spec = CAUSAL[config]
    cfg = LlamaConfig(**spec, hidden_act="silu", attention_dropout=0.0, bos_token_id=0, eos_token_id=0, pad_token_id=0)
    m = LlamaForCausalLM(cfg)
    assert m.lm_head.weight is m.model.embed_tokens.weight, "lm_head must share the embedding (tie_word_embeddings)"
    rope = getattr(cfg, "rope_parameters", None) or {}
    theta = rope.get("rope_theta", getattr(cfg, "rope_theta", None))
    assert theta == spec["rope_theta"], "rope theta %r, expected %r" % (theta, spec["rope_theta"])
    assert not m.is_gradient_checkpointing
    if mode != "full":
        from peft import LoraConfig, get_peft_model
        r, alpha, drop = (8, 16, 0.0) if mode == "lora8" else (32, 32, 0.05)
        m = get_peft_model(m, LoraConfig(r=r, lora_alpha=alpha, lora_dropout=drop, target_modules=["q_proj", "v_proj"]))
    return m


def build(config, mode):
    torch.manual_seed(1234)
    cfg = T5Config(**CONFIGS[config], decoder_start_token_id=0, pad_token_id=0, eos_token_id=1)
    # transformers 5.x ignores tie_word_embeddings=False given to T5Config's constructor (the lm_head
    # then shares the embedding: 16.4M fewer parameters for FLAN-T5-small); set it afterwards ...
    cfg.tie_word_embeddings = False
    m = T5ForConditionalGeneration(cfg)
    # ... which in 5.x also unties the encoder's and decoder's token embeddings from `shared`: share them again
    m.encoder.embed_tokens = m.shared
    m.decoder.embed_tokens = m.shared
    assert m.lm_head.weight is not m.shared.weight, "lm_head must be untied, as in FLAN-T5"
    assert m.encoder.embed_tokens.weight is m.shared.weight and m.decoder.embed_tokens.weight is m.shared.weight
    with torch.no_grad():
        m.lm_head.weight.normal_(0.0, m.config.d_model ** -0.5)
    if mode != "full":
        from peft import LoraConfig, get_peft_model
        r, alpha, drop = (8, 16, 0.0) if mode == "lora8" else (32, 32, 0.05)
        m = get_peft_model(m, LoraConfig(r=r, lora_alpha=alpha, lora_dropout=drop, target_modules=["q", "v"]))
    return m


def generation(a):
    """Greedy decoding, a.new_tokens forced (min_new_tokens = max_new_tokens), median of >= 3 runs after one warm-up."""
    from peft import LoraConfig, get_peft_model
    base = build(a.config, "full").eval()
    batches = [1, 8] if a.batch == 8 else [a.batch]
    V = CONFIGS[a.config]["vocab_size"]
    if a.csv:
        print("stack,config,variant,threads,batch,source,new_tokens,seconds_median,tokens_per_s,peak_rss_mb,blas_core")
    model = base
    for variant in ("base", "lora8-unmerged", "lora8-merged"):
        if variant == "lora8-unmerged":
            model = get_peft_model(base, LoraConfig(r=8, lora_alpha=16, target_modules=["q", "v"])).eval()
            g = torch.Generator().manual_seed(5)
            with torch.no_grad():
                for n, p in model.named_parameters():
                    if "lora_B" in n:
                        p.copy_(torch.randn(p.shape, generator=g) * 0.01)
        elif variant == "lora8-merged":
            model = model.merge_and_unload().eval()
        for b in batches:
            g = torch.Generator().manual_seed(99)
            ids = torch.randint(2, V, (b, a.source), generator=g)
            mask = torch.ones_like(ids)
            times = []
            for i in range(-1, max(3, a.steps // 2)):
                t0 = time.perf_counter()
                with torch.no_grad():
                    out = model.generate(input_ids=ids, attention_mask=mask, max_new_tokens=a.new_tokens,
                                         min_new_tokens=a.new_tokens, do_sample=False, num_beams=1)
                sec = time.perf_counter() - t0
                assert out.shape[1] == a.new_tokens + 1, out.shape
                if i >= 0:
                    times.append(sec)
            med = statistics.median(times)
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
            if a.csv:
                print("pytorch,%s,%s,%d,%d,%d,%d,%.4f,%.1f,%.0f,%s" % (a.config, variant, a.threads, b, a.source, a.new_tokens, med,
                                                                  b * a.new_tokens / med, rss, torch.backends.cpu.get_cpu_capability()))
            else:
                print("%-15s batch %d: %.3f s for %d new tokens per row (%.1f tokens/s)" % (variant, b, med, a.new_tokens, b * a.new_tokens / med))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", default="flan-t5-small", choices=sorted(CONFIGS) + sorted(CAUSAL))
    ap.add_argument("--mode", default="full", choices=["full", "lora8", "lora32"])
    ap.add_argument("--threads", type=int, default=torch.get_num_threads())
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--source", type=int, default=256)
    ap.add_argument("--target", type=int, default=64)
    ap.add_argument("--optimizer", default="adamw", choices=["adamw", "none"],
                    help="adamw: forward, backward and a torch.optim.AdamW step of the trainable weights; none: forward + backward")
    ap.add_argument("--generate", action="store_true",
                    help="time greedy generation (batch 1 and 8, or --batch) with the KV cache: base, LoRA r=8 on q,v unmerged, merged")
    ap.add_argument("--new-tokens", type=int, default=64)
    ap.add_argument("--csv", action="store_true")
    a = ap.parse_args()
    causal = a.config in CAUSAL
    min_steps = 3 if causal else 5
    if a.steps < min_steps:
        sys.exit("--steps must be >= %d for --config %s, got %d" % (min_steps, a.config, a.steps))
    torch.set_num_threads(a.threads)
    if a.generate:
        if causal:
            sys.exit("--generate supports the T5 configs only (%s), not --config %s" % (", ".join(sorted(CONFIGS)), a.config))
        return generation(a)
    m = build_causal(a.config, a.mode) if causal else build(a.config, a.mode)
    m.train()
    trainable = sum(p.numel() for p in m.parameters() if p.requires_grad)
    expected = CAUSAL_TRAINABLE.get((a.config, a.mode))
    assert expected is None or trainable == expected, "trainable %d, peft4j has %d" % (trainable, expected)
    g = torch.Generator().manual_seed(99)
    V = vocab_of(a.config)
    if causal:
        # one row = source + target tokens; the loss counts the last target tokens (transformers shifts the labels)
        ids = torch.randint(2, V, (a.batch, a.source + a.target), generator=g)
        labels = ids.clone()
        labels[:, :a.source] = -100
    else:
        ids = torch.randint(2, V, (a.batch, a.source), generator=g)
        labels = torch.randint(2, V, (a.batch, a.target), generator=g)
    mask = torch.ones_like(ids)
    opt = torch.optim.AdamW([p for p in m.parameters() if p.requires_grad], lr=1e-5) if a.optimizer == "adamw" else None
    times, fwd, opts = [], [], []
    for i in range(-a.warmup, a.steps):
        m.zero_grad(set_to_none=False)
        t0 = time.perf_counter()
        loss = m(input_ids=ids, attention_mask=mask, labels=labels).loss
        t1 = time.perf_counter()
        loss.backward()
        t2 = time.perf_counter()
        if opt is not None:
            opt.step()
        t3 = time.perf_counter()
        if i >= 0:
            times.append(t3 - t0); fwd.append(t1 - t0); opts.append(t3 - t2)
        if not a.csv:
            print("step %d: %.3f s (forward %.3f s, optimizer %.3f s)" % (i, t3 - t0, t1 - t0, t3 - t2), file=sys.stderr)
    step, f, o = statistics.median(times), statistics.median(fwd), statistics.median(opts)
    tps = a.batch * (a.source + a.target) / step
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    if a.csv:
        print("stack,config,mode,threads,step_s_median,tokens_per_s,peak_rss_mb,trainable_params,forward_s_median,optimizer_s_median,optimizer,gemm_s,gemm_calls,gemm_gflop,gemm_peak_gflops,mfu,batch,source,target,blas_core")
        print("pytorch,%s,%s,%d,%.4f,%.1f,%.0f,%d,%.4f,%.4f,%s,,,,,,%d,%d,%d,%s" % (a.config, a.mode, a.threads, step, tps, rss, trainable, f, o,
                                                                  a.optimizer, a.batch, a.source, a.target, torch.backends.cpu.get_cpu_capability()))
    else:
        print("config %s, mode %s, threads %d: step median %.3f s, %.1f tokens/s, forward %.3f s, peak RSS %.0f MB, trainable %d"
              % (a.config, a.mode, a.threads, step, tps, f, rss, trainable))
        if causal:
            base = m.get_base_model() if hasattr(m, "get_base_model") else m
            print("attention implementation %s, CPU capability %s, torch %s"
                  % (base.config._attn_implementation, torch.backends.cpu.get_cpu_capability(), torch.__version__))


if __name__ == "__main__":
    main()
