package io.peft4j.ops;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Arrays;

/**
 * A reusable activation buffer: returns the same array while the requested shape and type stay the
 * same, so steps of equal shape allocate nothing. Contents are undefined after {@link #get}.
 */
public final class Buf {
    private INDArray a;
    private Buf owner;                 // non-null: this handle uses owner's storage

    public INDArray get(DataType dt, long... shape) {
        if (owner != null) return owner.get(dt, shape);
        if (a == null || a.dataType() != dt || !Arrays.equals(a.shape(), shape)) a = Nd4j.createUninitialized(dt, shape);
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
    }

    public INDArray zeros(DataType dt, long... shape) { return get(dt, shape).assign(0); }
}
