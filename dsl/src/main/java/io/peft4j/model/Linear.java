package io.peft4j.model;

import io.peft4j.ops.Buf;
import io.peft4j.ops.Gemm;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.List;

/**
 * A linear layer, {@code y = x W^T (+ b)} with {@code W [out, in]} (PyTorch's layout, so the
 * weight is the checkpoint tensor as stored) and an optional bias {@code b [out]} (Qwen2's q/k/v,
 * GPT-2's layers). Forward and backward are single GEMMs into reused buffers; a frozen weight gets
 * no dW GEMM at all, a frozen bias no row sum.
 */
public final class Linear implements Projection {
    private final Parameter weight;   // [out, in]
    private final Parameter bias;     // [out] or null
    private final Buf out = new Buf(), dx = new Buf();
    private INDArray lastX;           // [N, in], kept for dW

    public Linear(Parameter weight) { this(weight, null); }

    public Linear(Parameter weight, Parameter bias) {
        if (weight.value().rank() != 2) throw new IllegalArgumentException("Linear weight " + weight.name() + " must be 2-D");
        if (bias != null && (bias.value().rank() != 1 || bias.value().length() != weight.value().size(0)))
            throw new IllegalArgumentException("Linear bias " + bias.name() + " must be [" + weight.value().size(0) + "], got "
                + java.util.Arrays.toString(bias.value().shape()));
        this.weight = weight;
        this.bias = bias;
    }

    public Parameter weight() { return weight; }
    /** The bias [out], or null. */
    public Parameter bias() { return bias; }
    @Override public long inFeatures() { return weight.value().size(1); }
    @Override public long outFeatures() { return weight.value().size(0); }

    @Override public INDArray forward(INDArray x, ForwardContext ctx) {
        INDArray w = weight.value();
        if (x.rank() != 2 || x.size(1) != w.size(1))
            throw new IllegalArgumentException(weight.name() + ": input " + java.util.Arrays.toString(x.shape())
                + " does not match [N, " + w.size(1) + "]");
        INDArray y = out.get(w.dataType(), x.size(0), w.size(0));
        Gemm.mm(x, w, y, false, true, 1.0, 0.0);
        if (bias != null) y.addiRowVector(bias.value());
        lastX = x;
        return y;
    }

    @Override public INDArray backward(INDArray dy) {
        INDArray w = weight.value();
        if (weight.trainable()) Gemm.mm(dy, lastX, weight.grad(), true, false, 1.0, 1.0);
        if (bias != null && bias.trainable()) bias.grad().addi(dy.sum(0));
        INDArray d = dx.get(w.dataType(), dy.size(0), w.size(1));
        Gemm.mm(dy, w, d, false, false, 1.0, 0.0);
        return d;
    }

    /** Only the weight gradient reads the input (the bias gradient and dX do not). */
    @Override public boolean readsInputInBackward() { return weight.trainable(); }

    /**
     * This layer's backward output (dX) uses {@code other}'s storage: for the same projection role in
     * another block of a stack, whose dX is consumed inside its own block's backward.
     */
    public void shareBackwardBuffers(Linear other) { dx.shareStorageOf(other.dx); }

    /** {@link #shareBackwardBuffers} for two slots' projections when both are plain linears (as at model construction). */
    public static void shareBackwardBuffers(Slot a, Slot b) {
        if (a.get() instanceof Linear la && b.get() instanceof Linear lb) la.shareBackwardBuffers(lb);
    }

    @Override public List<Parameter> parameters() { return bias == null ? List.of(weight) : List.of(weight, bias); }

    @Override public String toString() { return "Linear(" + weight + (bias == null ? "" : ", " + bias) + ")"; }
}
