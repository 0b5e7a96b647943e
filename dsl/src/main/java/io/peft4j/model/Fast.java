package io.peft4j.model;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.FloatBuffer;

/**
 * Fused float32 element-wise kernels written as plain Java loops over the native storage of plain
 * ND4J arrays (c-ordered, offset 0, owning their whole buffer): one pass instead of several ND4J ops,
 * each of which costs tens to hundreds of microseconds of dispatch. Layers use these when every array
 * involved is {@link #plain}; otherwise (float64 gradient checks, views) they keep their ND4J code.
 */
final class Fast {
    private Fast() {}

    /** True when every array is float32, c-ordered, at offset 0 and spans its whole buffer. */
    static boolean plain(INDArray... arrays) {
        for (INDArray a : arrays) {
            if (a == null || a.dataType() != DataType.FLOAT || a.ordering() != 'c' || a.offset() != 0
                || a.data().offset() != 0 || a.data().length() != a.length() || a.length() > Integer.MAX_VALUE) return false;
        }
        return true;
    }

    static FloatBuffer fb(INDArray a) { return a.data().asNioFloat(); }

    /** out = a + b (out may alias a or b). */
    static void add(INDArray a, INDArray b, INDArray out) {
        FloatBuffer x = fb(a), y = fb(b), o = fb(out);
        int n = (int) a.length();
        for (int i = 0; i < n; i++) o.put(i, x.get(i) + y.get(i));
    }

    /** a += b. */
    static void addInPlace(INDArray a, INDArray b) { add(a, b, a); }

    /** out = a * s. */
    static void scale(INDArray a, float s, INDArray out) {
        FloatBuffer x = fb(a), o = fb(out);
        int n = (int) a.length();
        for (int i = 0; i < n; i++) o.put(i, x.get(i) * s);
    }
}
