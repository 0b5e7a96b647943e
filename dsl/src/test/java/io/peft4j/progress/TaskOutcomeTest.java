package io.peft4j.progress;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** The outcome a task reports when it ends: done, failed, or interrupted wherever the interrupt was seen. */
class TaskOutcomeTest {
    private final List<String> ends = new ArrayList<>();
    private final ProgressListener listener = new ProgressListener() {
        @Override public void onStart(Task t) {}
        @Override public void onProgress(Task t) {}
        @Override public void onEnd(Task t, String outcome) { ends.add(t.name() + ":" + outcome); }
    };

    @AfterEach void cleanUp() {
        Progress.removeListener(listener);
        Thread.interrupted();
    }

    @Test void normalEndIsDone() {
        Progress.addListener(listener);
        try (Task t = Progress.start("work", 2)) { t.advance(); t.advance(); }
        assertEquals(List.of("work:done"), ends);
    }

    @Test void interruptAtTheTasksOwnSafePointIsInterrupted() {
        Progress.addListener(listener);
        assertThrows(OperationInterruptedException.class, () -> {
            try (Task t = Progress.start("work", 10)) {
                t.advance();
                Thread.currentThread().interrupt();
                t.advance();
            }
        });
        assertEquals(List.of("work:interrupted"), ends);
    }

    @Test void interruptSeenByInnerCodeIsStillReportedAsInterrupted() {
        // e.g. the generator's per-token safe point, which throws without going through the task
        Progress.addListener(listener);
        assertThrows(OperationInterruptedException.class, () -> {
            try (Task t = Progress.start("generate", 10)) {
                t.advance();
                Thread.currentThread().interrupt();
                Progress.checkInterrupted("generate");
            }
        });
        assertEquals(List.of("generate:interrupted"), ends);
    }

    @Test void failureIsFailed() {
        Progress.addListener(listener);
        assertThrows(IllegalStateException.class, () -> Progress.run("work", 1, t -> { throw new IllegalStateException("boom"); }));
        assertEquals(List.of("work:failed"), ends);
    }
}
