package io.peft4j.ops;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Data parallelism for the engine's Java loops (element-wise kernels, softmax rows, norms, the
 * cross-entropy): splits {@code [0, n)} into at most {@link #threads()} contiguous parts, runs one in
 * the calling thread and the others on a small pool of daemon workers, and waits for all of them.
 *
 * <p>Every caller partitions work so that each output element is computed by exactly one part with
 * a fixed order of operations; reductions across parts use fixed-size blocks summed in order. Results
 * therefore do not depend on the thread count. Nested calls (from inside a part) run inline.
 *
 * <p>The thread count defaults to {@code OMP_NUM_THREADS} (else the number of cores), the same
 * setting the native BLAS follows; {@link #setThreads} changes it (the bench's {@code --threads}).
 */
public final class Par {
    private Par() {}

    /** A loop body over the half-open range {@code [from, to)}. */
    @FunctionalInterface
    public interface Body { void run(int from, int to); }

    private static volatile int threads = defaultThreads();
    private static ExecutorService pool;
    private static int poolSize;
    private static final ThreadLocal<Boolean> INSIDE = ThreadLocal.withInitial(() -> false);

    public static int defaultThreads() {
        try {
            String omp = System.getenv("OMP_NUM_THREADS");
            if (omp != null) return Math.max(1, Integer.parseInt(omp.trim()));
        } catch (NumberFormatException ignored) { }
        return Math.max(1, Runtime.getRuntime().availableProcessors());
    }

    /** Threads used by {@link #forRange} (>= 1). */
    public static int threads() { return threads; }

    /** Sets the number of threads for the engine's Java loops. @throws IllegalArgumentException if n < 1 */
    public static void setThreads(int n) {
        if (n < 1) throw new IllegalArgumentException("threads must be >= 1, got " + n);
        threads = n;
    }

    private static synchronized ExecutorService pool(int workers) {
        if (pool == null || poolSize < workers) {
            if (pool != null) pool.shutdown();
            poolSize = workers;
            pool = Executors.newFixedThreadPool(workers, r -> {
                Thread t = new Thread(() -> { INSIDE.set(true); r.run(); }, "peft4j-par");
                t.setDaemon(true);
                return t;
            });
        }
        return pool;
    }

    /**
     * Runs {@code body} over {@code [0, n)}: in parts of at least {@code grain} indices, at most one
     * per thread. Exceptions thrown by a part are rethrown here (after every part has finished).
     */
    public static void forRange(int n, int grain, Body body) {
        int parts = Math.min(threads, Math.max(1, (int) Math.min(Integer.MAX_VALUE, ((long) n + grain - 1) / Math.max(1, grain))));
        if (parts <= 1 || INSIDE.get()) { if (n > 0) body.run(0, n); return; }
        ExecutorService ex = pool(parts - 1);
        Future<?>[] fs = new Future<?>[parts - 1];
        for (int p = 1; p < parts; p++) {
            int from = (int) ((long) n * p / parts), to = (int) ((long) n * (p + 1) / parts);
            fs[p - 1] = ex.submit(() -> body.run(from, to));
        }
        Throwable err = null;
        INSIDE.set(true);
        try { body.run(0, (int) ((long) n / parts)); }
        catch (Throwable t) { err = t; }
        finally { INSIDE.set(false); }
        boolean interrupted = false;
        for (Future<?> f : fs) {
            while (true) {                       // wait for every part, even when interrupted: they write shared buffers
                try { f.get(); break; }
                catch (java.util.concurrent.ExecutionException e) { if (err == null) err = e.getCause(); break; }
                catch (InterruptedException e) { interrupted = true; }
            }
        }
        if (interrupted) Thread.currentThread().interrupt();
        if (err instanceof RuntimeException re) throw re;
        if (err instanceof Error er) throw er;
        if (err != null) throw new RuntimeException(err);
    }
}
