package io.peft4j.peft;

import io.peft4j.hf.SafeTensors;
import io.peft4j.model.LanguageModel;
import io.peft4j.model.ModelFamilies;
import io.peft4j.testutil.Shared;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The adapters of the Python interoperability check for decoder-only models, built deterministically
 * on the shared causal fixtures ({@code ../shared/fixtures/causal/<model>}):
 * {@code dsl/src/test/python/peft_interop_causal.py} loads what {@link #saveAll} writes with
 * transformers + Python PEFT 0.21 and records its outputs in {@code python-interop-causal.json};
 * {@link CausalPythonInteropTest} rebuilds the same adapters and compares. {@link #saveAll} also
 * writes each base model as peft4j saves it ({@code <model>/saved_model}), which the script loads
 * with transformers.
 */
final class CausalInteropAdapters {
    private CausalInteropAdapters() {}

    /** Model -> adapter kinds. */
    static final Map<String, List<String>> KINDS = Map.of(
        "tiny_llama", List.of("lora_qv", "lora_all_rslora", "lora_patterns", "ia3"),
        "tiny_qwen2", List.of("lora_ffn", "ia3"));

    static Path fixture(String model) { return Shared.require("fixtures/causal/" + model); }

    static LanguageModel base(String model) { return ModelFamilies.load(fixture(model)); }

    /** The fixture model with adapter {@code kind} applied; returns the PEFT wrapper object. */
    static Object build(String kind, LanguageModel m) {
        switch (kind) {
            case "lora_qv":
                return LoraModel.of(m, LoraConfig.of("attn.q", "attn.v").withRank(4).withAlpha(8).withInit(LoraInit.RANDOM), 21);
            case "lora_all_rslora":
                return LoraModel.of(m, LoraConfig.of("all-linear").withRank(8).withAlpha(16).withRslora(true).withDropout(0.05)
                    .withInit(LoraInit.RANDOM), 22);
            case "lora_patterns": {
                Map<String, Integer> rp = new LinkedHashMap<>();
                rp.put("v_proj", 2);
                Map<String, Double> ap = new LinkedHashMap<>();
                ap.put("down_proj", 3.0);
                return LoraModel.of(m, LoraConfig.of("q_proj", "v_proj", "down_proj").withRank(6).withAlpha(12)
                    .withLayers(List.of(1), List.of("layers")).withRankPattern(rp).withAlphaPattern(ap).withInit(LoraInit.RANDOM), 23);
            }
            case "lora_ffn":                                   // Qwen2 (q/k/v bias): the MLP and the biased k projection
                return LoraModel.of(m, LoraConfig.of("ffn.wi", "attn.k").withRank(4).withAlpha(16).withInit(LoraInit.RANDOM), 24);
            case "ia3": {                                      // PEFT's defaults for the family: k_proj, v_proj, down_proj (input)
                Ia3Model<LanguageModel> ia3 = Ia3Model.of(m, Ia3Config.defaultsFor(m.family()));
                SplittableRandom r = new SplittableRandom(25);
                for (Ia3Linear l : ia3.layers().values()) {
                    INDArray v = l.vector().value();
                    float[] f = new float[(int) v.length()];
                    for (int i = 0; i < f.length; i++) f[i] = (float) (1 + 0.3 * r.nextGaussian());
                    v.assign(Nd4j.create(f, v.shape(), 'c'));
                }
                return ia3;
            }
            default: throw new IllegalArgumentException(kind);
        }
    }

    static void save(Object adapter, Path dir, String model) {
        if (adapter instanceof LoraModel<?> l) AdapterIO.save(l, dir, SafeTensors.Dtype.F32, model);
        else OtherAdapterIO.saveIa3((Ia3Model<?>) adapter, dir, SafeTensors.Dtype.F32, model);
    }

    /** Writes {@code out/<model>/<kind>} for every adapter and {@code out/<model>/saved_model} (F32). */
    static void saveAll(Path out) {
        for (var e : KINDS.entrySet()) {
            for (String k : e.getValue()) save(build(k, base(e.getKey())), out.resolve(e.getKey()).resolve(k), e.getKey());
            base(e.getKey()).save(out.resolve(e.getKey()).resolve("saved_model"), SafeTensors.Dtype.F32);
        }
    }
}
