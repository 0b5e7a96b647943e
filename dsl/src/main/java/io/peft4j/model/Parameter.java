package io.peft4j.model;

import io.peft4j.ops.Fast;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A named tensor of a model together with its gradient buffer.
 *
 * <p>Names follow the Hugging Face state-dict convention
 * ({@code encoder.block.0.layer.0.SelfAttention.q.weight}), so a parameter can be matched to a
 * safetensors key without translation. A frozen parameter ({@link #trainable()} false) never gets a
 * gradient buffer and layers skip its dW computation entirely; a trainable one accumulates into
 * {@link #grad()} until {@link #zeroGrad()}.
 */
public final class Parameter {
    private final String name;
    private INDArray value;
    private INDArray grad;        // same shape as value; null until first needed
    private boolean trainable;

    public Parameter(String name, INDArray value, boolean trainable) {
        this.name = name;
        this.value = value;
        this.trainable = trainable;
    }

    public String name() { return name; }
    public INDArray value() { return value; }
    public boolean trainable() { return trainable; }
    public long size() { return value.length(); }

    /** Replaces the tensor (same shape required), e.g. when loading weights. */
    public void set(INDArray newValue) {
        if (!java.util.Arrays.equals(newValue.shape(), value.shape())) {
            throw new IllegalArgumentException("parameter " + name + ": shape "
                + java.util.Arrays.toString(newValue.shape()) + " does not match "
                + java.util.Arrays.toString(value.shape()));
        }
        value.assign(newValue);
    }

    public void setTrainable(boolean trainable) {
        this.trainable = trainable;
        if (!trainable) grad = null;
    }

    /** The gradient buffer, allocated (zeroed) on first use; null for a frozen parameter. */
    public INDArray grad() {
        if (!trainable) return null;
        if (grad == null) grad = Nd4j.zeros(value.dataType(), value.shape());
        return grad;
    }

    /** True when a gradient buffer exists and may hold a value. */
    public boolean hasGrad() { return grad != null; }

    public void zeroGrad() {
        if (grad == null) return;
        if (Fast.plain(grad)) {                  // a Java fill: ND4J's assign(0) dispatch measured ~3 ms per call here
            java.nio.FloatBuffer b = Fast.fb(grad);
            int n = (int) grad.length();
            for (int i = 0; i < n; i++) b.put(i, 0f);
        } else grad.assign(0);
    }

    @Override public String toString() {
        return name + java.util.Arrays.toString(value.shape()) + (trainable ? " trainable" : " frozen");
    }
}
