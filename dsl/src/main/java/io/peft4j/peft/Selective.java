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
    /** A block parameter: group 1 the stack ({@code encoder}, {@code decoder}, {@code model}, {@code transformer}), group 2 its index. */
    private static final Pattern BLOCK = Pattern.compile("^([\\w.]*?)\\.(?:block|layers|h)\\.(\\d+)\\.");
    /** Normalization weights and biases of every family (T5 layer_norm, Llama *_layernorm / norm, GPT-2 ln_*). */
    private static final Pattern NORM = Pattern.compile("(^|.*\\.)(\\w*layer_?norm|norm|ln_\\w+)\\.(weight|bias)$");
    /** The norm after the last block of a stack (T5 final_layer_norm, Llama model.norm, GPT-2 ln_f). */
    private static final Pattern FINAL_NORM = Pattern.compile("^[\\w]+\\.(final_layer_norm|norm|ln_f)\\.(weight|bias)$");

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

    /** PEFT's LN_TUNING: every normalization layer's weight (and bias where it has one). */
    public static List<Parameter> layerNorms(LanguageModel model) {
        return train(model, "layer norms", p -> NORM.matcher(p.name()).matches());
    }

    /** BitFit: every bias parameter (none in T5). */
    public static List<Parameter> biases(LanguageModel model) {
        return train(model, "biases", p -> p.name().endsWith(".bias"));
    }

    /** The given blocks of one stack ("encoder" or "decoder" for T5, "model" for Llama-shaped models, "transformer" for GPT-2). */
    public static List<Parameter> blocks(LanguageModel model, String stack, int... indexes) {
        List<String> stacks = stacks(model);
        if (!stacks.contains(stack))
            throw new IllegalArgumentException("stack '" + stack + "' is invalid: this model's stacks are " + stacks);
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

    /** The last {@code n} blocks of every stack (the encoder and the decoder of T5), with their final norms. */
    public static List<Parameter> lastLayers(LanguageModel model, int n) {
        java.util.Map<String, Integer> sizes = new java.util.LinkedHashMap<>();
        for (String st : stacks(model)) sizes.put(st, numBlocks(model, st));
        int most = sizes.values().stream().mapToInt(Integer::intValue).max().orElse(0);
        if (n <= 0 || n > most)
            throw new IllegalArgumentException("last " + n + " layers is invalid: n must be in 1.." + most);
        return train(model, "last " + n + " layers", p -> {
            if (FINAL_NORM.matcher(p.name()).matches()) return true;
            Matcher m = BLOCK.matcher(p.name());
            if (!m.find()) return false;
            return Integer.parseInt(m.group(2)) >= sizes.get(m.group(1)) - n;
        });
    }

    /** The stacks of numbered blocks in the model, in order of appearance. */
    static List<String> stacks(LanguageModel model) {
        java.util.LinkedHashSet<String> out = new java.util.LinkedHashSet<>();
        for (Parameter p : model.parameters()) {
            Matcher m = BLOCK.matcher(p.name());
            if (m.find()) out.add(m.group(1));
        }
        return new ArrayList<>(out);
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
