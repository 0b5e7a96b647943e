package io.peft4j.peft;

import io.peft4j.hf.SafeTensors;
import io.peft4j.model.gpt2.Gpt2Fixtures;
import io.peft4j.model.gpt2.Gpt2Model;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The GPT-2 adapters of the Python interoperability check, built deterministically by peft4j on the
 * project's tiny_gpt2 fixture: {@code dsl/src/test/python/peft_interop_gpt2.py} loads what
 * {@link #saveAll} writes with transformers + PEFT and records its outputs in
 * {@code python-interop-gpt2.json}; {@link PythonInteropTest} rebuilds the same adapters and compares.
 */
final class Gpt2InteropAdapters {
    private Gpt2InteropAdapters() {}

    static final String MODEL = "tiny_gpt2";
    static final List<String> KINDS = List.of("gpt2_lora_c_attn", "gpt2_lora_all_rslora_patterns", "gpt2_lora_c_attn_lm_head");
    /** A plain GPT-2 checkpoint saved by peft4j: gpt2_lora_c_attn merged and unloaded. */
    static final String MERGED_MODEL = "gpt2_merged_model";

    static Gpt2Model base() { return Gpt2Model.load(Gpt2Fixtures.dir(MODEL)); }

    /** The fixture model with LoRA adapter {@code kind} (A and B drawn at random, so B is non-zero). */
    static LoraModel<Gpt2Model> build(String kind, Gpt2Model m) {
        switch (kind) {
            case "gpt2_lora_c_attn":
                return LoraModel.of(m, LoraConfig.of("attn.q", "attn.v").withRank(4).withAlpha(8).withInit(LoraInit.RANDOM), 21);
            case "gpt2_lora_all_rslora_patterns": {
                Map<String, Integer> rp = new LinkedHashMap<>();
                rp.put("c_fc", 4);
                Map<String, Double> ap = new LinkedHashMap<>();
                ap.put("attn.c_proj", 6.0);
                return LoraModel.of(m, LoraConfig.of("all-linear").withRank(8).withAlpha(16).withRslora(true).withDropout(0.05)
                    .withRankPattern(rp).withAlphaPattern(ap).withInit(LoraInit.RANDOM), 22);
            }
            case "gpt2_lora_c_attn_lm_head":
                return LoraModel.of(m, LoraConfig.of("c_attn", "lm_head").withRank(2).withAlpha(4).withInit(LoraInit.RANDOM), 23);
            default: throw new IllegalArgumentException(kind);
        }
    }

    /** Writes every adapter under {@code out/<kind>} and the merged model under {@code out/gpt2_merged_model} (F32). */
    static void saveAll(Path out) {
        for (String k : KINDS) AdapterIO.save(build(k, base()), out.resolve(k), SafeTensors.Dtype.F32, MODEL);
        build("gpt2_lora_c_attn", base()).mergeAndUnload().save(out.resolve(MERGED_MODEL), SafeTensors.Dtype.F32);
    }
}
