package io.peft4j.peft;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Arrays;

/**
 * The best rank-k factorisation {@code W ≈ B A} of a matrix, as PEFT's {@code *_svd} combinations
 * take it: {@code U, S, Vh = svd(W)}, {@code B = U[:, :k] diag(S[:k])} [m, k], {@code A = Vh[:k]}
 * [k, n]; optionally both clamped to {@code [-q, q]} with q the {@code clamp} quantile of their
 * values together ({@code svd_clamp}). Computed in double precision with LAPACK's {@code gesvd}.
 *
 * <p>Singular vectors are unique only up to a common sign per pair, so B and A may differ from
 * torch's by such signs; B A does not (clamping does depend on them, as it does in PEFT).
 */
final class TruncatedSvd {
    private TruncatedSvd() {}

    /** B [m, k] and A [k, n] as row-major doubles; rows past the matrix's rank min(m, n) are zero. */
    record Factors(double[] b, double[] a, int m, int n, int k) {}

    /** @param w [m, n] row-major */
    static Factors of(double[] w, int m, int n, int k, Double clamp) {
        if (w.length != (long) m * n) throw new IllegalArgumentException("a " + m + " x " + n + " matrix needs " + (long) m * n + " values, got " + w.length);
        if (k < 1) throw new IllegalArgumentException("rank k = " + k + " is invalid: allowed >= 1");
        int p = Math.min(m, n), kk = Math.min(k, p);
        INDArray a = Nd4j.create(w, new long[]{m, n}, 'c').dup('f');
        INDArray s = Nd4j.create(DataType.DOUBLE, p);
        INDArray u = Nd4j.create(DataType.DOUBLE, new long[]{m, m}, 'f');
        INDArray vt = Nd4j.create(DataType.DOUBLE, new long[]{n, n}, 'f');
        Nd4j.getBlasWrapper().lapack().gesvd(a, s, u, vt);
        double[] b = new double[m * k], f = new double[k * n];
        for (int c = 0; c < kk; c++) {
            double sv = s.getDouble(c);
            for (int i = 0; i < m; i++) b[i * k + c] = u.getDouble(i, c) * sv;
            for (int j = 0; j < n; j++) f[c * n + j] = vt.getDouble(c, j);
        }
        if (clamp != null) {
            double[] all = new double[m * kk + kk * n];
            int t = 0;
            for (int i = 0; i < m; i++) for (int c = 0; c < kk; c++) all[t++] = b[i * k + c];
            for (int c = 0; c < kk; c++) for (int j = 0; j < n; j++) all[t++] = f[c * n + j];
            double hi = quantile(all, clamp), lo = -hi;
            for (int i = 0; i < b.length; i++) b[i] = Math.min(hi, Math.max(lo, b[i]));
            for (int i = 0; i < f.length; i++) f[i] = Math.min(hi, Math.max(lo, f[i]));
        }
        return new Factors(b, f, m, n, k);
    }

    /** {@code torch.quantile(v, q)} (linear interpolation between the two nearest order statistics). */
    static double quantile(double[] v, double q) {
        double[] s = v.clone();
        Arrays.sort(s);
        double pos = q * (s.length - 1);
        int lo = (int) Math.floor(pos), hi = (int) Math.ceil(pos);
        return s[lo] + (s[hi] - s[lo]) * (pos - lo);
    }
}
