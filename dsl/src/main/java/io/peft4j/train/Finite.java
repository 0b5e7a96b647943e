package io.peft4j.train;

import io.peft4j.ops.Fast;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.BooleanIndexing;
import org.nd4j.linalg.indexing.conditions.Conditions;

/** Small numeric helpers for the trainer: finiteness checks and in-place axpy. */
final class Finite {
    private Finite() {}

    /** True when no element is NaN or infinite (one reduction; a second pass only when the sum overflows). */
    static boolean isFinite(INDArray a) {
        if (Fast.plain(a)) {
            java.nio.FloatBuffer f = Fast.fb(a);
            return Fast.forChunks((int) a.length(), (from, to) -> {
                for (int k = from; k < to; k++) if (!Float.isFinite(f.get(k))) return false;
                return true;
            });
        }
        double sum = a.sumNumber().doubleValue();
        if (Double.isFinite(sum)) return true;            // any NaN/Inf element would make the sum non-finite
        return !BooleanIndexing.or(a, Conditions.isNan()) && !BooleanIndexing.or(a, Conditions.isInfinite());
    }

    /** "NaN", "infinite" or "finite" for an error message. */
    static String describe(INDArray a) {
        if (BooleanIndexing.or(a, Conditions.isNan())) return "NaN";
        if (BooleanIndexing.or(a, Conditions.isInfinite())) return "infinite";
        return "finite";
    }

    /** Sum of squares in double precision. */
    static double sumSquares(INDArray a) {
        if (Fast.plain(a)) {
            java.nio.FloatBuffer f = Fast.fb(a);
            double[] acc = {0};
            int n = (int) a.length();
            for (int k = 0; k < n; k++) { double x = f.get(k); acc[0] += x * x; }
            return acc[0];
        }
        double n = a.norm2Number().doubleValue();
        return n * n;
    }

    /** a *= c in place. */
    static void scale(INDArray a, double c) {
        if (Fast.plain(a)) {
            java.nio.FloatBuffer f = Fast.fb(a);
            float fc = (float) c;
            Fast.forChunks((int) a.length(), (from, to) -> { for (int k = from; k < to; k++) f.put(k, f.get(k) * fc); return true; });
        } else {
            a.muli(c);
        }
    }

    /** y += alpha * x in place (no allocation when both are contiguous c-order arrays of one type). */
    static void axpy(double alpha, INDArray x, INDArray y) {
        if (io.peft4j.ops.Fast.plain(x, y) || (!x.isView() && !y.isView() && x.ordering() == 'c' && y.ordering() == 'c' && x.dataType() == y.dataType())) {
            Nd4j.getBlasWrapper().level1().axpy(x.length(), alpha, x, y);
        } else {
            y.addi(x.mul(alpha));
        }
    }
}
