package io.peft4j.ops;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.custom.LogSoftMax;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

import java.nio.FloatBuffer;

/**
 * Mean cross-entropy over positions whose label is not -100, with its gradient w.r.t. the logits.
 *
 * <p>Float32 logits take a fused Java path, parallel over rows ({@link Par}): the forward keeps
 * only each row's log-sum-exp ({@code [N]}), the backward writes {@code (softmax - onehot) / count}
 * in one pass over the logits. Other types (float64 gradient checks) use ND4J's log-softmax.
 */
public final class CrossEntropy {
    public static final int IGNORE = -100;
    private final Buf lsm = new Buf(), grad = new Buf();
    private INDArray logits;          // [N, V] logits of the last forward (not owned; fast path)
    private INDArray logProbs;        // [N, V] log-softmax of the last forward (ND4J path)
    private double[] lse = new double[0]; // [N] log-sum-exp per row (fast path)
    private boolean fastLast;
    private int[] labels;
    private long count;

    /** @param logits [N, V] @param flatLabels [N] (-100 = ignored) @return the mean loss (0 when nothing counts) */
    public double forward(INDArray logits, int[] flatLabels) {
        int n = flatLabels.length;
        if (logits.rows() != n) throw new IllegalArgumentException("cross-entropy: " + n + " labels for " + logits.rows() + " rows of logits");
        labels = flatLabels;
        count = 0;
        for (int l : flatLabels) if (l != IGNORE) count++;
        if (Fast.plain(logits)) {
            fastLast = true;
            this.logits = logits;
            logProbs = null;
            int V = (int) logits.size(1);
            if (lse.length < n) lse = new double[n];
            double[] rowLoss = new double[n], rowLse = lse;
            FloatBuffer x = Fast.fb(logits);
            Par.forRange(n, Math.max(1, (1 << 15) / Math.max(1, V)), (from, to) -> {
                float[] row = new float[V];                  // one row at a time through Java arrays
                double[] ex = new double[V];
                for (int i = from; i < to; i++) {
                    int o = i * V;
                    x.get(o, row, 0, V);
                    float max = Float.NEGATIVE_INFINITY;
                    for (int j = 0; j < V; j++) max = Math.max(max, row[j]);
                    for (int j = 0; j < V; j++) ex[j] = row[j] - max;
                    Activations.expInPlace(ex, V);
                    double sum = 0;
                    for (int j = 0; j < V; j++) sum += ex[j];
                    double l = max + Math.log(sum);
                    rowLse[i] = l;
                    rowLoss[i] = flatLabels[i] == IGNORE ? 0 : l - row[flatLabels[i]];
                }
            });
            double sum = 0;
            for (int i = 0; i < n; i++) sum += rowLoss[i];
            return count == 0 ? 0.0 : sum / count;
        }
        fastLast = false;
        this.logits = null;
        logProbs = lsm.get(logits.dataType(), logits.shape());
        Nd4j.exec(new LogSoftMax(logits, logProbs));
        double sum = 0;
        for (int i = 0; i < n; i++) {
            if (flatLabels[i] == IGNORE) continue;
            sum -= logProbs.getDouble(i, flatLabels[i]);
        }
        return count == 0 ? 0.0 : sum / count;
    }

    /** Number of positions counted by the last forward. */
    public long count() { return count; }

    /** @return dLoss/dLogits [N, V] (a buffer of this object, or the stored log-probabilities overwritten) */
    public INDArray backward() {
        if (fastLast) {
            INDArray d = grad.get(logits.dataType(), logits.shape());
            int V = (int) logits.size(1);
            FloatBuffer x = Fast.fb(logits), g = Fast.fb(d);
            double[] rowLse = lse;
            int[] lab = labels;
            float scale = count == 0 ? 0f : (float) (1.0 / count);
            Par.forRange(lab.length, Math.max(1, (1 << 15) / Math.max(1, V)), (from, to) -> {
                float[] row = new float[V];                  // one row at a time through Java arrays
                double[] ex = new double[V];
                for (int i = from; i < to; i++) {
                    int o = i * V;
                    if (lab[i] == IGNORE || scale == 0f) {
                        java.util.Arrays.fill(row, 0f);
                        g.put(o, row, 0, V);
                        continue;
                    }
                    double l = rowLse[i];
                    x.get(o, row, 0, V);
                    for (int j = 0; j < V; j++) ex[j] = row[j] - l;
                    Activations.expInPlace(ex, V);
                    for (int j = 0; j < V; j++) row[j] = (float) ex[j] * scale;
                    row[lab[i]] -= scale;
                    g.put(o, row, 0, V);
                }
            });
            return d;
        }
        INDArray d = Transforms.exp(logProbs, false);
        double[] scale = new double[labels.length];
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] == IGNORE || count == 0) continue;
            d.putScalar(i, labels[i], d.getDouble(i, labels[i]) - 1.0);
            scale[i] = 1.0 / count;
        }
        return d.muliColumnVector(Nd4j.createFromArray(scale).reshape(labels.length, 1).castTo(d.dataType()));
    }
}
