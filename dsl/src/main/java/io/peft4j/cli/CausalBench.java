package io.peft4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.peft4j.model.Batch;
import io.peft4j.model.Parameter;
import io.peft4j.model.llama.LlamaConfig;
import io.peft4j.model.llama.LlamaModel;
import io.peft4j.ops.CrossEntropy;
import io.peft4j.peft.LoraConfig;
import io.peft4j.peft.LoraModel;

import java.util.List;
import java.util.Random;

/**
 * The decoder-only side of {@code peft4j bench}: Llama-shaped architectures with random weights
 * and the batch of a training step. A causal row is {@code source + target} tokens long and the loss
 * counts only its last {@code target} tokens (labels -100 before them), so the CSV columns
 * {@code source} and {@code target} keep their meaning (tokens read / tokens predicted) and
 * tokens/s is {@code batch x (source + target)} per step, as for T5.
 */
final class CausalBench {
    private CausalBench() {}

    /** The configurations this class builds. */
    static final List<String> CONFIGS = List.of("smollm2-135m", "demo-causal");

    /** Training modes of a causal bench (the T5-only {@code qv} mode is not offered). */
    static final List<String> MODES = List.of("full", "lora8", "lora32");

    /**
     * The SmolLM2-135M architecture (HuggingFaceTB/SmolLM2-135M config.json): hidden 576, 30 layers,
     * 9 heads with 3 key/value heads, intermediate 1536, vocab 49152, rope theta 100000, tied
     * embeddings, rms_norm_eps 1e-5.
     */
    static LlamaConfig smollm2135m() {
        ObjectNode n = new ObjectMapper().createObjectNode();
        n.put("model_type", "llama"); n.put("vocab_size", 49152); n.put("hidden_size", 576);
        n.put("intermediate_size", 1536); n.put("num_hidden_layers", 30); n.put("num_attention_heads", 9);
        n.put("num_key_value_heads", 3); n.put("max_position_embeddings", 8192); n.put("rope_theta", 100000.0);
        n.put("rms_norm_eps", 1e-5); n.put("tie_word_embeddings", true); n.put("bos_token_id", 0); n.put("eos_token_id", 0);
        n.put("pad_token_id", 0);
        return LlamaConfig.fromJson(n);
    }

    /** The embedded causal demo model's architecture: the config.json committed with it ({@code CausalLM.demo()}). */
    static LlamaConfig demoCausal() {
        try (java.io.InputStream in = CausalBench.class.getResourceAsStream("/io/peft4j/demo/causal/config.json")) {
            if (in == null) throw new IllegalStateException("the embedded causal demo model is missing from the class path (io/peft4j/demo/causal)");
            return LlamaConfig.fromJson(new ObjectMapper().readTree(in));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** The architecture named {@code name}; an IllegalArgumentException naming the valid ones otherwise. */
    static LlamaConfig config(String name) {
        return switch (name) {
            case "smollm2-135m" -> smollm2135m();
            case "demo-causal" -> demoCausal();
            default -> throw new IllegalArgumentException("unknown causal config '" + name + "' (valid: " + CONFIGS + ")");
        };
    }

    /** The LoRA settings of a mode, as for T5 but on {@code q_proj, v_proj}; null for {@code full}. */
    static LoraConfig lora(String mode) {
        return switch (mode) {
            case "full" -> null;
            case "lora8" -> LoraConfig.of("q_proj", "v_proj").withRank(8).withAlpha(16);
            case "lora32" -> LoraConfig.of("q_proj", "v_proj").withRank(32).withAlpha(32).withDropout(0.05);
            default -> throw new IllegalArgumentException("unknown mode '" + mode + "' for a causal config (valid: " + MODES + ")");
        };
    }

    /** Sets {@code m} up for {@code mode}: every weight trainable (full) or LoRA adapters on the frozen model. */
    static void prepare(LlamaModel m, String mode, long seed) {
        LoraConfig lc = lora(mode);
        if (lc == null) m.setAllTrainable(true);
        else LoraModel.of(m, lc, seed);
    }

    /** Trainable parameters of {@code m} as it is now. */
    static long trainable(LlamaModel m) {
        long n = 0;
        for (Parameter p : m.parameters()) if (p.trainable()) n += p.size();
        return n;
    }

    /**
     * Trainable parameters of {@code mode} on {@code c}, computed from the shapes alone: every base
     * parameter for full, else r x (in + out) per adapted q_proj and v_proj.
     */
    static long trainableOf(LlamaConfig c, String mode) {
        LoraConfig lc = lora(mode);
        if (lc == null) return c.parameterCount();
        long d = c.hiddenSize();
        return (long) c.numHiddenLayers() * lc.r() * ((d + c.qDim()) + (d + c.kvDim()));
    }

    /**
     * Random token ids in {@code [2, vocab)}, all-ones mask, labels -100 on the first {@code source}
     * positions and equal to the ids on the last {@code target} (transformers shifts them: position
     * t predicts label t + 1, so {@code target} tokens are scored).
     */
    static Batch batch(LlamaConfig c, int batch, int source, int target, long seed) {
        if (batch < 1 || source < 1 || target < 1)
            throw new IllegalArgumentException("batch, source and target must be >= 1, got " + batch + ", " + source + ", " + target);
        Random r = new Random(seed);
        int len = source + target;
        int[][] ids = new int[batch][len], mask = new int[batch][len], labels = new int[batch][len];
        for (int b = 0; b < batch; b++)
            for (int t = 0; t < len; t++) {
                ids[b][t] = 2 + r.nextInt(c.vocabSize() - 2);
                mask[b][t] = 1;
                labels[b][t] = t < source ? CrossEntropy.IGNORE : ids[b][t];
            }
        return new Batch(ids, mask, labels);
    }
}
