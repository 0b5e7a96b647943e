package io.peft4j.peft;

import io.peft4j.hf.SafeTensors;
import io.peft4j.model.t5.Fixtures;
import io.peft4j.model.t5.T5Model;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The adapters of the Python interoperability check, built deterministically on the tiny_flan
 * fixture: {@code dsl/src/test/python/peft_interop.py} loads the files {@link #saveAll} writes with
 * Python PEFT 0.21 and records its outputs in {@code python-interop.json}; {@link PythonInteropTest}
 * rebuilds the same adapters and compares.
 */
final class InteropAdapters {
    private InteropAdapters() {}

    static final List<String> KINDS = List.of("lora_qv", "lora_all_rslora", "lora_patterns", "ia3", "prompt", "dora", "pissa", "pissa_converted");

    /** Kinds saved with {@link AdapterIO#saveConverted} (a plain LoRA adapter of rank 2r for the untouched base). */
    static boolean converted(String kind) { return kind.equals("pissa_converted"); }

    /** The fixture model with adapter {@code kind} applied; returns the PEFT wrapper object. */
    static Object build(String kind, T5Model m) {
        switch (kind) {
            case "lora_qv":
                return LoraModel.of(m, LoraConfig.of("attn.q", "attn.v").withRank(4).withAlpha(8).withInit(LoraInit.RANDOM), 11);
            case "lora_all_rslora":
                return LoraModel.of(m, LoraConfig.of("all-linear").withRank(8).withAlpha(16).withRslora(true).withDropout(0.05).withInit(LoraInit.RANDOM), 12);
            case "lora_patterns": {
                Map<String, Integer> rp = new LinkedHashMap<>();
                rp.put("EncDecAttention.q", 2);
                Map<String, Double> ap = new LinkedHashMap<>();
                ap.put("wo", 3.0);
                return LoraModel.of(m, LoraConfig.of("q", "v", "wo").withRank(6).withAlpha(12).withLayers(List.of(1), List.of("block"))
                    .withRankPattern(rp).withAlphaPattern(ap).withInit(LoraInit.RANDOM), 13);
            }
            case "ia3": {
                Ia3Model<T5Model> ia3 = Ia3Model.of(m, Ia3Config.t5Defaults());
                SplittableRandom r = new SplittableRandom(14);
                for (Ia3Linear l : ia3.layers().values()) {
                    INDArray v = l.vector().value();
                    float[] f = new float[(int) v.length()];
                    for (int i = 0; i < f.length; i++) f[i] = (float) (1 + 0.3 * r.nextGaussian());
                    v.assign(Nd4j.create(f, v.shape(), 'c'));
                }
                return ia3;
            }
            case "prompt":
                return PromptTuning.random(m, 4, 15);
            case "dora": {
                LoraModel<T5Model> l = LoraModel.of(m, LoraConfig.of("q", "v", "o").withRank(4).withAlpha(8).withDora(true).withInit(LoraInit.RANDOM), 16);
                SplittableRandom r = new SplittableRandom(17);
                for (LoraLinear layer : l.layers().values()) perturb(((Dora) layer.adapter("default").variant()).magnitude().value(), 0.25, true, r);
                return l;
            }
            case "pissa", "pissa_converted": {
                // PiSSA on q and v, then A and B moved as training would move them
                LoraModel<T5Model> l = LoraModel.of(m, LoraConfig.of("q", "v").withRank(4).withAlpha(8).withInit(LoraInit.PISSA), 18);
                SplittableRandom r = new SplittableRandom(19);
                for (LoraLinear layer : l.layers().values()) {
                    perturb(layer.adapter("default").a().value(), 0.05, false, r);
                    perturb(layer.adapter("default").b().value(), 0.05, false, r);
                }
                return l;
            }
            default: throw new IllegalArgumentException(kind);
        }
    }

    /** v += scale * N(0,1) (relative: v *= 1 + scale * N(0,1)). */
    private static void perturb(INDArray v, double scale, boolean relative, SplittableRandom r) {
        float[] f = v.dup('c').data().asFloat();
        for (int i = 0; i < f.length; i++) f[i] = (float) (relative ? f[i] * (1 + scale * r.nextGaussian()) : f[i] + scale * r.nextGaussian());
        v.assign(Nd4j.create(f, v.shape(), 'c'));
    }

    static T5Model base() { return T5Model.load(Fixtures.dir("tiny_flan")); }

    /** Writes every interop adapter under {@code out/<kind>} (F32). */
    static void saveAll(Path out) {
        for (String k : KINDS) {
            Object a = build(k, base());
            Path dir = out.resolve(k);
            if (a instanceof LoraModel<?> l && converted(k)) AdapterIO.saveConverted(l, LoraModel.DEFAULT, dir, SafeTensors.Dtype.F32, "tiny_flan");
            else if (a instanceof LoraModel<?> l) AdapterIO.save(l, dir, SafeTensors.Dtype.F32, "tiny_flan");
            else if (a instanceof Ia3Model<?> i) OtherAdapterIO.saveIa3(i, dir, SafeTensors.Dtype.F32, "tiny_flan");
            else OtherAdapterIO.savePrompt((PromptTuning) a, dir, SafeTensors.Dtype.F32, "tiny_flan");
        }
    }
}
