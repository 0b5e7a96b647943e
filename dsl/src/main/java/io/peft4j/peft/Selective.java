package io.peft4j.peft;

import io.peft4j.model.Parameter;
import io.peft4j.model.LanguageModel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Selective fine-tuning: freeze the model, then train only the parameters a selection picks —
 * layer norms (PEFT's LN_TUNING: T5's {@code layer_norm} and {@code final_layer_norm}), chosen
 * blocks, the last N blocks of each stack, bias terms (BitFit; T5 has none, so that selection is
 * empty and says so), or full fine-tuning (everything).
 */
public final class Selective {
    private static final Logger LOG = LoggerFactory.getLogger(Selective.class);
    private static final Pattern BLOCK = Pattern.compile("^(encoder|decoder)\\.block\\.(\\d+)\\.");

    private Selective() {}

    /** Freezes everything, then makes the parameters {@code select} accepts trainable; returns them. */
    public static List<Parameter> train(LanguageModel model, String what, Predicate<Parameter> select) {
        List<Parameter> chosen = new ArrayList<>();
        for (Parameter p : ParameterCount.unique(model)) {
            boolean on = select.test(p);
            p.setTrainable(on);
            if (on) chosen.add(p);
        }
        if (chosen.isEmpty()) LOG.warn("selective fine-tuning '{}' selected no parameter: nothing will train", what);
        return chosen;
    }

    /** PEFT's LN_TUNING for T5: every {@code layer_norm} and {@code final_layer_norm} weight. */
    public static List<Parameter> layerNorms(LanguageModel model) {
        return train(model, "layer norms", p -> p.name().endsWith("layer_norm.weight"));
    }

    /** BitFit: every bias parameter (none in T5). */
    public static List<Parameter> biases(LanguageModel model) {
        return train(model, "biases", p -> p.name().endsWith(".bias"));
    }

    /** The given blocks of one stack ("encoder" or "decoder"). */
    public static List<Parameter> blocks(LanguageModel model, String stack, int... indexes) {
        if (!stack.equals("encoder") && !stack.equals("decoder"))
            throw new IllegalArgumentException("stack '" + stack + "' is invalid: use \"encoder\" or \"decoder\"");
        int max = numBlocks(model, stack);
        for (int i : indexes) if (i < 0 || i >= max)
            throw new IllegalArgumentException(stack + " block " + i + " does not exist (the " + stack + " has blocks 0.." + (max - 1) + ")");
        List<Integer> want = new ArrayList<>();
        for (int i : indexes) want.add(i);
        return train(model, stack + " blocks " + want, p -> {
            Matcher m = BLOCK.matcher(p.name());
            return m.find() && m.group(1).equals(stack) && want.contains(Integer.parseInt(m.group(2)));
        });
    }

    /** The last {@code n} blocks of the encoder and of the decoder (with their final layer norms). */
    public static List<Parameter> lastLayers(LanguageModel model, int n) {
        int enc = numBlocks(model, "encoder"), dec = numBlocks(model, "decoder");
        if (n <= 0 || n > Math.max(enc, dec))
            throw new IllegalArgumentException("last " + n + " layers is invalid: n must be in 1.." + Math.max(enc, dec));
        return train(model, "last " + n + " layers", p -> {
            if (p.name().endsWith("final_layer_norm.weight")) return true;
            Matcher m = BLOCK.matcher(p.name());
            if (!m.find()) return false;
            int total = m.group(1).equals("encoder") ? enc : dec;
            return Integer.parseInt(m.group(2)) >= total - n;
        });
    }

    /** Full fine-tuning: every parameter trains (the baseline). */
    public static List<Parameter> full(LanguageModel model) { return train(model, "full", p -> true); }

    static int numBlocks(LanguageModel model, String stack) {
        int max = -1;
        for (Parameter p : model.parameters()) {
            Matcher m = BLOCK.matcher(p.name());
            if (m.find() && m.group(1).equals(stack)) max = Math.max(max, Integer.parseInt(m.group(2)));
        }
        return max + 1;
    }
}
