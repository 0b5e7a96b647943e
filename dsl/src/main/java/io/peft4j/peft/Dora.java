package io.peft4j.peft;

import io.peft4j.model.Parameter;
import io.peft4j.ops.Buf;
import io.peft4j.ops.Fast;
import io.peft4j.ops.Gemm;
import io.peft4j.ops.Par;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.nio.FloatBuffer;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * DoRA (weight-decomposed low-rank adaptation, Liu et al. 2024), as PEFT 0.21 computes it: the
 * adapted weight {@code W' = W + scaling B A} is split into a direction (its rows divided by their
 * norms) and a learned magnitude {@code m} [out], one per output row:
 * <pre>
 *   n = ||W + scaling B A||  per row, treated as a constant for gradients (PEFT detaches it, section 4.3 of the paper)
 *   g = m / n                [out]
 *   y = x W^T + (g - 1) * (x_d W^T) + g * scaling * (x_d A^T B^T)      (columns scaled by g)
 * </pre>
 * where {@code x_d} is the input after the adapter's dropout. Without dropout (or in inference)
 * {@code x_d W^T} is the base output already computed (minus the bias), so the layer reduces to
 * {@code y = g * (x W'^T) + bias}. {@code m} starts as {@code n} at creation, so a new DoRA adapter
 * computes what its LoRA pair alone would.
 *
 * <p>Merging, as PEFT: {@code W = (m / n0) * (W + scaling B A)} row-wise, where {@code n0} is the
 * row norm of the unmerged base weight plus the delta, kept until unmerging ({@code W = W / (m /
 * n0) - scaling B A}).
 *
 * <p>Gradients (n constant): with {@code L = scaling x_d A^T B^T} and {@code base = x_d W^T},
 * {@code dm = sum over rows of dy * (base + L) / n}; the low-rank pair sees {@code dy * g}; the
 * input gets {@code (dy * (g - 1)) W} more through the base path.
 */
public final class Dora implements LoraVariant {
    /** The key suffix PEFT writes for the magnitude (no ".weight": PEFT keeps its old checkpoint name). */
    static final String KEY = "lora_magnitude_vector";

    private final Parameter magnitude;                     // [out]
    private final Buf norm = new Buf(), base = new Buf(), low = new Buf(), scaled = new Buf();
    private INDArray mergedNorm;                           // [out], the norms used by the last merge (null when not merged)

    /** A new DoRA variant whose magnitude is the row norm of {@code weight + scaling B A} (PEFT's initial value). */
    Dora(String module, LoraAdapter a, INDArray weight) {
        INDArray n = rowNorms(weight, a.deltaWeight().castTo(weight.dataType()), new Buf());
        this.magnitude = new Parameter(module + "." + KEY + "." + a.name() + ".weight", n.castTo(a.a().value().dataType()), true);
    }

    /** The magnitude vector [out]. */
    public Parameter magnitude() { return magnitude; }

    @Override public String label() { return "DoRA"; }
    @Override public List<Parameter> parameters() { return List.of(magnitude); }
    @Override public Map<String, Parameter> savedTensors() { return Map.of(KEY, magnitude); }

    /** Row norms [out] of {@code w + delta} (float32 values, accumulated in double). */
    static INDArray rowNorms(INDArray w, INDArray delta, Buf scratch) {
        long out = w.size(0), in = w.size(1);
        INDArray sum = scratch.get(w.dataType(), out, in);
        sum.assign(w).addi(delta);
        return norms(sum);
    }

    private static INDArray norms(INDArray m) {
        int rows = (int) m.size(0), cols = (int) m.size(1);
        double[] n = new double[rows];
        if (Fast.plain(m)) {
            FloatBuffer v = Fast.fb(m);
            for (int i = 0; i < rows; i++) {
                double s = 0;
                for (int j = 0, o = i * cols; j < cols; j++) { double x = v.get(o + j); s += x * x; }
                n[i] = Math.sqrt(s);
            }
        } else {
            double[] v = m.dup('c').data().asDouble();
            for (int i = 0; i < rows; i++) {
                double s = 0;
                for (int j = 0, o = i * cols; j < cols; j++) s += v[o + j] * v[o + j];
                n[i] = Math.sqrt(s);
            }
        }
        return Nd4j.createFromArray(n).castTo(m.dataType());
    }

    /** n = ||W + scaling B A|| per row, the current (unmerged) weight plus this adapter's delta. */
    private INDArray weightNorm(INDArray w, LoraAdapter a) {
        INDArray sum = norm.get(w.dataType(), w.size(0), w.size(1));
        sum.assign(w);
        Gemm.mm(a.b().value(), a.a().value(), sum, false, false, a.scaling(), 1.0);
        return norms(sum);
    }

    @Override
    public Backward forward(LoraLinear layer, LoraAdapter a, INDArray xd, boolean dropped, INDArray y, boolean training) {
        INDArray w = layer.weightOutIn();                                               // [out, in]
        DataType dt = y.dataType();
        long rows = y.size(0), out = y.size(1);
        INDArray n = weightNorm(w, a).castTo(dt);                                       // [out], detached
        INDArray g = magnitude.value().castTo(dt).div(n);                               // [out]
        INDArray baseOut = base.get(dt, rows, out);                                     // x_d W^T
        if (dropped) Gemm.mm(xd, w, baseOut, false, true, 1.0, 0.0);
        else {
            baseOut.assign(y);
            INDArray bias = layer.baseBias();
            if (bias != null) baseOut.subiRowVector(bias.castTo(dt));
        }
        INDArray u = a.down(xd);                                                        // [N, r]
        INDArray lo = low.get(dt, rows, out);                                           // L = s u B^T
        Gemm.mm(u, a.b().value(), lo, false, true, a.scaling(), 0.0);
        INDArray gm1 = g.sub(1.0);
        boolean fast = Fast.plain(y, baseOut, lo, g);
        if (fast) {                                                                     // y += (g-1) base + g L, one pass
            FloatBuffer yb = Fast.fb(y), bb = Fast.fb(baseOut), lb = Fast.fb(lo);
            float[] gv = g.toFloatVector();
            int cols = (int) out;
            Par.forRange((int) rows, Math.max(1, Fast.GRAIN / cols), (from, to) -> {
                for (int i = from; i < to; i++)
                    for (int j = 0, o = i * cols; j < cols; j++)
                        yb.put(o + j, yb.get(o + j) + (gv[j] - 1f) * bb.get(o + j) + gv[j] * lb.get(o + j));
            });
        } else y.addi(baseOut.mulRowVector(gm1)).addi(lo.mulRowVector(g));
        if (!training) return null;
        return (dy, dxd, beta) -> {
            INDArray t = scaled.get(dt, rows, out);
            boolean fused = fast && Fast.plain(dy, t);
            if (magnitude.trainable()) {                                                // dm += sum_rows dy (base + L) / n
                if (fused) magnitude.grad().addi(Nd4j.createFromArray(magnitudeGradient(dy, baseOut, lo, n)).castTo(magnitude.grad().dataType()));
                else magnitude.grad().addi(baseOut.add(lo).muli(dy).sum(0).divi(n).castTo(magnitude.grad().dataType()));
            }
            if (fused) scaleColumns(dy, g, 0f, t); else t.assign(dy).muliRowVector(g);  // dy * g: what the low-rank pair sees
            INDArray du = a.backLowRank(t, u, xd);
            Gemm.mm(du, a.a().value(), dxd, false, false, 1.0, beta);                  // dxd (+)= du A
            if (fused) scaleColumns(dy, g, -1f, t); else t.assign(dy).muliRowVector(gm1);   // dy * (g - 1): the base path
            Gemm.mm(t, w, dxd, false, false, 1.0, 1.0);                                 // dxd += (dy (g-1)) W
        };
    }

    /** t = dy * (g + shift), column j scaled by g[j] + shift (float32 arrays). */
    private static void scaleColumns(INDArray dy, INDArray g, float shift, INDArray t) {
        FloatBuffer d = Fast.fb(dy), o = Fast.fb(t);
        float[] gv = g.toFloatVector();
        int cols = gv.length, rows = (int) dy.size(0);
        Par.forRange(rows, Math.max(1, Fast.GRAIN / cols), (from, to) -> {
            for (int i = from; i < to; i++)
                for (int j = 0, k = i * cols; j < cols; j++) o.put(k + j, d.get(k + j) * (gv[j] + shift));
        });
    }

    /** sum over rows of dy * (base + L), divided by n, per column (float32 arrays, accumulated in double). */
    private static double[] magnitudeGradient(INDArray dy, INDArray base, INDArray lo, INDArray n) {
        FloatBuffer d = Fast.fb(dy), b = Fast.fb(base), l = Fast.fb(lo);
        int rows = (int) dy.size(0), cols = (int) dy.size(1);
        double[] acc = new double[cols];
        for (int i = 0; i < rows; i++)
            for (int j = 0, k = i * cols; j < cols; j++) acc[j] += (double) d.get(k + j) * (b.get(k + j) + l.get(k + j));
        float[] nv = n.toFloatVector();
        for (int j = 0; j < cols; j++) acc[j] /= nv[j];
        return acc;
    }

    @Override
    public void merge(LoraAdapter a, INDArray weight, Supplier<INDArray> unmerged) {
        INDArray delta = a.deltaWeight().castTo(weight.dataType());
        INDArray n = rowNorms(unmerged.get(), delta, norm);                             // norms of the unmerged base + delta
        INDArray factor = magnitude.value().castTo(weight.dataType()).div(n);
        weight.addi(delta).muliColumnVector(factor.reshape(factor.length(), 1));
        mergedNorm = n;
    }

    @Override
    public void unmerge(LoraAdapter a, INDArray weight) {
        if (mergedNorm == null) throw new IllegalStateException(magnitude.name() + ": unmerge without a merge");
        INDArray factor = magnitude.value().castTo(weight.dataType()).div(mergedNorm);
        weight.diviColumnVector(factor.reshape(factor.length(), 1)).subi(a.deltaWeight().castTo(weight.dataType()));
        mergedNorm = null;
    }

    @Override public String toString() { return "DoRA(" + magnitude + ")"; }
}
