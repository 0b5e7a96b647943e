package io.peft4j.model;

import org.nd4j.linalg.api.ndarray.INDArray;
import java.util.List;

/**
 * A linear map {@code x [N, in] -> y [N, out]} inside the model: every q/k/v/o, wi/wi_0/wi_1/wo
 * and the LM head is one. The model calls projections only through this interface, so a PEFT
 * method can wrap one (LoRA, IA3) by replacing it in its {@link ProjectionSlot}, just as Hugging Face
 * PEFT swaps a {@code nn.Linear} for a {@code lora.Linear}; the model knows nothing of LoRA.
 *
 * <p>Contract: inputs are 2-D (callers reshape [B, T, d] to [B*T, d]). In training mode
 * {@code forward} keeps what {@code backward} needs; each projection object is called at most once
 * per forward pass. {@code backward} returns dX and accumulates the gradients of its trainable
 * parameters; it computes no gradient for frozen ones.
 */
public interface Projection {
    long inFeatures();
    long outFeatures();

    /** @param x [N, in] @return y [N, out] */
    INDArray forward(INDArray x, ForwardContext ctx);

    /** @param dy [N, out] gradient of the loss w.r.t. the last forward's output @return dx [N, in] */
    INDArray backward(INDArray dy);

    /**
     * Whether {@link #backward} reads the input of the last training forward (to form a weight or
     * adapter gradient). When false, the caller may overwrite that input once {@code forward} has
     * returned: a frozen projection's input then needs no storage of its own per layer. The default
     * (true) is always safe.
     */
    default boolean readsInputInBackward() { return true; }

    /** All parameters this projection owns, frozen or not (for a wrapper: base weight and its own). */
    List<Parameter> parameters();
}
