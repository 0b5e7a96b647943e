package io.peft4j.train;

import io.peft4j.model.Parameter;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * LoRA+ (Hayou, Ghosh and Yu 2024): B trains at a larger learning rate than A. The parameter groups
 * are those of PEFT 0.21's {@code create_loraplus_optimizer(model, AdamW, lr, loraplus_lr_ratio,
 * loraplus_weight_decay)}, in its order:
 * <ol>
 *   <li>{@code groupA}: every other trainable parameter (LoRA A, modules_to_save weights), rate lr;</li>
 *   <li>{@code embedding}: LoRA on embedding layers ({@code lora_embedding_A/B}), rate 1e-6 (PEFT's
 *       {@code loraplus_lr_embedding} default; peft4j has no LoRA on embeddings, so it is empty);</li>
 *   <li>{@code groupB}: parameters named {@code lora_B} and every 1-D parameter (DoRA's magnitude
 *       vectors, biases and norms of modules_to_save) that is subject to weight decay, rate
 *       lr * ratio;</li>
 *   <li>{@code groupB_no_decay}: the same kind without weight decay (biases, LayerNorm
 *       parameters), rate lr * ratio, weight decay 0.</li>
 * </ol>
 * Weight decay, as in PEFT, is {@code loraplus_weight_decay} for every group but the last (and the
 * optimizer's own weight decay plays no part). "Subject to weight decay" follows transformers'
 * {@code get_parameter_names(model, [nn.LayerNorm])} minus names containing "bias": a parameter is
 * exempt when its name contains "bias" or it belongs to a LayerNorm, recognised here as a module
 * whose parameters are exactly a 1-D {@code weight} and a 1-D {@code bias} of the same size (RMS
 * norms, which have no bias, are decayed, as transformers decays them).
 */
public final class LoraPlus {
    private LoraPlus() {}

    /** PEFT's {@code loraplus_lr_embedding} default. */
    public static final double EMBEDDING_LR = 1e-6;

    /**
     * The four groups for the trainable members of {@code parameters} (all of a model's parameters:
     * LayerNorms are recognised from them).
     *
     * @param lr          the base learning rate (the embedding group's fixed rate is expressed as a factor of it)
     * @param ratio       loraplus_lr_ratio, > 0
     * @param weightDecay loraplus_weight_decay, >= 0
     */
    public static List<AdamW.Group> groups(List<Parameter> parameters, double lr, double ratio, double weightDecay) {
        if (!(ratio > 0) || Double.isInfinite(ratio)) throw new IllegalArgumentException("loraplus_lr_ratio = " + ratio + " is invalid: must be finite and > 0");
        if (!(lr > 0) || Double.isInfinite(lr)) throw new IllegalArgumentException("learning rate " + lr + " is invalid: must be finite and > 0");
        Set<String> layerNorms = layerNormModules(parameters);
        List<Parameter> a = new ArrayList<>(), emb = new ArrayList<>(), b = new ArrayList<>(), bNoDecay = new ArrayList<>();
        Set<Parameter> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Parameter p : parameters) {
            if (!p.trainable() || !seen.add(p)) continue;
            String n = p.name();
            if (n.contains("lora_embedding_A") || n.contains("lora_embedding_B")) emb.add(p);
            else if (n.contains("lora_B") || p.value().rank() == 1) {
                boolean decayed = !n.contains("bias") && !layerNorms.contains(module(n));
                (decayed ? b : bNoDecay).add(p);
            } else a.add(p);
        }
        return List.of(
            new AdamW.Group("groupA", a, 1.0, weightDecay),
            new AdamW.Group("embedding", emb, EMBEDDING_LR / lr, weightDecay),
            new AdamW.Group("groupB", b, ratio, weightDecay),
            new AdamW.Group("groupB_no_decay", bNoDecay, ratio, 0.0));
    }

    /** Modules whose parameters are exactly a 1-D weight and a 1-D bias of equal size (LayerNorm's signature). */
    static Set<String> layerNormModules(List<Parameter> parameters) {
        Map<String, Map<String, long[]>> byModule = new LinkedHashMap<>();
        for (Parameter p : parameters) {
            String n = p.name();
            int dot = n.lastIndexOf('.');
            if (dot < 0) continue;
            byModule.computeIfAbsent(n.substring(0, dot), k -> new LinkedHashMap<>()).put(n.substring(dot + 1), p.value().shape());
        }
        Set<String> out = new java.util.HashSet<>();
        byModule.forEach((m, ps) -> {
            long[] w = ps.get("weight"), bias = ps.get("bias");
            if (ps.size() == 2 && w != null && bias != null && w.length == 1 && bias.length == 1 && w[0] == bias[0]) out.add(m);
        });
        return out;
    }

    private static String module(String name) {
        int dot = name.lastIndexOf('.');
        return dot < 0 ? "" : name.substring(0, dot);
    }
}
