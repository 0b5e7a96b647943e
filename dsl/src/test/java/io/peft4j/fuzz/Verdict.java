package io.peft4j.fuzz;

import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * The fuzzing property: a load either succeeds or throws one of the documented exception types
 * with a message naming the file; never another exception, never an Error (OutOfMemoryError,
 * StackOverflowError), never a hang (each load runs on a worker thread with a time limit).
 * Counts loads and rejections per target for the summary line.
 */
final class Verdict {
    private Verdict() {}

    /** Seconds one load may take before it counts as a hang. */
    static final long LIMIT_S = Long.getLong("peft4j.fuzz.limit", 20);

    private static final ExecutorService WORKER = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "fuzz-worker");
        t.setDaemon(true);
        return t;
    });

    /** target -> {executions, loaded, rejected, nanos} */
    static final Map<String, AtomicLong[]> STATS = new ConcurrentHashMap<>();

    /**
     * Runs {@code load}; passes when it returns or throws one of {@code allowed} whose message
     * contains {@code mustName}; fails the property otherwise.
     */
    static void check(String target, String mustName, Callable<?> load, List<Class<? extends Throwable>> allowed) {
        AtomicLong[] s = STATS.computeIfAbsent(target, k -> new AtomicLong[]{new AtomicLong(), new AtomicLong(), new AtomicLong(), new AtomicLong()});
        s[0].incrementAndGet();
        long t0 = System.nanoTime();
        Future<?> f = WORKER.submit(load);
        try {
            f.get(LIMIT_S, TimeUnit.SECONDS);
            s[1].incrementAndGet();
        } catch (TimeoutException e) {
            f.cancel(true);
            fail(target + ": load did not finish within " + LIMIT_S + " s (hang)");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            fail(e);
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (allowed.stream().noneMatch(a -> a.isInstance(c)))
                throw new AssertionError(target + ": undocumented " + c.getClass().getName() + ": " + c.getMessage(), c);
            if (c.getMessage() == null || !c.getMessage().contains(mustName))
                throw new AssertionError(target + ": message does not name " + mustName + ": " + c.getMessage(), c);
            s[2].incrementAndGet();
        } finally {
            s[3].addAndGet(System.nanoTime() - t0);
        }
    }

    static String summary(String target) {
        AtomicLong[] s = STATS.get(target);
        if (s == null) return "FUZZ " + target + ": no executions";
        return String.format("FUZZ %s: %d executions, %d loaded, %d rejected with a typed error, %.1f s in loads",
            target, s[0].get(), s[1].get(), s[2].get(), s[3].get() / 1e9);
    }
}
