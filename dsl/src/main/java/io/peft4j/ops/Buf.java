package io.peft4j.ops;

import org.nd4j.linalg.api.buffer.DataBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Arrays;

/**
 * A reusable activation buffer with grow-only storage: returns the same array while the requested
 * shape and type stay the same, and an array over the same storage when a request of another shape
 * fits in it, so steps of any shape allocate nothing once the largest has been seen (batches of
 * variable length change every buffer's shape every step, and fresh native memory costs ~2.4 ms
 * per MB on the 2-core VM the benchmarks ran on: page faults, docs/BENCHMARKS.md). Contents are
 * undefined after {@link #get}, and an array returned earlier shares storage with the next one:
 * one buffer serves one role at a time, as before (an earlier array of the same shape was already
 * the same array).
 *
 * <p>The arrays are c-ordered over an exact-length view of the storage (offset 0), so
 * {@link Fast#plain} holds for float32 ones; ND4J's {@code isView()} reports true for those
 * smaller than the storage, which is why callers test {@link Fast#plain} before copying views.
 */
public final class Buf {
    private INDArray a;
    private DataBuffer storage;        // the largest array's buffer; smaller requests view its start
    private Buf owner;                 // non-null: this handle uses owner's storage

    public INDArray get(DataType dt, long... shape) {
        if (owner != null) return owner.get(dt, shape);
        if (a != null && a.dataType() == dt && Arrays.equals(a.shape(), shape)) return a;
        long n = 1;
        for (long s : shape) n *= s;
        if (shape.length == 0 || n == 0 || storage == null || storage.dataType() != dt || storage.length() < n) {
            a = Nd4j.createUninitialized(dt, shape);
            if (shape.length > 0 && n > 0) storage = a.data();
            return a;
        }
        a = Nd4j.create(n == storage.length() ? storage : Nd4j.createBuffer(storage, 0, n), shape);
        return a;
    }

    /**
     * From now on this handle returns the storage of {@code other} (and of whatever {@code other}
     * shares). For buffers whose contents live only while one layer runs (its backward-only
     * scratch): the same role in every block of a stack then takes one buffer, not one per block.
     * The caller guarantees that no two users of the shared storage need it at the same time.
     */
    public void shareStorageOf(Buf other) {
        Buf root = other;
        while (root.owner != null) root = root.owner;
        if (root == this) return;
        owner = root;
        a = null;
        storage = null;
    }

    public INDArray zeros(DataType dt, long... shape) { return get(dt, shape).assign(0); }
}
