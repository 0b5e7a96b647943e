package io.peft4j.model;

import java.util.List;
import java.util.Map;

/**
 * What training needs of a model: its parameters, its replaceable linear modules, and a
 * forward-with-loss / backward pair with explicit gradients (no autograd graph). Every
 * {@link LanguageModel} is one; the trainer depends on nothing more.
 */
public interface TrainableModel {
    /** Every parameter, in checkpoint order, frozen ones included (whatever the slots hold now). */
    List<Parameter> parameters();

    /** Linear modules by Hugging Face module name, in model order (LM head last, named {@code lm_head}). */
    Map<String, ProjectionSlot> projections();

    /**
     * Forward pass with mean cross-entropy over label positions != -100. In training mode the
     * activations needed by {@link #backward()} are kept.
     */
    double forwardLoss(Batch batch, ForwardContext ctx);

    /** Backward pass of the last training-mode {@link #forwardLoss}: accumulates into trainable grads. */
    void backward();

    /** Marks every parameter (base weights, whatever the slots hold) trainable or frozen. */
    default void setAllTrainable(boolean trainable) {
        for (Parameter p : parameters()) p.setTrainable(trainable);
    }

    /** Zeroes every existing gradient buffer. */
    default void zeroGrad() { for (Parameter p : parameters()) p.zeroGrad(); }
}
