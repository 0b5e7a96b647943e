package io.peft4j.peft;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The matrix decompositions behind the weight-derived LoRA initialisations, in double precision:
 * <ul>
 *   <li>{@link #qr}: the first k Householder reflections of LAPACK's {@code geqrf}/{@code orgqr}, so
 *       Q and R come with LAPACK's signs (R's diagonal has the opposite sign of each pivot), the
 *       ones {@code torch.linalg.qr} returns (OLoRA);</li>
 *   <li>{@link #top}: the k largest singular triplets (PiSSA), from the symmetric eigenproblem of
 *       the smaller Gram matrix (LAPACK {@code syev} through ND4J), which needs memory for that
 *       Gram matrix only, not for a full U and V;</li>
 *   <li>{@link #lowRank}: {@code torch.svd_lowrank} (Halko et al. 2009, algorithm 5.1 with
 *       {@code niter} subspace iterations) given its Gaussian test matrix (PiSSA with
 *       {@code pissa_niter_N}).</li>
 * </ul>
 * Singular vectors are unique up to a common sign per triplet (u_k, v_k); nothing here fixes that
 * sign, so results agree with torch's up to that sign (their products U diag(S) V^T agree).
 */
final class LowRank {
    private LowRank() {}

    /** Q [m, k] with orthonormal columns and R [k, n] upper trapezoidal, the first k rows of A = Q R. */
    record Qr(double[][] q, double[][] r) {}

    /** A ≈ U diag(S) V^T: u [m, k], s [k] descending, v [n, k]. */
    record Svd(double[][] u, double[] s, double[][] v) {}

    static double[][] toDoubles(INDArray a) {
        if (a.rank() != 2) throw new IllegalArgumentException("expected a matrix, got shape " + java.util.Arrays.toString(a.shape()));
        int m = (int) a.size(0), n = (int) a.size(1);
        double[] flat = a.castTo(DataType.DOUBLE).dup('c').data().asDouble();
        double[][] out = new double[m][n];
        for (int i = 0; i < m; i++) System.arraycopy(flat, i * n, out[i], 0, n);
        return out;
    }

    static INDArray toFloats(double[][] a) {
        int m = a.length, n = m == 0 ? 0 : a[0].length;
        float[] f = new float[m * n];
        for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) f[i * n + j] = (float) a[i][j];
        return Nd4j.create(f, new long[]{m, n}, 'c');
    }

    /**
     * The first {@code k} steps of Householder QR, as LAPACK's {@code dgeqr2} (reflectors from
     * {@code dlarfg}) and {@code dorg2r}: Q[:, :k] and R[:k, :] of A = Q R.
     *
     * @param a [m, n], not modified
     * @param k 1 <= k <= min(m, n)
     */
    static Qr qr(double[][] a, int k) {
        int m = a.length, n = a[0].length;
        if (k < 1 || k > Math.min(m, n)) throw new IllegalArgumentException("QR rank " + k + " is invalid for a " + m + " x " + n + " matrix: allowed 1.." + Math.min(m, n));
        double[][] w = new double[m][];
        for (int i = 0; i < m; i++) w[i] = a[i].clone();
        double[] tau = new double[k];
        double[] dots = new double[n];
        for (int j = 0; j < k; j++) {
            double alpha = w[j][j], xnorm = 0;
            for (int i = j + 1; i < m; i++) xnorm = Math.hypot(xnorm, w[i][j]);
            if (xnorm == 0) { tau[j] = 0; continue; }           // H = I: the column is already reduced
            double beta = -Math.copySign(Math.hypot(alpha, xnorm), alpha);
            tau[j] = (beta - alpha) / beta;
            double scale = 1.0 / (alpha - beta);
            for (int i = j + 1; i < m; i++) w[i][j] *= scale;      // v below the diagonal (v_j = 1)
            w[j][j] = beta;
            // trailing columns: A -= tau v (v^T A), computed row by row
            for (int c = j + 1; c < n; c++) dots[c] = w[j][c];
            for (int i = j + 1; i < m; i++) { double vi = w[i][j]; if (vi != 0) for (int c = j + 1; c < n; c++) dots[c] += vi * w[i][c]; }
            double t = tau[j];
            for (int c = j + 1; c < n; c++) w[j][c] -= t * dots[c];
            for (int i = j + 1; i < m; i++) { double f = t * w[i][j]; if (f != 0) for (int c = j + 1; c < n; c++) w[i][c] -= f * dots[c]; }
        }
        double[][] r = new double[k][n];
        for (int i = 0; i < k; i++) for (int c = i; c < n; c++) r[i][c] = w[i][c];
        // Q[:, :k] = H_0 ... H_{k-1} I[:, :k], accumulated backwards as dorg2r does
        double[][] q = new double[m][k];
        for (int i = 0; i < k; i++) q[i][i] = 1;
        double[] qd = new double[k];
        for (int j = k - 1; j >= 0; j--) {
            double t = tau[j];
            if (t == 0) continue;
            java.util.Arrays.fill(qd, 0);
            for (int c = j; c < k; c++) qd[c] = q[j][c];
            for (int i = j + 1; i < m; i++) { double vi = w[i][j]; if (vi != 0) for (int c = j; c < k; c++) qd[c] += vi * q[i][c]; }
            for (int c = j; c < k; c++) q[j][c] -= t * qd[c];
            for (int i = j + 1; i < m; i++) { double f = t * w[i][j]; if (f != 0) for (int c = j; c < k; c++) q[i][c] -= f * qd[c]; }
        }
        return new Qr(q, r);
    }

    /** The k largest singular triplets of {@code a} [m, n] (1 <= k <= min(m, n)). */
    static Svd top(double[][] a, int k) {
        int m = a.length, n = a[0].length, p = Math.min(m, n);
        if (k < 1 || k > p) throw new IllegalArgumentException("SVD rank " + k + " is invalid for a " + m + " x " + n + " matrix: allowed 1.." + p);
        INDArray x = Nd4j.create(a);                                  // DOUBLE, [m, n]
        boolean wide = m <= n;
        INDArray g = wide ? x.mmul(x.transpose()) : x.transpose().mmul(x);   // [p, p]
        g = g.add(g.transpose()).muli(0.5).dup('f');                  // exactly symmetric for syev
        INDArray vals = Nd4j.create(DataType.DOUBLE, p);
        int status = Nd4j.getBlasWrapper().lapack().syev('V', 'U', g, vals);
        if (status != 0) throw new ArithmeticException("the symmetric eigensolver (LAPACK syev) failed with status " + status + " on a " + p + " x " + p + " Gram matrix");
        double[] s = new double[k];
        double[][] side = new double[p][k];                           // eigenvectors of the k largest eigenvalues
        for (int c = 0; c < k; c++) {
            int col = p - 1 - c;                                      // syev: ascending
            s[c] = Math.sqrt(Math.max(0, vals.getDouble(col)));
            for (int i = 0; i < p; i++) side[i][c] = g.getDouble(i, col);
        }
        // the other side: (A^T u) / s or (A v) / s
        double[][] other = wide ? new double[n][k] : new double[m][k];
        for (int c = 0; c < k; c++) {
            if (!(s[c] > 1e-300)) continue;                           // a zero singular value: its vector never matters (scaled by 0)
            double inv = 1.0 / s[c];
            if (wide) {
                for (int j = 0; j < n; j++) { double acc = 0; for (int i = 0; i < m; i++) acc += a[i][j] * side[i][c]; other[j][c] = acc * inv; }
            } else {
                for (int i = 0; i < m; i++) { double acc = 0; double[] row = a[i]; for (int j = 0; j < n; j++) acc += row[j] * side[j][c]; other[i][c] = acc * inv; }
            }
        }
        return wide ? new Svd(side, s, other) : new Svd(other, s, side);
    }

    /**
     * {@code torch.svd_lowrank(a, q, niter)} with the Gaussian test matrix {@code sketch} that torch
     * would draw: [min(m, n), q] (torch transposes a wide matrix first and draws for the tall one).
     */
    static Svd lowRank(double[][] a, int q, int niter, double[][] sketch) {
        int m = a.length, n = a[0].length;
        if (niter < 0) throw new IllegalArgumentException("niter = " + niter + " is invalid: allowed >= 0");
        if (q < 1 || q > Math.min(m, n)) throw new IllegalArgumentException("rank " + q + " is invalid for a " + m + " x " + n + " matrix: allowed 1.." + Math.min(m, n));
        boolean transpose = m < n;
        double[][] t = transpose ? transpose(a) : a;                  // tall: [M, N], M >= N
        int big = t[0].length;
        if (sketch.length != big || sketch[0].length != q)
            throw new IllegalArgumentException("the test matrix must be [" + big + ", " + q + "], got [" + sketch.length + ", " + sketch[0].length + "]");
        double[][] tt = transpose(t);
        double[][] qm = qr(mul(t, sketch), q).q();
        for (int i = 0; i < niter; i++) {
            qm = qr(mul(tt, qm), q).q();
            qm = qr(mul(t, qm), q).q();
        }
        double[][] b = mul(transpose(qm), t);                        // [q, N]
        Svd small = top(b, q);
        double[][] u = mul(qm, small.u());                            // [M, q]
        return transpose ? new Svd(small.v(), small.s(), u) : new Svd(u, small.s(), small.v());
    }

    static double[][] transpose(double[][] a) {
        int m = a.length, n = a[0].length;
        double[][] t = new double[n][m];
        for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) t[j][i] = a[i][j];
        return t;
    }

    /** a [m, k] x b [k, n] in double (ND4J's dgemm). */
    static double[][] mul(double[][] a, double[][] b) {
        return Nd4j.create(a).mmul(Nd4j.create(b)).toDoubleMatrix();
    }
}
