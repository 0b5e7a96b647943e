package io.peft4j.model;

import io.peft4j.ops.Buf;
import io.peft4j.ops.Fast;
import io.peft4j.ops.Par;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.nio.FloatBuffer;

/**
 * PyTorch's {@code nn.LayerNorm} over the last dimension with weight and bias (GPT-2's {@code ln_1},
 * {@code ln_2}, {@code ln_f}):
 * {@code y = (x - mean(x)) / sqrt(var(x) + eps) * w + b}, with the biased variance, computed per row
 * in the model's float type (float32, as PyTorch does on CPU; float64 for gradient checks).
 *
 * <p>Backward, with {@code xhat = (x - mean) * rstd} and {@code g = dy * w}:
 * {@code dx = rstd * (g - mean(g) - xhat * mean(g * xhat))}, {@code dw += sum_rows dy * xhat},
 * {@code db += sum_rows dy}. A frozen weight or bias gets no reduction at all. Row reductions for dw
 * and db are summed in fixed blocks of rows, then the blocks in order, so the result does not depend
 * on the thread count.
 */
public final class LayerNorm {
    private final Parameter weight;   // [d]
    private final Parameter bias;     // [d]
    private final double eps;
    private final Buf xhatB = new Buf(), yB = new Buf(), dxB = new Buf();
    private float[] rstdF = new float[0];   // [N] 1/sqrt(var + eps) of the last forward (float32)
    private double[] rstdD = new double[0]; // [N] (float64)
    private INDArray xhat;                  // [N, d] normalised input of the last forward
    private static final int BLOCK = 64;    // rows per partial sum of dw / db

    public LayerNorm(Parameter weight, Parameter bias, double eps) {
        if (weight.value().rank() != 1 || bias.value().rank() != 1 || weight.value().length() != bias.value().length())
            throw new IllegalArgumentException("LayerNorm " + weight.name() + ": weight " + java.util.Arrays.toString(weight.value().shape())
                + " and bias " + java.util.Arrays.toString(bias.value().shape()) + " must both be [d]");
        if (!(eps > 0)) throw new IllegalArgumentException("LayerNorm eps must be > 0, got " + eps);
        this.weight = weight;
        this.bias = bias;
        this.eps = eps;
    }

    public Parameter weight() { return weight; }
    public Parameter bias() { return bias; }
    public double eps() { return eps; }

    /** @param x [N, d] @return [N, d] (a buffer owned by this layer, valid until the next forward) */
    /** The backward output (dX) uses {@code other}'s storage (the same norm role in another block; see {@link Buf#shareStorageOf}). */
    public void shareBackwardBuffers(LayerNorm other) { dxB.shareStorageOf(other.dxB); }

    public INDArray forward(INDArray x) {
        int d = (int) weight.value().length();
        if (x.rank() != 2 || x.size(1) != d)
            throw new IllegalArgumentException(weight.name() + ": input " + java.util.Arrays.toString(x.shape()) + " does not match [N, " + d + "]");
        int n = (int) x.size(0);
        DataType dt = x.dataType();
        INDArray src = Fast.plain(x) || (dt == DataType.DOUBLE && !x.isView() && x.ordering() == 'c' && x.data().length() == x.length())
            ? x : x.dup('c');
        INDArray xh = xhatB.get(dt, n, d), out = yB.get(dt, n, d);
        if (dt == DataType.FLOAT) forwardFloat(src, xh, out, n, d);
        else if (dt == DataType.DOUBLE) forwardDouble(src, xh, out, n, d);
        else throw new IllegalArgumentException("LayerNorm: unsupported type " + dt);
        xhat = xh;
        return out;
    }

    private void forwardFloat(INDArray x, INDArray xh, INDArray out, int n, int d) {
        FloatBuffer xb = Fast.fb(x), hb = Fast.fb(xh), ob = Fast.fb(out);
        float[] w = weight.value().castTo(DataType.FLOAT).toFloatVector(), b = bias.value().castTo(DataType.FLOAT).toFloatVector();
        if (rstdF.length < n) rstdF = new float[n];
        float[] rs = rstdF;
        float epsf = (float) eps;
        Par.forRange(n, Math.max(1, (1 << 14) / Math.max(1, d)), (from, to) -> {
            float[] row = new float[d];
            for (int i = from; i < to; i++) {
                int o = i * d;
                xb.get(o, row, 0, d);
                float s = 0f;
                for (int j = 0; j < d; j++) s += row[j];
                float mean = s / d, v = 0f;
                for (int j = 0; j < d; j++) { float c = row[j] - mean; v += c * c; }
                float r = (float) (1.0 / Math.sqrt(v / d + epsf));
                rs[i] = r;
                for (int j = 0; j < d; j++) {
                    float h = (row[j] - mean) * r;
                    hb.put(o + j, h);
                    ob.put(o + j, h * w[j] + b[j]);
                }
            }
        });
    }

