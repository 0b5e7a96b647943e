package io.peft4j.model;

import java.util.List;
import java.util.Map;

/**
 * What training needs of a model: its parameters, its replaceable linear modules, and a
 * forward-with-loss / backward pair with explicit gradients (no autograd graph).
 */
public interface Seq2SeqModel {
    /** Every parameter, in checkpoint order, frozen ones included. */
    List<Parameter> parameters();

    /** Linear modules by Hugging Face module name, in model order (LM head last, named {@code lm_head}). */
    Map<String, ProjectionSlot> projections();

    /**
     * Forward pass with mean cross-entropy over label positions != -100. In training mode the
     * activations needed by {@link #backward()} are kept.
     */
    double forwardLoss(Seq2SeqBatch batch, ForwardContext ctx);

    /** Backward pass of the last training-mode {@link #forwardLoss}: accumulates into trainable grads. */
    void backward();
}
