package io.peft4j.train;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;

/**
 * Direct access to the float32 storage of plain (c-ordered, non-view) ND4J arrays, for the
 * optimizer's fused elementwise loops: one pass instead of a dozen ND4J operations, each of which
 * costs tens to hundreds of microseconds of dispatch on small tensors.
 */
final class Floats {
    private Floats() {}
    /** Tensors longer than this are processed in parallel chunks. */
    static final int CHUNK = 1 << 18;

    /** True when every array is a float32, c-ordered, non-view array that owns its whole buffer. */
    static boolean eligible(INDArray... arrays) {
        for (INDArray a : arrays) {
            if (a == null || a.dataType() != DataType.FLOAT || a.isView() || a.ordering() != 'c'
                || a.data().offset() != 0 || a.data().length() != a.length() || a.length() > Integer.MAX_VALUE) return false;
        }
        return true;
    }

    /** The array's storage as a float buffer (absolute indexing), for an {@link #eligible} array. */
    static FloatBuffer of(INDArray a) {
        return a.data().asNioFloat();
    }

    static void copy(INDArray from, INDArray to) {
        FloatBuffer f = of(from), t = of(to);
        forChunks((int) from.length(), (a, b) -> { for (int k = a; k < b; k++) t.put(k, f.get(k)); return true; });
    }

    interface Range { boolean run(int from, int to); }

    /** Runs {@code body} over [0, n) in chunks (in parallel when large); true when every chunk returned true. */
    static boolean forChunks(int n, Range body) {
        if (n <= CHUNK) return body.run(0, n);
        List<ForkJoinTask<Boolean>> tasks = new ArrayList<>();
        for (int from = 0; from < n; from += CHUNK) {
            int a = from, b = Math.min(n, from + CHUNK);
            tasks.add(ForkJoinPool.commonPool().submit(() -> body.run(a, b)));
        }
        boolean ok = true;
        for (ForkJoinTask<Boolean> t : tasks) ok &= t.join();
        return ok;
    }
}
