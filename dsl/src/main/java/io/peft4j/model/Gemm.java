package io.peft4j.model;

import org.bytedeco.javacpp.FloatPointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.ArrayList;
import java.util.List;

import static org.bytedeco.openblas.global.openblas_nolapack.*;

/**
 * Every matrix product of the model goes through here ({@code c = alpha op(a) op(b) + beta c}), so a
 * benchmark can record the exact sequence of GEMMs of a step and time it alone. Recording is off
 * unless {@link #startRecording()} is called (a single volatile read).
 *
 * <p>Float32 products of 2-D arrays with a unit stride in one dimension call OpenBLAS's
 * {@code cblas_sgemm} directly on the arrays' native storage (the same library ND4J loads):
 * measured here, 64 per-head 128x128x32 products take ~1.2 ms this way and 10-20 ms through
 * {@link Nd4j#gemm} (whose per-call validation and op dispatch dominate small products). Other
 * types and layouts go through {@link Nd4j#gemm}. {@link #raw} multiplies sub-matrices addressed by
 * offsets into contiguous buffers without creating view objects (attention's per-head products).
 */
public final class Gemm {
    private Gemm() {}

    /** One recorded call: shapes of a, b, c and the flags. */
    public record Call(long[] a, long[] b, long[] c, boolean ta, boolean tb, double beta) {}

    private static volatile List<Call> log;

    public static void startRecording() { log = new ArrayList<>(); }

    public static List<Call> stopRecording() { List<Call> l = log; log = null; return l == null ? List.of() : l; }

    static void mm(INDArray a, INDArray b, INDArray c, boolean ta, boolean tb, double alpha, double beta) {
        List<Call> l = log;
        if (l != null) l.add(new Call(a.shape(), b.shape(), c.shape(), ta, tb, beta));
        if (a.dataType() == DataType.FLOAT && b.dataType() == DataType.FLOAT && c.dataType() == DataType.FLOAT
            && a.rank() == 2 && b.rank() == 2 && c.rank() == 2 && c.stride(1) == 1 && c.size(1) > 0) {
            int la = ld(a), lb = ld(b);
            if (la > 0 && lb > 0) {
                // a row-major [r, k] with stride lda == column-major transposed; flip the flag when a is column-major
                boolean aT = ta ^ !rowMajor(a), bT = tb ^ !rowMajor(b);
                int m = (int) c.size(0), n = (int) c.size(1), k = (int) (ta ? a.size(0) : a.size(1));
                sgemm(ptr(a), 0, aT, la, ptr(b), 0, bT, lb, ptr(c), 0, (int) Math.max(c.stride(0), n),
                    m, n, k, (float) alpha, (float) beta);
                return;
            }
        }
        Nd4j.gemm(a, b, c, ta, tb, alpha, beta);
    }

    private static boolean rowMajor(INDArray x) {
        return x.stride(1) == 1 && (x.stride(0) >= x.size(1) || x.size(0) == 1);
    }

    /** Leading dimension of a 2-D float array as BLAS sees it (row- or column-major), or -1 if neither. */
    private static int ld(INDArray x) {
        long r = x.size(0), cols = x.size(1), s0 = x.stride(0), s1 = x.stride(1);
        if (rowMajor(x)) return (int) Math.max(s0, Math.max(cols, 1));
        if (s0 == 1 && (s1 >= r || cols == 1)) return (int) Math.max(s1, Math.max(r, 1));
        return -1;
    }

    /** Native address of the array's first element (ND4J's addressPointer already includes a view's offset). */
    static FloatPointer ptr(INDArray x) {
        org.bytedeco.javacpp.Pointer p = x.data().addressPointer();
        return p instanceof FloatPointer f ? f : new FloatPointer(p);
    }

    /**
     * Row-major {@code C[m, n] = alpha op(A) op(B) + beta C} on float32 storage addressed by base
     * pointer plus element offset; {@code op(A)} is [m, k], {@code op(B)} is [k, n].
     */
    static void sgemm(FloatPointer a, long aOff, boolean ta, int lda, FloatPointer b, long bOff, boolean tb, int ldb,
                      FloatPointer c, long cOff, int ldc, int m, int n, int k, float alpha, float beta) {
        FloatPointer pa = new FloatPointer(a).position(a.position() + aOff);
        FloatPointer pb = new FloatPointer(b).position(b.position() + bOff);
        FloatPointer pc = new FloatPointer(c).position(c.position() + cOff);
        cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, m, n, k,
            alpha, pa, lda, pb, ldb, beta, pc, ldc);
    }

    /**
     * Products of sub-matrices of contiguous float32 arrays, addressed by element offsets (recorded like
     * {@link #mm}). {@code op(A)} [m, k], {@code op(B)} [k, n], {@code C} [m, n] with leading dimensions given.
     */
    static void raw(INDArray a, long aOff, boolean ta, int lda, INDArray b, long bOff, boolean tb, int ldb,
                    INDArray c, long cOff, int ldc, int m, int n, int k, double alpha, double beta) {
        List<Call> l = log;
        if (l != null) l.add(new Call(ta ? new long[]{k, m} : new long[]{m, k}, tb ? new long[]{n, k} : new long[]{k, n},
            new long[]{m, n}, ta, tb, beta));
        sgemm(ptr(a), aOff, ta, lda, ptr(b), bOff, tb, ldb, ptr(c), cOff, ldc,
            m, n, k, (float) alpha, (float) beta);
    }
}
