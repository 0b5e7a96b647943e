package io.peft4j.ops;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

/**
 * Data parallelism for the engine's Java loops (element-wise kernels, softmax rows, norms, the
 * cross-entropy): splits {@code [0, n)} into at most {@link #threads()} contiguous parts, runs one in
 * the calling thread and the others on a small pool of daemon workers, and waits for all of them.
 * Idle workers spin briefly before they park, and the caller spins for them ({@link #SPIN_NANOS}).
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
    private static final ThreadLocal<Boolean> INSIDE = ThreadLocal.withInitial(() -> false);

    /**
     * How long an idle worker spins for the next part before it parks, and how long a caller spins
     * for its workers before it yields. The engine's parallel loops come back to back (a step runs
     * hundreds), and on the virtual machines measured here waking a parked thread whose core went
     * idle cost more than many of the loops themselves (docs/BENCHMARKS.md); a short spin keeps the
     * worker awake between them and parks it once the engine stops calling.
     */
    static final long SPIN_NANOS = Long.getLong("peft4j.par.spinNanos", 50_000);   // 0: park at once (benchmarks compare)

    /** One pool worker: a part is posted in {@link #part}, the worker runs it and clears it. */
    private static final class Worker extends Thread {
        volatile Runnable part;
        volatile Throwable failure;

        Worker(int i) { super("peft4j-par-" + i); setDaemon(true); }

        @Override public void run() {
            INSIDE.set(true);
            while (true) {
                Runnable r = await();
                try { r.run(); } catch (Throwable t) { failure = t; }
                part = null;                                       // publishes the part's writes to the caller
            }
        }

        private Runnable await() {
            long start = System.nanoTime();
            int spins = 0;
            Runnable r;
            while ((r = part) == null) {
                if ((++spins & 63) == 0 && System.nanoTime() - start > SPIN_NANOS) LockSupport.park(this);
                else Thread.onSpinWait();
            }
            return r;
        }
    }

    private static Worker[] workers = new Worker[0];
    /** Held by the one caller that uses the workers; a concurrent caller runs its loop on its own thread. */
    private static final AtomicBoolean BUSY = new AtomicBoolean();

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

    /** At least {@code n} workers (called with {@link #BUSY} held). */
    private static Worker[] workers(int n) {
        if (workers.length < n) {
            Worker[] w = java.util.Arrays.copyOf(workers, n);
            for (int i = workers.length; i < n; i++) { w[i] = new Worker(i + 1); w[i].start(); }
            workers = w;
        }
        return workers;
    }

    /**
     * Runs {@code body} over {@code [0, n)}: in parts of at least {@code grain} indices, at most one
     * per thread. Exceptions thrown by a part are rethrown here (after every part has finished).
     */
    public static void forRange(int n, int grain, Body body) {
        int parts = Math.min(threads, Math.max(1, (int) Math.min(Integer.MAX_VALUE, ((long) n + grain - 1) / Math.max(1, grain))));
        if (parts <= 1 || INSIDE.get() || !BUSY.compareAndSet(false, true)) { if (n > 0) body.run(0, n); return; }
        try {
            Worker[] ws = workers(parts - 1);
            for (int p = 1; p < parts; p++) {
                int from = (int) ((long) n * p / parts), to = (int) ((long) n * (p + 1) / parts);
                Worker w = ws[p - 1];
                w.failure = null;
                w.part = () -> body.run(from, to);
                LockSupport.unpark(w);
            }
            Throwable err = null;
            INSIDE.set(true);
            try { body.run(0, (int) ((long) n / parts)); }
            catch (Throwable t) { err = t; }
            finally { INSIDE.set(false); }
            for (int p = 1; p < parts; p++) {                  // wait for every part: they write shared buffers
                Worker w = ws[p - 1];
                long start = System.nanoTime();
                int spins = 0;
                while (w.part != null) {
                    if ((++spins & 63) == 0 && System.nanoTime() - start > SPIN_NANOS) Thread.yield();
                    else Thread.onSpinWait();
                }
                if (err == null) err = w.failure;
            }
            if (err instanceof RuntimeException re) throw re;
            if (err instanceof Error er) throw er;
            if (err != null) throw new RuntimeException(err);
        } finally {
            BUSY.set(false);
        }
    }
}
