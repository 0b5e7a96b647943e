package io.peft4j.model.causal;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Keys and values of the positions read so far by one attention layer during decoding, for
 * {@code N} rows: {@code [N, kvHeads, capacity, headDim]} each, of which the first {@link #length()}
 * positions are filled. Keys are stored after any position transform (rotary embeddings), exactly
 * as the attention consumed them.
 */
public final class KvCache {
    INDArray k, v;                    // [N, Hkv, cap, hd]
    int len;
    final int rows, kvHeads, capacity, headDim;

    public KvCache(DataType dt, int rows, int kvHeads, int capacity, int headDim) {
        if (rows < 1 || kvHeads < 1 || capacity < 1 || headDim < 1)
            throw new IllegalArgumentException("KV cache dimensions must be >= 1: rows " + rows + ", kv heads " + kvHeads
                + ", capacity " + capacity + ", head dim " + headDim);
        this.rows = rows; this.kvHeads = kvHeads; this.capacity = capacity; this.headDim = headDim;
        k = Nd4j.zeros(dt, rows, kvHeads, capacity, headDim);
        v = Nd4j.zeros(dt, rows, kvHeads, capacity, headDim);
    }

    /** Positions filled so far. */
    public int length() { return len; }
    public int capacity() { return capacity; }
    public int rows() { return rows; }

    /** Keeps row {@code rows[i]} at row i (beam search reordering). */
    public void reorder(int[] rowsFrom) {
        if (rowsFrom.length != rows) throw new IllegalArgumentException("reorder needs " + rows + " row indexes, got " + rowsFrom.length);
        long[] s = k.shape();
        long per = s[1] * s[2] * s[3];
        k = Nd4j.pullRows(k.reshape(s[0], per), 1, rowsFrom).reshape(s);
        v = Nd4j.pullRows(v.reshape(s[0], per), 1, rowsFrom).reshape(s);
        if (!isPlain(k)) k = k.dup('c');
        if (!isPlain(v)) v = v.dup('c');
    }

    static boolean isPlain(INDArray a) {
        return a.ordering() == 'c' && a.offset() == 0 && a.data().offset() == 0 && a.data().length() == a.length();
    }
}
