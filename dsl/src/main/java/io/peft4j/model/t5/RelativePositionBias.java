package io.peft4j.model.t5;

import io.peft4j.model.Embedding;
import io.peft4j.model.Parameter;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * T5's learned relative position bias, owned by block 0 of a stack and shared by all its blocks.
 * Table {@code [num_buckets, n_heads]}; the bias for query i and key j is the row of
 * {@code bucket(j - i)}. Bidirectional (encoder) or causal (decoder) bucketing as in transformers,
 * with the logarithmic part computed in float32 like PyTorch.
 */
public final class RelativePositionBias {
    private final Parameter table;    // [numBuckets, H]
    private final boolean bidirectional;
    private final int numBuckets, maxDistance;

    public RelativePositionBias(Parameter table, boolean bidirectional, int maxDistance) {
        this.table = table; this.bidirectional = bidirectional;
        this.numBuckets = (int) table.value().size(0); this.maxDistance = maxDistance;
    }

    public Parameter table() { return table; }

    /** transformers' {@code _relative_position_bucket} for relative position {@code key - query}. */
    public static int bucket(int relativePosition, boolean bidirectional, int numBuckets, int maxDistance) {
        int ret = 0, n = relativePosition;
        if (bidirectional) {
            numBuckets /= 2;
            if (n > 0) ret += numBuckets;
            n = Math.abs(n);
        } else {
            n = -Math.min(n, 0);
        }
        int maxExact = numBuckets / 2;
        if (n < maxExact) return ret + n;
        float ratio = (float) Math.log((float) n / maxExact) / (float) Math.log((float) maxDistance / maxExact);
        int large = maxExact + (int) (ratio * (numBuckets - maxExact));
        return ret + Math.min(large, numBuckets - 1);
    }

    /** Bucket index for every (query, key) pair, [q * k] row-major; queries start at {@code qOffset}. */
    int[] buckets(int qLen, int kLen, int qOffset) {
        int[] out = new int[qLen * kLen];
        for (int i = 0; i < qLen; i++)
            for (int j = 0; j < kLen; j++)
                out[i * kLen + j] = bucket(j - (i + qOffset), bidirectional, numBuckets, maxDistance);
        return out;
    }

    /** @return bias [H, qLen, kLen] (fresh array) */
    public INDArray bias(int qLen, int kLen, int qOffset) {
        int[] b = buckets(qLen, kLen, qOffset);
        INDArray rows = Nd4j.pullRows(table.value(), 1, b);                     // [q*k, H]
        long h = table.value().size(1);
        return rows.transpose().dup('c').reshape(h, qLen, kLen);
    }

    /** Accumulates dBias [H, qLen, kLen] into the table gradient (no-op when frozen). */
    public void backward(INDArray dBias, int qOffset) {
        if (!table.trainable()) return;
        int h = (int) dBias.size(0), q = (int) dBias.size(1), k = (int) dBias.size(2);
        int[] b = buckets(q, k, qOffset);
        INDArray src = dBias.reshape(h, (long) q * k).transpose().dup('c');     // [q*k, H]
        Embedding.scatterAddRows(table.grad(), b, src);
    }

    static DataType type(Parameter p) { return p.value().dataType(); }
}
