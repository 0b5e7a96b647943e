package io.peft4j.peft;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

/** The decompositions behind OLoRA and PiSSA: Householder QR with LAPACK's signs, top-k SVD, torch's svd_lowrank. */
class LowRankTest {

    static double[][] random(int m, int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        double[][] a = new double[m][n];
        for (double[] row : a) for (int j = 0; j < n; j++) row[j] = r.nextGaussian();
        return a;
    }

    static double maxAbs(double[][] a, double[][] b) {
        double d = 0;
        for (int i = 0; i < a.length; i++) for (int j = 0; j < a[0].length; j++) d = Math.max(d, Math.abs(a[i][j] - b[i][j]));
        return d;
    }

    @ParameterizedTest(name = "{0} x {1}")
    @CsvSource({"7,4", "4,7", "5,5"})
    void qrReconstructsWithOrthonormalQAndLapacksSigns(int m, int n) {
        double[][] a = random(m, n, 1);
        int p = Math.min(m, n);
        LowRank.Qr full = LowRank.qr(a, p);
        assertEquals(0, maxAbs(LowRank.mul(full.q(), full.r()), a), 1e-12, "A = Q R");
        assertEquals(0, maxAbs(LowRank.mul(LowRank.transpose(full.q()), full.q()), identity(p)), 1e-12, "Q^T Q = I");
        for (int i = 0; i < p; i++) for (int j = 0; j < i; j++) assertEquals(0.0, full.r()[i][j], "R upper triangular");
        // LAPACK's dgeqrf (through ND4J, tall case): the same Q and R, signs included
        if (m >= n) {
            INDArray qa = Nd4j.create(a).castTo(DataType.DOUBLE).dup('f'), r = Nd4j.create(DataType.DOUBLE, new long[]{n, n}, 'f');
            Nd4j.getBlasWrapper().lapack().geqrf(qa, r);
            assertEquals(0, maxAbs(full.q(), qa.toDoubleMatrix()), 1e-12, "Q as LAPACK's");
            assertEquals(0, maxAbs(full.r(), r.toDoubleMatrix()), 1e-12, "R as LAPACK's");
        }
        // the first k steps give the first k columns of Q and rows of R
        LowRank.Qr two = LowRank.qr(a, 2);
        for (int i = 0; i < m; i++) for (int j = 0; j < 2; j++) assertEquals(full.q()[i][j], two.q()[i][j], 1e-12);
        for (int i = 0; i < 2; i++) for (int j = 0; j < n; j++) assertEquals(full.r()[i][j], two.r()[i][j], 1e-12);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LowRank.qr(a, p + 1));
        assertTrue(e.getMessage().contains(String.valueOf(p + 1)) && e.getMessage().contains("1.." + p), e.getMessage());
    }

    static double[][] identity(int n) {
        double[][] i = new double[n][n];
        for (int k = 0; k < n; k++) i[k][k] = 1;
        return i;
    }

    @ParameterizedTest(name = "{0} x {1}")
    @CsvSource({"9,5", "5,9"})
    void topSingularTripletsAgreeWithLapack(int m, int n) {
        double[][] a = random(m, n, 2);
        LowRank.Svd top = LowRank.top(a, 3);
        INDArray x = Nd4j.create(a).castTo(DataType.DOUBLE).dup('f');
        INDArray s = Nd4j.create(DataType.DOUBLE, Math.min(m, n)), u = Nd4j.create(DataType.DOUBLE, new long[]{m, m}, 'f'),
            vt = Nd4j.create(DataType.DOUBLE, new long[]{n, n}, 'f');
        Nd4j.getBlasWrapper().lapack().gesvd(x, s, u, vt);
        for (int k = 0; k < 3; k++) {
            assertEquals(s.getDouble(k), top.s()[k], 1e-10, "singular value " + k);
            double sign = Math.signum(dot(column(top.u(), k), u.getColumn(k).toDoubleVector()));
            for (int i = 0; i < m; i++) assertEquals(u.getDouble(i, k), sign * top.u()[i][k], 1e-9, "u[" + i + "][" + k + "]");
            for (int j = 0; j < n; j++) assertEquals(vt.getDouble(k, j), sign * top.v()[j][k], 1e-9, "v[" + j + "][" + k + "]");
        }
    }

    @Test
    void randomisedSvdIsExactOnAMatrixOfThatRank() {
        // a 12 x 20 matrix of rank 3: any Gaussian test matrix spans its column space, so svd_lowrank(q = 3) is its SVD
        double[][] a = LowRank.mul(random(12, 3, 3), random(3, 20, 4));
        LowRank.Svd exact = LowRank.top(a, 3);
        for (int niter : new int[]{0, 2}) {
            LowRank.Svd approx = LowRank.lowRank(a, 3, niter, random(12, 3, 5));
            for (int k = 0; k < 3; k++) assertEquals(exact.s()[k], approx.s()[k], 1e-9 * exact.s()[0]);
            double[][] rebuilt = new double[12][20];
            for (int i = 0; i < 12; i++) for (int j = 0; j < 20; j++)
                for (int k = 0; k < 3; k++) rebuilt[i][j] += approx.u()[i][k] * approx.s()[k] * approx.v()[j][k];
            assertEquals(0, maxAbs(rebuilt, a), 1e-9, "U S V^T = A (niter " + niter + ")");
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LowRank.lowRank(a, 3, 1, random(20, 3, 5)));
        assertTrue(e.getMessage().contains("[12, 3]"), "the test matrix is [min(m, n), q]: " + e.getMessage());
    }

    static double[] column(double[][] a, int k) {
        double[] c = new double[a.length];
        for (int i = 0; i < a.length; i++) c[i] = a[i][k];
        return c;
    }

    static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += a[i] * b[i];
        return s;
    }
}
