package io.peft4j.peft;

import io.peft4j.model.t5.T5Config;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Parameter shapes of a T5 model computed from its configuration alone, so that counts for a large
 * model (FLAN-T5-base: 251,116,800 parameters) need no weights in memory. Tests check these shapes
 * against a model actually built by {@code T5Model.fromConfig}.
 */
public final class T5Shapes {
    private T5Shapes() {}

    /** Every linear module of the model in model order, name -> {out, in}, {@code lm_head} last. */
    public static Map<String, long[]> linears(T5Config c) {
        Map<String, long[]> out = new LinkedHashMap<>();
        long d = c.dModel(), inner = c.innerDim(), ff = c.dFf();
        for (String stack : List.of("encoder", "decoder")) {
            boolean dec = stack.equals("decoder");
            int n = dec ? c.numDecoderLayers() : c.numLayers();
            for (int i = 0; i < n; i++) {
                String bp = stack + ".block." + i + ".layer.";
                attention(out, bp + "0.SelfAttention", d, inner);
                if (dec) attention(out, bp + "1.EncDecAttention", d, inner);
                String fp = bp + (dec ? 2 : 1) + ".DenseReluDense.";
                if (c.isGatedAct()) { out.put(fp + "wi_0", new long[]{ff, d}); out.put(fp + "wi_1", new long[]{ff, d}); }
                else out.put(fp + "wi", new long[]{ff, d});
                out.put(fp + "wo", new long[]{d, ff});
            }
        }
        out.put("lm_head", new long[]{c.vocabSize(), d});
        return out;
    }

    private static void attention(Map<String, long[]> out, String p, long d, long inner) {
        out.put(p + ".q", new long[]{inner, d});
        out.put(p + ".k", new long[]{inner, d});
        out.put(p + ".v", new long[]{inner, d});
        out.put(p + ".o", new long[]{d, inner});
    }

    /** Number of unique base parameters (shared embedding once; lm_head only when untied). */
    public static long baseParameters(T5Config c) {
        long d = c.dModel();
        long n = (long) c.vocabSize() * d;                                       // shared
        for (Map.Entry<String, long[]> e : linears(c).entrySet())
            if (!e.getKey().equals("lm_head") || !c.tieWordEmbeddings()) n += e.getValue()[0] * e.getValue()[1];
        long relBias = (long) c.relativeAttentionNumBuckets() * c.numHeads();
        n += 2 * relBias;                                                          // block 0 of each stack
        n += (long) c.numLayers() * 2 * d + d;                                     // encoder layer norms + final
        n += (long) c.numDecoderLayers() * 3 * d + d;                              // decoder layer norms + final
        return n;
    }

    /**
     * What {@code print_trainable_parameters()} reports after applying {@code lora} to a model of
     * this configuration, computed from shapes only.
     */
    public static ParameterCount loraCount(T5Config c, LoraConfig lora) {
        Map<String, long[]> lin = linears(c);
        TargetResolver res = new TargetResolver(lin.keySet());
        long adapter = 0;
        for (String m : res.resolve(lora.targets(), lora.layersToTransform(), lora.layersPattern(), lora.modulesToSave())) {
            long[] s = lin.get(m);
            adapter += (long) lora.rankFor(m) * (s[0] + s[1]);
        }
        return new ParameterCount(adapter, baseParameters(c) + adapter);
    }
}
