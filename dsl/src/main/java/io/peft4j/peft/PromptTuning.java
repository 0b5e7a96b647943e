package io.peft4j.peft;

import io.peft4j.model.Parameter;
import io.peft4j.model.t5.T5Model;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.SplittableRandom;

/**
 * Prompt tuning (Lester et al. 2021; PEFT's {@code PROMPT_TUNING}): {@code n} trainable
 * virtual-token embeddings [n, d_model] prepended to every row of the encoder input; the whole model
 * is frozen. Stored as PEFT's {@code prompt_embeddings} with {@code num_transformer_submodules = 1}
 * (encoder only; PEFT's seq2seq default of 2 would also prefix the decoder).
 */
public final class PromptTuning {
    /** How the virtual tokens start: PEFT's {@code RANDOM} (N(0, 1), as torch.nn.Embedding) or {@code TEXT}. */
    public enum Init { RANDOM, TEXT }

    private final T5Model model;
    private final Parameter prompt;     // [n, d]
    private final Init init;
    private final int[] initTokenIds;   // for TEXT, else null

    private PromptTuning(T5Model model, Parameter prompt, Init init, int[] initTokenIds) {
        this.model = model; this.prompt = prompt; this.init = init; this.initTokenIds = initTokenIds;
        model.setAllTrainable(false);
        model.setEncoderPrefix(prompt);
        prompt.setTrainable(true);
    }

    /** {@code n} virtual tokens drawn from N(0, 1) (PEFT's RANDOM init). */
    public static PromptTuning random(T5Model model, int n, long seed) {
        checkN(n);
        long d = model.config().dModel();
        float[] v = new float[(int) (n * d)];
        SplittableRandom rng = new SplittableRandom(seed);
        for (int i = 0; i < v.length; i++) v[i] = (float) rng.nextGaussian();
        INDArray t = Nd4j.create(v, new long[]{n, d}, 'c').castTo(model.dataType());
        return new PromptTuning(model, new Parameter("prompt_embeddings", t, true), Init.RANDOM, null);
    }

    /**
     * {@code n} virtual tokens initialised from the embeddings of a text's token ids (PEFT's TEXT
     * init: the ids are repeated to fill {@code n} and cut to length).
     */
    public static PromptTuning fromTokens(T5Model model, int n, int[] tokenIds) {
        checkN(n);
        if (tokenIds == null || tokenIds.length == 0) throw new IllegalArgumentException("prompt init text has no tokens; give a non-empty text or use random init");
        int v = model.config().vocabSize();
        for (int id : tokenIds) if (id < 0 || id >= v) throw new IllegalArgumentException("prompt init token id " + id + " is outside the vocabulary [0, " + v + ")");
        INDArray emb = model.sharedEmbedding().value();
        INDArray t = Nd4j.create(model.dataType(), n, model.config().dModel());
        for (int i = 0; i < n; i++) t.putRow(i, emb.getRow(tokenIds[i % tokenIds.length]));
        return new PromptTuning(model, new Parameter("prompt_embeddings", t, true), Init.TEXT, tokenIds.clone());
    }

    /** Wraps an existing [n, d] tensor (e.g. loaded from a PEFT file). */
    public static PromptTuning of(T5Model model, INDArray embeddings) {
        if (embeddings.rank() != 2 || embeddings.size(1) != model.config().dModel())
            throw new IllegalArgumentException("prompt_embeddings must be [n, " + model.config().dModel() + "], got " + java.util.Arrays.toString(embeddings.shape()));
        return new PromptTuning(model, new Parameter("prompt_embeddings", embeddings.castTo(model.dataType()).dup('c'), true), Init.RANDOM, null);
    }

    private static void checkN(int n) {
        if (n <= 0) throw new IllegalArgumentException("num_virtual_tokens = " + n + " is invalid: it must be a positive integer (typical 8-100)");
    }

    public T5Model model() { return model; }
    /** The virtual-token embeddings [n, d]. */
    public Parameter prompt() { return prompt; }
    public int numVirtualTokens() { return (int) prompt.value().size(0); }
    public Init init() { return init; }

    /** Removes the prompt from the model. */
    public T5Model unload() { model.setEncoderPrefix(null); return model; }

    public ParameterCount trainableParameters() { return ParameterCount.of(model); }
}
