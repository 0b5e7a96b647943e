package io.peft4j.kernel.display;

import io.github.spencerpark.jupyter.kernel.BaseKernel;
import io.github.spencerpark.jupyter.kernel.DisplayStream;
import io.github.spencerpark.jupyter.kernel.display.DisplayData;

import java.util.Map;

/**
 * Sends {@link Display} output through the kernel's iopub channel, attached to the executing
 * cell (display_data with a transient display_id; update_display_data for updates). Outside a
 * cell (nothing attached) the text form goes to the kernel's stderr log.
 */
public final class KernelDisplaySink implements DisplaySink {
    private final BaseKernel kernel;

    public KernelDisplaySink(BaseKernel kernel) { this.kernel = kernel; }

    /** A MIME bundle as basekernel's display data. */
    public static DisplayData toDisplayData(Map<String, String> bundle) {
        DisplayData d = new DisplayData();
        bundle.forEach(d::putData);
        return d;
    }

    @Override public void display(String displayId, Map<String, String> bundle) {
        withoutInterrupt(() -> send(displayId, bundle, false));
    }

    @Override public void update(String displayId, Map<String, String> bundle) {
        withoutInterrupt(() -> send(displayId, bundle, true));
    }

    /**
     * Sends with the thread's interrupt flag cleared (and restored after): the last update of an
     * interrupted operation ("... interrupted") is sent from the interrupted cell thread, and an
     * interrupted thread must not touch the sockets' NIO channels (they close on interrupt).
     */
    private static void withoutInterrupt(Runnable send) {
        boolean interrupted = Thread.interrupted();
        try {
            send.run();
        } finally {
            if (interrupted) Thread.currentThread().interrupt();
        }
    }

    private void send(String displayId, Map<String, String> bundle, boolean update) {
        if (update) { sendUpdate(displayId, bundle); return; }
        DisplayStream out = kernel.getIO().display;
        DisplayData d = toDisplayData(bundle);
        d.setDisplayId(displayId);
        if (out.isAttached()) out.display(d);
        else System.err.println("[display outside a cell] " + bundle.getOrDefault("text/plain", ""));
    }

    private void sendUpdate(String displayId, Map<String, String> bundle) {
        DisplayStream out = kernel.getIO().display;
        DisplayData d = toDisplayData(bundle);
        d.setDisplayId(displayId);
        if (out.isAttached()) out.updateDisplay(d);
        else System.err.println("[display outside a cell] " + bundle.getOrDefault("text/plain", ""));
    }
}
