package io.peft4j.model;

import io.peft4j.hf.SafeTensors;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The one model abstraction every family implements (T5 and the causal LMs: Llama, Mistral, Qwen2,
 * GPT-2). Everything above the model — PEFT layers, the trainer, generation, evaluation, adapters,
 * provenance and the DSL — talks to a model only through this interface and never names a family.
 *
 * <p>What each layer needs of a model, and where it finds it here:
 * <ul>
 *   <li>PEFT methods: named linear layers, {@link #projections()} (Hugging Face module names, the LM
 *       head last as {@code lm_head}), which they wrap by replacing a slot's projection; the
 *       family's short aliases for them ({@link #targetAliases()}).</li>
 *   <li>The trainer: {@link #parameters()} and a batch-in, loss-and-gradients-out pair
 *       ({@link #forwardLoss}, {@link #backward()}); explicit gradients, no autograd graph.</li>
 *   <li>Generation: {@link #startDecoding} gives a {@link DecodingSession} (prefill, then one step
 *       at a time with a KV cache).</li>
 *   <li>Tables and provenance: {@link #family()}, {@link #describe()}, {@link #baseParameters()}.</li>
 * </ul>
 *
 * <p>Batches: {@link Batch#labels()} are the decoder targets for an encoder-decoder model, and the
 * same shape as the inputs for a causal model, whose loss is transformers' shifted cross-entropy
 * (logits[:, :-1] against labels[:, 1:], mean over labels != -100).
 */
public interface LanguageModel extends TrainableModel {
    /** Hugging Face {@code model_type}: {@code t5}, {@code llama}, {@code mistral}, {@code qwen2}, {@code gpt2}. */
    String family();

    /** True for encoder-decoder models (T5), false for decoder-only (causal) models. */
    boolean encoderDecoder();

    int vocabSize();

    /** FLOAT normally; DOUBLE for gradient checks. */
    DataType dataType();

    /** One line naming the family and its main sizes, for tables and toString. */
    String describe();


    /** Base (checkpoint) parameters by state-dict name, independent of what sits in the slots. */
    Map<String, Parameter> baseParameters();


    /**
     * The family's short target names and the PEFT module-name suffixes each stands for, e.g.
     * {@code attn.q -> [q]} for T5, {@code attn.q -> [q_proj]} for Llama, {@code attn.q -> [c_attn]} for GPT-2.
     */
    Map<String, List<String>> targetAliases();

    /**
     * True when the checkpoint stores this linear module's weight transposed, {@code [in, out]}
     * (GPT-2's {@code Conv1D}). peft4j holds every projection as {@code [out, in]} either way, and
     * LoRA's A and B have the same shapes on both kinds; PEFT records the difference in an adapter's
     * {@code fan_in_fan_out}, which is true exactly for such modules.
     */
    default boolean fanInFanOut(String module) { return false; }


    /** Logits [B, T, V] of the last {@link #forwardLoss} (a copy). */
    INDArray lastLogits();

    /** Inference-mode logits [B, T, V] for a batch (T = label length for T5, input length for causal models). */
    INDArray logits(Batch batch);

    /**
     * Starts decoding: reads the prompt ({@code ids}, {@code mask} [B][S]; left-padded for causal
     * models) and prepares caches for {@code copies} rows per input and {@code maxNewTokens} new tokens.
     */
    DecodingSession startDecoding(int[][] ids, int[][] mask, int copies, int maxNewTokens);

    /** Generation defaults of the model's config (eos, pad, start token; greedy, 20 tokens). */
    GenerationConfig defaultGeneration();

    /** A deep copy of the base weights (no adapters, nothing trainable changed). */
    LanguageModel copy();

    /** Writes {@code config.json} and {@code model.safetensors} (base weights, HF names and layout), each atomically. */
    void save(Path dir, SafeTensors.Dtype storage);

}
