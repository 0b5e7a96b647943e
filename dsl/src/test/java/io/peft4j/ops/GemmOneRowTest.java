package io.peft4j.ops;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import static org.junit.jupiter.api.Assertions.*;

/**
 * One-row products go to sgemv ({@link Gemm#sgemm}): every transpose combination against a loop in
 * double, with beta 0 on storage full of NaN (uninitialised buffers) and with beta 1 accumulating.
 */
class GemmOneRowTest {
    @Test void oneRowProductsMatchALoopForEveryTransposeAndBeta() {
        java.util.Random r = new java.util.Random(5);
        int k = 37, n = 53;
        for (boolean ta : new boolean[]{false, true}) for (boolean tb : new boolean[]{false, true}) for (double beta : new double[]{0, 1}) {
            INDArray a = rand(r, ta ? k : 1, ta ? 1 : k), b = rand(r, tb ? n : k, tb ? k : n);
            INDArray c = beta == 0 ? Nd4j.valueArrayOf(new long[]{1, n}, Float.NaN, DataType.FLOAT) : rand(r, 1, n);
            double[] expect = new double[n];
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int q = 0; q < k; q++) s += (ta ? a.getDouble(q, 0) : a.getDouble(0, q)) * (tb ? b.getDouble(j, q) : b.getDouble(q, j));
                expect[j] = 0.5 * s + (beta == 0 ? 0 : beta * c.getDouble(0, j));   // beta 0: C is not read (BLAS)
            }
            Gemm.mm(a, b, c, ta, tb, 0.5, beta);
            for (int j = 0; j < n; j++)
                assertEquals(expect[j], c.getDouble(0, j), 1e-5, "ta " + ta + ", tb " + tb + ", beta " + beta + ", column " + j);
        }
    }

    private static INDArray rand(java.util.Random r, int rows, int cols) {
        float[] v = new float[rows * cols];
        for (int i = 0; i < v.length; i++) v[i] = (float) r.nextGaussian();
        return Nd4j.create(v, new long[]{rows, cols}, 'c');
    }
}
