package io.peft4j.kernel;

import java.util.Optional;
import java.util.logging.Logger;

/**
 * Ends the kernel when the process that started it (Jupyter's {@code JPY_PARENT_PID}) is gone, so
 * a crashed notebook server leaves no orphan JVM behind.
 */
final class ParentWatchdog {
    private static final Logger LOG = Logger.getLogger(ParentWatchdog.class.getName());

    private ParentWatchdog() {}

    /** Starts watching when {@code pidText} is a live pid; returns whether it watches. */
    static boolean watch(String pidText, Runnable onParentDeath) {
        if (pidText == null || pidText.isBlank()) return false;
        long pid;
        try {
            pid = Long.parseLong(pidText.trim());
        } catch (NumberFormatException e) {
            LOG.warning("JPY_PARENT_PID '" + MessageDecoder.printable(pidText) + "' is not a number; not watching the parent");
            return false;
        }
        Optional<ProcessHandle> parent = ProcessHandle.of(pid);
        if (parent.isEmpty() || !parent.get().isAlive()) {
            LOG.warning("parent process " + pid + " is already gone");
            onParentDeath.run();
            return true;
        }
        Thread t = new Thread(() -> {
            ProcessHandle h = parent.get();
            while (h.isAlive()) {
                try { Thread.sleep(1_000); } catch (InterruptedException e) { return; }
            }
            LOG.warning("parent process " + pid + " died; kernel exiting");
            onParentDeath.run();
        }, "peft4j-parent-watchdog");
        t.setDaemon(true);
        t.start();
        return true;
    }
}
