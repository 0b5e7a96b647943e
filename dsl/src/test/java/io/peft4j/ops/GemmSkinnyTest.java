package io.peft4j.ops;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Skinny products ({@link Gemm#skinnyProduct}: cut into calls OpenBLAS runs on one thread) against
 * a loop in double: LoRA's six shapes (rows cut, columns cut, inner dimension cut), every transpose
 * combination, beta 0 on storage full of NaN and beta 1 accumulating, and a C that is a column slice
 * of a wider array (leading dimension larger than its width).
 */
class GemmSkinnyTest {
    static Stream<Arguments> shapes() {
        List<Arguments> out = new ArrayList<>();
        int[][] mnk = {
            {3000, 8, 192},    // u = x A^T: rows of C
            {3000, 192, 8},    // y += u B^T: rows
            {8, 3000, 200},    // u^T = A x^T: columns of C
            {8, 192, 3000},    // dA += du^T x: inner dimension
            {192, 8, 3001},    // dB += dy^T u, odd length: inner dimension with a short last slice
        };
        for (int[] s : mnk) for (boolean ta : new boolean[]{false, true}) for (boolean tb : new boolean[]{false, true})
            for (double beta : new double[]{0, 1}) out.add(Arguments.of(s[0], s[1], s[2], ta, tb, beta));
        return out.stream();
    }

    @ParameterizedTest(name = "m {0} n {1} k {2} ta {3} tb {4} beta {5}")
    @MethodSource("shapes")
    void cutProductsMatchALoop(int m, int n, int k, boolean ta, boolean tb, double beta) {
        assertTrue(Gemm.skinny(m, n, k), "the shape must take the cut path");
        java.util.Random r = new java.util.Random(m * 31L + n * 7L + k);
        INDArray a = rand(r, ta ? k : m, ta ? m : k), b = rand(r, tb ? n : k, tb ? k : n);
        INDArray wide = beta == 0 ? Nd4j.valueArrayOf(new long[]{m, n + 3}, Float.NaN, DataType.FLOAT) : rand(r, m, n + 3);
        INDArray c = wide.get(NDArrayIndex.all(), NDArrayIndex.interval(1, n + 1));      // ldc = n + 3
        float[] av = a.data().asFloat(), bv = b.data().asFloat();
        double[] expect = new double[m * n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int q = 0; q < k; q++)
                    s += av[ta ? q * m + i : i * k + q] * (double) bv[tb ? j * k + q : q * n + j];
                expect[i * n + j] = 0.5 * s + (beta == 0 ? 0 : beta * c.getDouble(i, j));
            }
        Gemm.mm(a, b, c, ta, tb, 0.5, beta);
        float[] got = c.dup('c').data().asFloat();
        for (int x = 0; x < expect.length; x++)
            assertEquals(expect[x], got[x], 2e-3 + 2e-5 * Math.sqrt(k) * Math.abs(expect[x]), "element " + x / n + "," + x % n);
        // the columns around the slice are untouched
        for (int i = 0; i < m; i += Math.max(1, m / 7)) {
            double left = wide.getDouble(i, 0), right = wide.getDouble(i, n + 1);
            assertTrue(beta == 0 ? Double.isNaN(left) && Double.isNaN(right) : !Double.isNaN(left + right), "row " + i + " outside the slice");
        }
    }

    @Test void productsThatAreNotSkinnyOrFitOneCallAreNotCut() {
        assertFalse(Gemm.skinny(3000, 192, 192), "no thin side");
        assertFalse(Gemm.skinny(100, 8, 192), "fits one single-threaded call");
        assertFalse(Gemm.skinny(1, 32000, 512), "one row goes to sgemv");
    }

    @Test void theCutIsDeterministicAndMatchesOneCallClosely() {
        java.util.Random r = new java.util.Random(11);
        INDArray du = rand(r, 3000, 8), x = rand(r, 3000, 192);
        INDArray g1 = Nd4j.zeros(DataType.FLOAT, 8, 192), g2 = Nd4j.zeros(DataType.FLOAT, 8, 192), one = Nd4j.zeros(DataType.FLOAT, 8, 192);
        Gemm.mm(du, x, g1, true, false, 1.0, 1.0);
        Gemm.mm(du, x, g2, true, false, 1.0, 1.0);
        assertEquals(g1, g2, "the same inputs give the same bits");
        Gemm.sgemm(Gemm.ptr(du), 0, true, 8, Gemm.ptr(x), 0, false, 192, Gemm.ptr(one), 0, 192, 8, 192, 3000, 1f, 1f);
        assertTrue(g1.equalsWithEps(one, 1e-3), "one call and the cut agree to rounding");
    }

    @Test void theSameBitsOnOneThreadOrSeveral() {
        java.util.Random r = new java.util.Random(12);
        INDArray du = rand(r, 3001, 8), x = rand(r, 3001, 192), a = rand(r, 8, 192);
        int saved = Par.threads();
        try {
            List<INDArray> grads = new ArrayList<>(), outs = new ArrayList<>();
            for (int threads : new int[]{1, 2, 3}) {
                Par.setThreads(threads);
                INDArray g = Nd4j.ones(DataType.FLOAT, 8, 192), u = Nd4j.create(DataType.FLOAT, 3001, 8);
                Gemm.mm(du, x, g, true, false, 1.0, 1.0);          // inner-dimension halves
                Gemm.mm(x, a, u, false, true, 1.0, 0.0);           // rows
                grads.add(g);
                outs.add(u);
            }
            for (int i = 1; i < 3; i++) {
                assertEquals(grads.get(0), grads.get(i), "the reduction's bits depend on the thread count");
                assertEquals(outs.get(0), outs.get(i), "the row pieces' bits depend on the thread count");
            }
        } finally {
            Par.setThreads(saved);
        }
    }

    private static INDArray rand(java.util.Random r, int rows, int cols) {
        float[] v = new float[rows * cols];
        for (int i = 0; i < v.length; i++) v[i] = (float) r.nextGaussian();
        return Nd4j.create(v, new long[]{rows, cols}, 'c');
    }
}
