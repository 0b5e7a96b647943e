package io.peft4j.peft;

import io.peft4j.model.Parameter;
import io.peft4j.ops.Buf;
import io.peft4j.ops.Gemm;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.ArrayList;
import java.util.List;

/**
 * One named LoRA adapter on one linear module: the pair A [r, in], B [out, r], its scaling and
 * dropout, and its {@link LoraVariant} (plain LoRA or DoRA). Parameter names follow PEFT's
 * in-memory naming, {@code <module>.lora_A.<adapter>.weight}.
 *
 * <p>It computes the low-rank product {@code u = x_d A^T}, {@code scaling u B^T} and its backward;
 * what is done with the product is the variant's business. An adapter whose initialisation
 * replaced the base weight by a residual (PiSSA, OLoRA) keeps its initial A and B
 * ({@link #initialA()}, {@link #initialB()}), which PEFT's conversion to a plain LoRA adapter needs.
 */
public final class LoraAdapter {
    private final String name;
    private final Parameter a;   // [r, in]
    private final Parameter b;   // [out, r]
    private final double scaling;
    private final double dropout;
    private final LoraInit init;
    private final INDArray initialA, initialB;   // [r, in], [out, r] float32 copies for base-changing inits, else null
    private final LoraVariant variant;

    /** Reusable work buffers of this adapter (steps of equal shape allocate nothing). */
    final Buf xd = new Buf(), u = new Buf(), du = new Buf(), dxd = new Buf();

    /**
     * @param av     A [r, in] as initialised (float32)
     * @param bv     B [out, r] as initialised (float32)
     * @param weight the layer's base weight [out, in] after the initialisation (DoRA's magnitude starts from it)
     * @param dt     storage type of A and B (the base weight's)
     */
    LoraAdapter(String module, String name, INDArray av, INDArray bv, double scaling, double dropout, LoraInit init,
                LoraVariant.Kind kind, INDArray weight, DataType dt) {
        this.name = name;
        this.scaling = scaling;
        this.dropout = dropout;
        this.init = init;
        this.initialA = init.changesBaseWeight() ? av.dup() : null;
        this.initialB = init.changesBaseWeight() ? bv.dup() : null;
        this.a = new Parameter(module + ".lora_A." + name + ".weight", dt == DataType.FLOAT ? av : av.castTo(dt), true);
        this.b = new Parameter(module + ".lora_B." + name + ".weight", dt == DataType.FLOAT ? bv : bv.castTo(dt), true);
        this.variant = kind.create(module, this, weight);
    }

    public String name() { return name; }
    /** A [r, in] */
    public Parameter a() { return a; }
    /** B [out, r] */
    public Parameter b() { return b; }
    public int rank() { return (int) a.value().size(0); }
    public double scaling() { return scaling; }
    public double dropout() { return dropout; }
    /** How A and B started. */
    public LoraInit init() { return init; }
    /** Plain LoRA or DoRA (with its magnitude vector). */
    public LoraVariant variant() { return variant; }

    /** The initial A [r, in] of a PiSSA / OLoRA adapter (the residual was computed with it), else null. */
    public INDArray initialA() { return initialA; }
    /** The initial B [out, r] of a PiSSA / OLoRA adapter, else null. */
    public INDArray initialB() { return initialB; }

    /** A, B and the variant's parameters (DoRA's magnitude). */
    public List<Parameter> parameters() {
        List<Parameter> ps = new ArrayList<>(List.of(a, b));
        ps.addAll(variant.parameters());
        return ps;
    }

    /** Number of values in {@link #parameters()}. */
    public long parameterCount() {
        long n = 0;
        for (Parameter p : parameters()) n += p.size();
        return n;
    }

    /** scaling * B A, [out, in], in A and B's type (float32 for models in float32). */
    public INDArray deltaWeight() { return b.value().mmul(a.value()).muli(scaling); }

    // ---------------------------------------------------------------- the low-rank product (for the variants)

    /** u = x_d A^T [N, r], in this adapter's buffer (valid until its next forward). */
    INDArray down(INDArray x) {
        INDArray out = u.get(x.dataType(), x.size(0), rank());
        Gemm.mm(x, a.value(), out, false, true, 1.0, 0.0);
        return out;
    }

    /**
     * Backward of {@code out = scaling u B^T}, {@code u = x_d A^T} for the output gradient
     * {@code dOut} [N, out]: dB += scaling dOut^T u and dA += du^T x_d (trainable ones only).
     *
     * @return du = scaling dOut B [N, r] (in this adapter's buffer), from which the caller gets dx_d = du A
     */
    INDArray backLowRank(INDArray dOut, INDArray uIn, INDArray xIn) {
        if (b.trainable()) Gemm.mm(dOut, uIn, b.grad(), true, false, scaling, 1.0);          // dB += s dOut^T u   [out, r]
        INDArray d = du.get(dOut.dataType(), dOut.size(0), rank());
        Gemm.mm(dOut, b.value(), d, false, false, scaling, 0.0);                              // du = s dOut B      [N, r]
        if (a.trainable()) Gemm.mm(d, xIn, a.grad(), true, false, 1.0, 1.0);                 // dA += du^T x_d     [r, in]
        return d;
    }
}
