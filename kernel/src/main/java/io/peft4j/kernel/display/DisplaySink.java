package io.peft4j.kernel.display;

import java.util.Map;

/** Where {@link Display} sends MIME bundles: the running kernel, or stdout outside a kernel. */
public interface DisplaySink {
    /** Shows a new output (Jupyter display_data) carrying {@code displayId} for later updates. */
    void display(String displayId, Map<String, String> bundle);

    /** Replaces the output shown under {@code displayId} (Jupyter update_display_data). */
    void update(String displayId, Map<String, String> bundle);

    /** Fallback when no kernel is attached: prints the text/plain form. */
    DisplaySink STDOUT = new DisplaySink() {
        @Override public void display(String id, Map<String, String> b) { System.out.println(b.getOrDefault("text/plain", "")); }
        @Override public void update(String id, Map<String, String> b) { System.out.println(b.getOrDefault("text/plain", "")); }
    };
}
