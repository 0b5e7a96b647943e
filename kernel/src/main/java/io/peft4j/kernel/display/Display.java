package io.peft4j.kernel.display;

import io.peft4j.train.TrainingListener;

import java.util.Objects;
import java.util.UUID;

/**
 * Helpers statically imported into every notebook cell:
 * <pre>{@code
 * String id = display(table);        // show now, even mid-cell
 * updateDisplay(id, otherTable);     // replace that output in place
 * trainer.addListener(progress());   // live progress bar for a training run
 * }</pre>
 * Rendering follows {@link MimeRenderer}. Outside a kernel the text form goes to stdout.
 */
public final class Display {
    private static volatile DisplaySink sink = DisplaySink.STDOUT;

    private Display() {}

    /** Installed by the kernel at start-up. */
    public static void install(DisplaySink s) { sink = Objects.requireNonNull(s, "sink"); }

    public static DisplaySink sink() { return sink; }

    /** Shows {@code value} as a new output and returns its display id. */
    public static String display(Object value) {
        String id = UUID.randomUUID().toString();
        sink.display(id, MimeRenderer.render(value));
        return id;
    }

    /** Replaces the output created by {@link #display(Object)} with id {@code displayId}. */
    public static void updateDisplay(String displayId, Object value) {
        if (displayId == null || displayId.isBlank()) {
            throw new IllegalArgumentException("displayId must be an id returned by display(...), got '" + displayId + "'");
        }
        sink.update(displayId, MimeRenderer.render(value));
    }

    /** A training listener that keeps one output updated (at most 4 times a second). */
    public static TrainingListener progress() {
        return new ProgressDisplay(sink, System::nanoTime, ProgressDisplay.DEFAULT_MIN_INTERVAL_NANOS);
    }
}
