package io.peft4j.peft;

import io.peft4j.model.Parameter;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.SplittableRandom;

/**
 * One named LoRA adapter on one linear module: the pair A [r, in], B [out, r] and its scaling.
 * Parameter names follow PEFT's in-memory naming, {@code <module>.lora_A.<adapter>.weight}.
 */
public final class LoraAdapter {
    private final String name;
    private final Parameter a;   // [r, in]
    private final Parameter b;   // [out, r]
    private double scaling;                  // changes only by a hot-swap (HotSwap)
    private final double dropout;

    LoraAdapter(String module, String name, int r, long in, long out, double scaling, double dropout,
                LoraInit init, SplittableRandom rng, DataType dt) {
        this.name = name;
        INDArray av = Nd4j.zeros(DataType.FLOAT, r, in), bv = Nd4j.zeros(DataType.FLOAT, out, r);
        init.init(av, bv, rng);
        if (dt != DataType.FLOAT) { av = av.castTo(dt); bv = bv.castTo(dt); }
        this.a = new Parameter(module + ".lora_A." + name + ".weight", av, true);
        this.b = new Parameter(module + ".lora_B." + name + ".weight", bv, true);
        this.scaling = scaling;
        this.dropout = dropout;
    }

    public String name() { return name; }
    /** A [r, in] */
    public Parameter a() { return a; }
    /** B [out, r] */
    public Parameter b() { return b; }
    public int rank() { return (int) a.value().size(0); }
    public double scaling() { return scaling; }
    /** A hot-swap's new scaling (the weights are replaced in place by {@link HotSwap}). */
    void setScaling(double s) {
        if (!Double.isFinite(s)) throw new IllegalArgumentException("scaling = " + s + " is invalid: it must be finite");
        this.scaling = s;
    }
    public double dropout() { return dropout; }

    /** scaling * B A, [out, in], float32. */
    public INDArray deltaWeight() { return b.value().mmul(a.value()).muli(scaling); }
}
