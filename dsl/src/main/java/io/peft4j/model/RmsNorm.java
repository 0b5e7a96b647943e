package io.peft4j.model;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * T5's layer norm: RMS scaling without mean subtraction or bias,
 * {@code y = w * x / sqrt(mean(x^2) + eps)}, in the model's float type (float32 or float64).
 */
public final class RmsNorm {
    private final Parameter weight;   // [d]
    private final double eps;
    private final Buf xhat = new Buf(), y = new Buf();
    private INDArray r;               // [N, 1] reciprocal rms of the last forward

    public RmsNorm(Parameter weight, double eps) { this.weight = weight; this.eps = eps; }

    public Parameter weight() { return weight; }

    /** @param x [N, d] @return [N, d] (a buffer owned by this layer) */
    public INDArray forward(INDArray x) {
        long n = x.size(0), d = x.size(1);
        r = Transforms.pow(x.mul(x).mean(true, 1).addi(eps), -0.5, false);          // [N, 1]
        INDArray xh = xhat.get(x.dataType(), n, d).assign(x).muliColumnVector(r);
        return y.get(x.dataType(), n, d).assign(xh).muliRowVector(weight.value());
    }

    /** @param dy [N, d] @return dx [N, d] (freshly allocated) */
    public INDArray backward(INDArray dy) {
        INDArray xh = xhat.get(dy.dataType(), dy.shape());
        if (weight.trainable()) weight.grad().addi(dy.mul(xh).sum(0));
        INDArray g = dy.mulRowVector(weight.value());                             // dL/dxhat
        INDArray m = g.mul(xh).mean(true, 1);                                     // [N, 1]
        return g.subi(xh.mulColumnVector(m)).muliColumnVector(r);
    }
}
