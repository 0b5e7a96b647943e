package io.peft4j.ops;

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
    public record Call(long[] a, long[] b, long[] c, boolean ta, boolean tb, double beta, boolean parallel) {
        public Call(long[] a, long[] b, long[] c, boolean ta, boolean tb, double beta) { this(a, b, c, ta, tb, beta, false); }
    }

    /** True while {@link #parallelSmall} runs (calls recorded then are replayed the same way). */
    private static volatile boolean inParallelSmall;

    private static volatile List<Call> log;

    public static void startRecording() { log = java.util.Collections.synchronizedList(new ArrayList<>()); }

    public static List<Call> stopRecording() { List<Call> l = log; log = null; return l == null ? List.of() : new ArrayList<>(l); }

    /** {@code c = alpha op(a) op(b) + beta c} for 2-D arrays (recorded when recording is on). */
    public static void mm(INDArray a, INDArray b, INDArray c, boolean ta, boolean tb, double alpha, double beta) {
        List<Call> l = log;
        if (l != null) l.add(new Call(a.shape(), b.shape(), c.shape(), ta, tb, beta));
        if (a.dataType() == DataType.FLOAT && b.dataType() == DataType.FLOAT && c.dataType() == DataType.FLOAT
            && a.rank() == 2 && b.rank() == 2 && c.rank() == 2 && c.stride(1) == 1 && c.size(1) > 0) {
            int la = ld(a), lb = ld(b);
            if (la > 0 && lb > 0) {
                // a row-major [r, k] with stride lda == column-major transposed; flip the flag when a is column-major
                boolean aT = ta ^ !rowMajor(a), bT = tb ^ !rowMajor(b);
                int m = (int) c.size(0), n = (int) c.size(1), k = (int) (ta ? a.size(0) : a.size(1));
                int ldc = (int) Math.max(c.stride(0), n);
                if (skinny(m, n, k)) skinnyProduct(ptr(a), aT, la, ptr(b), bT, lb, ptr(c), ldc, m, n, k, (float) alpha, (float) beta);
                else sgemm(ptr(a), 0, aT, la, ptr(b), 0, bT, lb, ptr(c), 0, ldc, m, n, k, (float) alpha, (float) beta);
                keepAlive(a, b, c);
                return;
            }
        }
        Nd4j.gemm(a, b, c, ta, tb, alpha, beta);
    }

    /** {@code -Dpeft4j.gemm.cutSkinny=false} turns the cut off (benchmarks compare both). */
    static final boolean CUT_SKINNY = !"false".equals(System.getProperty("peft4j.gemm.cutSkinny"));
    /** A product is skinny when one side is at most this wide (a LoRA adapter's rank, a few batch rows). */
    static final int SKINNY_WIDTH = 32;
    /**
     * Multiply-adds per call at or below which OpenBLAS 0.3.19 runs a product on the calling thread
     * (its {@code SMP_THRESHOLD_MIN * GEMM_MULTITHREAD_THRESHOLD} = 65536 * 4), with a margin.
     */
    static final long SINGLE_THREAD_WORK = 240_000;

    /** True for the products {@link #skinnyProduct} cuts: one side at most {@link #SKINNY_WIDTH} wide, more work than one single-threaded call. */
    static boolean skinny(int m, int n, int k) {
        return CUT_SKINNY && m > 1 && Math.min(m, Math.min(n, k)) <= SKINNY_WIDTH && (long) m * n * k > SINGLE_THREAD_WORK;
    }

    /**
     * A skinny product (LoRA's rank-r products: x A^T, u B^T, dy B, du A, and the gradients dy^T u,
     * du^T x that reduce over the N tokens) as pieces small enough that OpenBLAS runs each on the
     * thread that calls it, spread over the engine's threads ({@link Par}). OpenBLAS 0.3.19 hands
     * such shapes to its own worker threads, and waking them costs more than the product: measured on
     * the 2-core VM, LoRA's six products for a [3000, 192] -> 192 projection at r = 8 took ~1.25 ms as
     * one call each and ~0.66 ms cut (bench/gemm-skinny.jsh, docs/BENCHMARKS.md). The pieces depend
     * only on the shape: rows of C, columns of C (each element computed exactly as by one call), or
     * slices of the inner dimension, summed in two fixed halves (the first into C, the second into
     * scratch then added), so the result does not depend on the thread count.
     */
    static void skinnyProduct(FloatPointer a, boolean aT, int lda, FloatPointer b, boolean bT, int ldb,
                              FloatPointer c, int ldc, int m, int n, int k, float alpha, float beta) {
        if (k >= m && k >= n) {                                                  // slices of the inner dimension
            int step = (int) Math.max(1, SINGLE_THREAD_WORK / ((long) m * n));
            int slices = (k + step - 1) / step;
            if (slices < 2) { sgemm(a, 0, aT, lda, b, 0, bT, ldb, c, 0, ldc, m, n, k, alpha, beta); return; }
            // two fixed halves of the slices, whatever the thread count: the first accumulates into C,
            // the second into scratch that is then added to C (the same bits on 1 thread or 2)
            int half = (slices + 1) / 2;
            FloatPointer t = scratch((long) m * n);
            Par.forRange(2, 1, (from, to) -> {
                for (int g = from; g < to; g++) {
                    int s0 = g == 0 ? 0 : half, s1 = g == 0 ? half : slices;
                    for (int sl = s0; sl < s1; sl++) {
                        int k0 = sl * step;
                        long aOff = aT ? (long) k0 * lda : k0, bOff = bT ? k0 : (long) k0 * ldb;   // op(A) columns, op(B) rows from k0
                        if (g == 0) sgemm(a, aOff, aT, lda, b, bOff, bT, ldb, c, 0, ldc, m, n, Math.min(step, k - k0), alpha, sl == 0 ? beta : 1f);
                        else sgemm(a, aOff, aT, lda, b, bOff, bT, ldb, t, 0, n, m, n, Math.min(step, k - k0), alpha, sl == s0 ? 0f : 1f);
                    }
                }
            });
            if (ldc == n) cblas_saxpy(m * n, 1f, t, 1, c, 1);                          // C += scratch
            else for (int i = 0; i < m; i++)
                cblas_saxpy(n, 1f, new FloatPointer(t).position(t.position() + (long) i * n), 1,
                    new FloatPointer(c).position(c.position() + (long) i * ldc), 1);
        } else if (m >= n) {                                                     // rows of C and op(A)
            int step = (int) Math.max(1, SINGLE_THREAD_WORK / ((long) n * k));
            Par.forRange((m + step - 1) / step, 1, (from, to) -> {
                for (int p = from; p < to; p++) {
                    int r0 = p * step;
                    sgemm(a, aT ? r0 : (long) r0 * lda, aT, lda, b, 0, bT, ldb, c, (long) r0 * ldc, ldc, Math.min(step, m - r0), n, k, alpha, beta);
                }
            });
        } else {                                                                 // columns of C and op(B)
            int step = (int) Math.max(1, SINGLE_THREAD_WORK / ((long) m * k));
            Par.forRange((n + step - 1) / step, 1, (from, to) -> {
                for (int p = from; p < to; p++) {
                    int c0 = p * step;
                    sgemm(a, 0, aT, lda, b, bT ? (long) c0 * ldb : c0, bT, ldb, c, c0, ldc, m, Math.min(step, n - c0), k, alpha, beta);
                }
            });
        }
    }

    /** Per calling thread, native scratch for {@link #skinnyProduct}'s second half-sum (grown, never shrunk). */
    private static final ThreadLocal<FloatPointer[]> SCRATCH = ThreadLocal.withInitial(() -> new FloatPointer[1]);

    private static FloatPointer scratch(long floats) {
        FloatPointer[] h = SCRATCH.get();
        if (h[0] == null || h[0].capacity() < floats) {
            if (h[0] != null) h[0].close();
            h[0] = new FloatPointer(Math.max(1, floats));
        }
        return h[0];
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
    public static FloatPointer ptr(INDArray x) {
        org.bytedeco.javacpp.Pointer p = x.data().addressPointer();
        return p instanceof FloatPointer f ? f : new FloatPointer(p);
    }

    /**
     * Runs {@code body} over {@code [0, n)} with {@link Par}, OpenBLAS limited to one thread while it
     * runs: for many small independent products (attention's per-head GEMMs), one product per
     * thread beats every thread sharing each small product. Calls from one thread at a time.
     */
    public static void parallelSmall(int n, Par.Body body) {
        if (Par.threads() <= 1 || n <= 1) { body.run(0, Math.max(0, n)); return; }
        int blas = blasThreads();
        if (blas > 1) blas_set_num_threads(1);
        inParallelSmall = true;
        try { Par.forRange(n, 1, body); }
        finally {
            inParallelSmall = false;
            if (blas > 1) blas_set_num_threads(blas);
        }
    }

    private static volatile int blasThreads = -1;

    /** OpenBLAS's thread count (read once; a JNI call that costs more than a small product). */
    public static int blasThreads() {
        int t = blasThreads;
        if (t < 0) blasThreads = t = blas_get_num_threads();
        return t;
    }

    /** Sets OpenBLAS's thread count. @throws IllegalArgumentException if n < 1 */
    public static void setBlasThreads(int n) {
        if (n < 1) throw new IllegalArgumentException("BLAS threads must be >= 1, got " + n);
        blas_set_num_threads(n);
        blasThreads = n;
    }

    /**
     * Replays recorded calls on preallocated random arrays (2 runs, the faster counts); seconds. Runs of
     * calls recorded inside {@link #parallelSmall} are replayed the same way (one product per thread).
     */
    public static double replay(List<Call> calls) {
        java.util.Map<String, INDArray> pool = new java.util.HashMap<>();
        INDArray[][] abc = new INDArray[calls.size()][];
        for (int i = 0; i < calls.size(); i++) {
            Call k = calls.get(i);
            abc[i] = new INDArray[]{
                pool.computeIfAbsent("a" + java.util.Arrays.toString(k.a()), s -> Nd4j.rand(DataType.FLOAT, k.a())),
                pool.computeIfAbsent("b" + java.util.Arrays.toString(k.b()), s -> Nd4j.rand(DataType.FLOAT, k.b())),
                pool.computeIfAbsent("c" + java.util.Arrays.toString(k.c()), s -> Nd4j.zeros(DataType.FLOAT, k.c()))};
        }
        List<Call> saved = log;
        log = null;
        double best = Double.MAX_VALUE;
        try {
            for (int rep = 0; rep < 2; rep++) {
                long t0 = System.nanoTime();
                for (int i = 0; i < calls.size(); ) {
                    int j = i + 1;
                    if (calls.get(i).parallel()) {
                        while (j < calls.size() && calls.get(j).parallel()) j++;
                        int first = i;
                        parallelSmall(j - i, (from, to) -> {
                            for (int x = first + from; x < first + to; x++) replayOne(calls.get(x), abc[x]);
                        });
                    } else replayOne(calls.get(i), abc[i]);
                    i = j;
                }
                best = Math.min(best, (System.nanoTime() - t0) / 1e9);
            }
        } finally { log = saved; }
        return best;
    }

    private static void replayOne(Call k, INDArray[] abc) { mm(abc[0], abc[1], abc[2], k.ta(), k.tb(), 1.0, k.beta()); }

    /**
     * Replays recorded calls grouped by shape and flags and returns one line per group, slowest first:
     * total seconds, calls, GFLOP/s. A profile of where a step's GEMM time goes.
     */
    public static List<String> profile(List<Call> calls) {
        java.util.Map<String, List<Call>> groups = new java.util.LinkedHashMap<>();
        for (Call k : calls)
            groups.computeIfAbsent(java.util.Arrays.toString(k.a()) + (k.ta() ? "T" : "") + " x " + java.util.Arrays.toString(k.b())
                + (k.tb() ? "T" : "") + (k.beta() != 0 ? " +=" : "") + (k.parallel() ? " (per head, in parallel)" : ""), x -> new ArrayList<>()).add(k);
        List<double[]> rows = new ArrayList<>();
        List<String> names = new ArrayList<>(groups.keySet());
        for (String name : names) {
            List<Call> g = groups.get(name);
            replay(g);                       // warm
            double s = replay(g);
            Call k = g.get(0);
            double flop = 2.0 * k.c()[0] * k.c()[1] * (k.ta() ? k.a()[0] : k.a()[1]) * g.size();
            rows.add(new double[]{s, g.size(), flop / s / 1e9, rows.size()});
        }
        rows.sort((x, y) -> Double.compare(y[0], x[0]));
        List<String> out = new ArrayList<>();
        for (double[] r : rows)
            out.add(String.format(java.util.Locale.ROOT, "%8.4f s %6d calls %7.1f GFLOP/s  %s", r[0], (int) r[1], r[2], names.get((int) r[3])));
        return out;
    }

    /** Floating-point operations of the recorded calls (2 m n k each). */
    public static double flops(List<Call> calls) {
        double f = 0;
        for (Call k : calls) f += 2.0 * k.c()[0] * k.c()[1] * (k.ta() ? k.a()[0] : k.a()[1]);
        return f;
    }

    /**
     * Row-major {@code C[m, n] = alpha op(A) op(B) + beta C} on float32 storage addressed by base
     * pointer plus element offset; {@code op(A)} is [m, k], {@code op(B)} is [k, n].
     */
    public static void sgemm(FloatPointer a, long aOff, boolean ta, int lda, FloatPointer b, long bOff, boolean tb, int ldb,
                      FloatPointer c, long cOff, int ldc, int m, int n, int k, float alpha, float beta) {
        FloatPointer pa = new FloatPointer(a).position(a.position() + aOff);
        FloatPointer pb = new FloatPointer(b).position(b.position() + bOff);
        FloatPointer pc = new FloatPointer(c).position(c.position() + cOff);
        if (m == 1 && n > 1 && k > 1) {
            // one row (a decode step at batch 1): a matrix-vector product. OpenBLAS 0.3.19's sgemm packs the
            // whole of B for it (for the LM head, 66 MB written per token); sgemv only reads B once.
            // C = alpha a op(B) + beta C  <=>  C^T = alpha op(B)^T a^T + beta C^T
            if (beta == 0f) pc.limit(pc.position() + n).zero();     // uninitialised C: 0 * NaN must not survive
            int incx = ta ? lda : 1;
            if (tb) cblas_sgemv(CblasRowMajor, CblasNoTrans, n, k, alpha, pb, ldb, pa, incx, beta, pc, 1);   // B [n, k]
            else cblas_sgemv(CblasRowMajor, CblasTrans, k, n, alpha, pb, ldb, pa, incx, beta, pc, 1);        // B [k, n]
            return;
        }
        cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, m, n, k,
            alpha, pa, lda, pb, ldb, beta, pc, ldc);
    }

    /**
     * Products of sub-matrices of contiguous float32 (or, all three, float64) arrays, addressed by
     * element offsets (recorded like {@link #mm}). {@code op(A)} [m, k], {@code op(B)} [k, n], {@code C} [m, n] with leading dimensions given.
     */
    public static void raw(INDArray a, long aOff, boolean ta, int lda, INDArray b, long bOff, boolean tb, int ldb,
                    INDArray c, long cOff, int ldc, int m, int n, int k, double alpha, double beta) {
        List<Call> l = log;
        if (l != null) l.add(new Call(ta ? new long[]{k, m} : new long[]{m, k}, tb ? new long[]{n, k} : new long[]{k, n},
            new long[]{m, n}, ta, tb, beta, inParallelSmall));
        if (c.dataType() == DataType.DOUBLE) {                    // float64 (gradient checks): cblas_dgemm on the same layout
            if (a.dataType() != DataType.DOUBLE || b.dataType() != DataType.DOUBLE)
                throw new IllegalArgumentException("Gemm.raw: mixed types " + a.dataType() + ", " + b.dataType() + ", " + c.dataType());
            cblas_dgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, m, n, k,
                alpha, dptr(a, aOff), lda, dptr(b, bOff), ldb, beta, dptr(c, cOff), ldc);
            keepAlive(a, b, c);
            return;
        }
        sgemm(ptr(a), aOff, ta, lda, ptr(b), bOff, tb, ldb, ptr(c), cOff, ldc,
            m, n, k, (float) alpha, (float) beta);
        keepAlive(a, b, c);
    }

    /**
     * Keeps the arrays reachable until the native product that reads their memory has returned: the
     * raw pointers do not hold the buffers, and an array the caller no longer uses could otherwise be
     * collected (its native memory freed) while OpenBLAS, or a {@link Par} worker running a piece of a
     * cut product, still reads it. A JVM crash in GemmSkinnyTest showed it (a freed input, SIGSEGV
     * in OpenBLAS's packing routine on a worker thread).
     */
    private static void keepAlive(INDArray a, INDArray b, INDArray c) {
        java.lang.ref.Reference.reachabilityFence(a);
        java.lang.ref.Reference.reachabilityFence(b);
        java.lang.ref.Reference.reachabilityFence(c);
    }

    private static org.bytedeco.javacpp.DoublePointer dptr(INDArray x, long off) {
        org.bytedeco.javacpp.Pointer p = x.data().addressPointer();
        org.bytedeco.javacpp.DoublePointer d = p instanceof org.bytedeco.javacpp.DoublePointer dp ? dp : new org.bytedeco.javacpp.DoublePointer(p);
        return new org.bytedeco.javacpp.DoublePointer(d).position(d.position() + off);
    }
}
