package io.peft4j.kernel;

import io.github.spencerpark.jupyter.kernel.BaseKernel;
import io.github.spencerpark.jupyter.kernel.DisplayStream;
import io.github.spencerpark.jupyter.kernel.display.DisplayData;

import java.util.Map;

/**
 * Sends {@link Display} output through the kernel's iopub channel, attached to the executing
 * cell (display_data with a transient display_id; update_display_data for updates). Outside a
 * cell (nothing attached) the text form goes to the kernel's stderr log.
 */
final class KernelDisplaySink implements DisplaySink {
    private final BaseKernel kernel;

    KernelDisplaySink(BaseKernel kernel) { this.kernel = kernel; }

    @Override public void display(String displayId, Map<String, String> bundle) {
        DisplayStream out = kernel.getIO().display;
        DisplayData d = PeftKernel.toDisplayData(bundle);
        d.setDisplayId(displayId);
        if (out.isAttached()) out.display(d);
        else System.err.println("[display outside a cell] " + bundle.getOrDefault("text/plain", ""));
    }

    @Override public void update(String displayId, Map<String, String> bundle) {
        DisplayStream out = kernel.getIO().display;
        DisplayData d = PeftKernel.toDisplayData(bundle);
        d.setDisplayId(displayId);
        if (out.isAttached()) out.updateDisplay(d);
        else System.err.println("[display outside a cell] " + bundle.getOrDefault("text/plain", ""));
    }
}
