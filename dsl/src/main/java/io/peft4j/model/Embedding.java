package io.peft4j.model;

import io.peft4j.ops.Buf;
import io.peft4j.ops.Fast;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;

/**
 * Token embedding lookup {@code ids -> rows of W [vocab, d]}. Ids are validated before the native
 * gather (a negative id crashes ND4J's gather); the gradient is a scatter-add into the rows used.
 */
public final class Embedding {
    private final Parameter weight;   // [V, d]
    private final Buf out = new Buf();
    private int[] lastIds;            // flattened [B*T]

    public Embedding(Parameter weight) { this.weight = weight; }

    public Parameter weight() { return weight; }

    /**
     * Checks every id against [0, vocab).
     * @throws IllegalArgumentException naming the id, its position and the vocabulary size
     */
    public static void validate(int[][] ids, long vocab, String what) {
        if (ids == null) throw new IllegalArgumentException(what + " is missing");
        int width = -1;
        for (int b = 0; b < ids.length; b++) {
            if (ids[b] == null) throw new IllegalArgumentException(what + "[" + b + "] is missing");
            if (width < 0) width = ids[b].length;
            else if (ids[b].length != width)
                throw new IllegalArgumentException(what + " rows differ in length: row 0 has " + width + ", row " + b + " has " + ids[b].length);
            for (int t = 0; t < ids[b].length; t++) {
                int v = ids[b][t];
                if (v < 0 || v >= vocab)
                    throw new IllegalArgumentException(what + "[" + b + "][" + t + "] = " + v
                        + " is outside the vocabulary [0, " + vocab + ")");
            }
        }
        if (width == 0) throw new IllegalArgumentException(what + " has empty rows");
    }

    /** @param flatIds validated ids, [N] @return [N, d] */
    public INDArray forward(int[] flatIds) {
        INDArray w = weight.value();
        long v = w.size(0);
        for (int i = 0; i < flatIds.length; i++)
            if (flatIds[i] < 0 || flatIds[i] >= v)
                throw new IllegalArgumentException("token id " + flatIds[i] + " at position " + i + " is outside the vocabulary [0, " + v + ")");
        INDArray y = out.get(w.dataType(), flatIds.length, w.size(1));
        if (Fast.plain(w, y)) {                      // row copies (pullRows costs an op dispatch and OpenMP wake-ups)
            java.nio.FloatBuffer wb = Fast.fb(w), yb = Fast.fb(y);
            int d = (int) w.size(1);
            for (int i = 0; i < flatIds.length; i++) yb.put(i * d, wb, flatIds[i] * d, d);
        } else Nd4j.pullRows(w, y, 1, flatIds);
        lastIds = flatIds;
        return y;
    }

    /** Scatter-adds dOut [N, d] into the weight gradient (no-op for a frozen weight). */
    public void backward(INDArray dOut) {
        if (!weight.trainable()) return;
        scatterAddRows(weight.grad(), lastIds, dOut);
    }

    /** {@code target[ids[i]] += rows[i]} for contiguous c-order arrays. */
    public static void scatterAddRows(INDArray target, int[] ids, INDArray rows) {
        INDArray src = Fast.unlessView(rows, true);
        int d = (int) target.size(1);
        if (target.dataType() == DataType.DOUBLE) {
            DoubleBuffer t = target.data().asNioDouble(), s = src.data().asNioDouble();
            long to = target.offset(), so = src.offset();
            for (int i = 0; i < ids.length; i++) {
                int tb = (int) (to + (long) ids[i] * d), sb = (int) (so + (long) i * d);
                for (int j = 0; j < d; j++) t.put(tb + j, t.get(tb + j) + s.get(sb + j));
            }
        } else if (target.dataType() == DataType.FLOAT) {
            FloatBuffer t = target.data().asNioFloat(), s = src.data().asNioFloat();
            long to = target.offset(), so = src.offset();
            for (int i = 0; i < ids.length; i++) {
                int tb = (int) (to + (long) ids[i] * d), sb = (int) (so + (long) i * d);
                for (int j = 0; j < d; j++) t.put(tb + j, t.get(tb + j) + s.get(sb + j));
            }
        } else throw new IllegalArgumentException("unsupported gradient type " + target.dataType());
    }
}
