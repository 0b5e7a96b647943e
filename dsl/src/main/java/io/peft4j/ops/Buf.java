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

    public INDArray get(DataType dt, long... shape) {
        if (a == null || a.dataType() != dt || !Arrays.equals(a.shape(), shape)) a = Nd4j.createUninitialized(dt, shape);
        return a;
    }

    public INDArray zeros(DataType dt, long... shape) { return get(dt, shape).assign(0); }
}