    private void forwardDouble(INDArray x, INDArray xh, INDArray out, int n, int d) {
        double[] xv = x.data().asDouble(), w = weight.value().toDoubleVector(), b = bias.value().toDoubleVector();
        long off = x.offset();
        double[] h = new double[n * d], y = new double[n * d];
        if (rstdD.length < n) rstdD = new double[n];
        for (int i = 0; i < n; i++) {
            int o = i * d;
            double s = 0;
            for (int j = 0; j < d; j++) s += xv[(int) off + o + j];
            double mean = s / d, v = 0;
            for (int j = 0; j < d; j++) { double c = xv[(int) off + o + j] - mean; v += c * c; }
            double r = 1.0 / Math.sqrt(v / d + eps);
            rstdD[i] = r;
            for (int j = 0; j < d; j++) {
                h[o + j] = (xv[(int) off + o + j] - mean) * r;
                y[o + j] = h[o + j] * w[j] + b[j];
            }
        }
        xh.assign(Nd4j.createFromArray(h).reshape(n, d));
        out.assign(Nd4j.createFromArray(y).reshape(n, d));
    }

    /**
     * @param dy [N, d] gradient w.r.t. the last forward's output
     * @return dx [N, d] (a buffer owned by this layer)
     */
    public INDArray backward(INDArray dy) {
        if (xhat == null) throw new IllegalStateException(weight.name() + ": backward without a forward");
        int n = (int) xhat.size(0), d = (int) xhat.size(1);
        if (dy.rank() != 2 || dy.size(0) != n || dy.size(1) != d)
            throw new IllegalArgumentException(weight.name() + ": gradient " + java.util.Arrays.toString(dy.shape())
                + " does not match the forward's [" + n + ", " + d + "]");
        DataType dt = xhat.dataType();
        INDArray g = Fast.plain(dy) || dt == DataType.DOUBLE ? dy : dy.dup('c');
        if (dt == DataType.DOUBLE && (g.isView() || g.ordering() != 'c')) g = g.dup('c');
        INDArray dx = dxB.get(dt, n, d);
        if (dt == DataType.FLOAT) backwardFloat(g, dx, n, d);
        else backwardDouble(g, dx, n, d);
        return dx;
    }

    private void backwardFloat(INDArray dy, INDArray dx, int n, int d) {
        FloatBuffer gb = Fast.fb(dy), hb = Fast.fb(xhat), ob = Fast.fb(dx);
        float[] w = weight.value().toFloatVector();
        boolean wantW = weight.trainable(), wantB = bias.trainable();
        int blocks = (n + BLOCK - 1) / BLOCK;
        float[][] pw = wantW ? new float[blocks][d] : null, pb = wantB ? new float[blocks][d] : null;
        float[] rs = rstdF;
        Par.forRange(blocks, 1, (bFrom, bTo) -> {
            float[] gr = new float[d], hr = new float[d], out = new float[d];
            for (int blk = bFrom; blk < bTo; blk++) {
                float[] aw = pw == null ? null : pw[blk], ab = pb == null ? null : pb[blk];
                for (int i = blk * BLOCK, end = Math.min(n, i + BLOCK); i < end; i++) {
                    int o = i * d;
                    gb.get(o, gr, 0, d);
                    hb.get(o, hr, 0, d);
                    float m1 = 0f, m2 = 0f;
                    for (int j = 0; j < d; j++) {
                        float gw = gr[j] * w[j];
                        m1 += gw;
                        m2 += gw * hr[j];
                        if (aw != null) aw[j] += gr[j] * hr[j];
                        if (ab != null) ab[j] += gr[j];
                    }
                    m1 /= d; m2 /= d;
                    float r = rs[i];
                    for (int j = 0; j < d; j++) out[j] = (gr[j] * w[j] - m1 - hr[j] * m2) * r;
                    ob.put(o, out, 0, d);
                }
            }
        });
        if (wantW) addBlocks(weight.grad(), pw, d);
        if (wantB) addBlocks(bias.grad(), pb, d);
    }

    private static void addBlocks(INDArray grad, float[][] parts, int d) {
        float[] s = parts[0];
        for (int k = 1; k < parts.length; k++) for (int j = 0; j < d; j++) s[j] += parts[k][j];
        if (Fast.plain(grad)) {
            FloatBuffer b = Fast.fb(grad);
            for (int j = 0; j < d; j++) b.put(j, b.get(j) + s[j]);
        } else grad.addi(Nd4j.createFromArray(s).castTo(grad.dataType()));
    }

    private void backwardDouble(INDArray dy, INDArray dx, int n, int d) {
        double[] g = dy.data().asDouble(), h = xhat.data().asDouble(), w = weight.value().toDoubleVector();
        int go = (int) dy.offset();
        double[] out = new double[n * d], dw = new double[d], db = new double[d];
        for (int i = 0; i < n; i++) {
            int o = i * d;
            double m1 = 0, m2 = 0;
            for (int j = 0; j < d; j++) {
                double gw = g[go + o + j] * w[j];
                m1 += gw;
                m2 += gw * h[o + j];
                dw[j] += g[go + o + j] * h[o + j];
                db[j] += g[go + o + j];
            }
            m1 /= d; m2 /= d;
            for (int j = 0; j < d; j++) out[o + j] = (g[go + o + j] * w[j] - m1 - h[o + j] * m2) * rstdD[i];
        }
        dx.assign(Nd4j.createFromArray(out).reshape(n, d));
        if (weight.trainable()) weight.grad().addi(Nd4j.createFromArray(dw).castTo(weight.grad().dataType()));
        if (bias.trainable()) bias.grad().addi(Nd4j.createFromArray(db).castTo(bias.grad().dataType()));
    }

    @Override public String toString() { return "LayerNorm(" + weight + ", " + bias + ", eps=" + eps + ")"; }
}
