package io.peft4j.kernel.magics;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Locale;

/**
 * {@code %%time} as the first line of a cell: runs the rest and prints, as IPython does, the cell
 * thread's CPU time and the wall time ({@code CPU time: 1.2 s, Wall time: 1.3 s}) — also when the
 * cell fails.
 */
public final class TimeMagic {
    public static final String NAME = "time";
    public static final String HELP = "%%time (first line of a cell): run the cell, then print its CPU and wall time";

    private final long wall0 = System.nanoTime();
    private final long cpu0 = cpuNanos();

    private static long cpuNanos() {
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        return mx.isCurrentThreadCpuTimeSupported() ? mx.getCurrentThreadCpuTime() : -1;
    }

    /** The line to print when the cell ends. */
    public String report() {
        double wall = (System.nanoTime() - wall0) / 1e9;
        long cpu1 = cpuNanos();
        String cpu = cpu0 < 0 || cpu1 < 0 ? "n/a" : format((cpu1 - cpu0) / 1e9);
        return "CPU time: " + cpu + ", Wall time: " + format(wall);
    }

    static String format(double s) {
        if (s < 1e-3) return String.format(Locale.ROOT, "%.0f µs", s * 1e6);
        if (s < 1) return String.format(Locale.ROOT, "%.1f ms", s * 1e3);
        return String.format(Locale.ROOT, "%.2f s", s);
    }
}
