package io.peft4j.kernel.display;

import io.peft4j.train.TrainingListener.EpochEvent;
import io.peft4j.train.TrainingListener.StepEvent;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.*;

class ProgressDisplayTest {
    static final class Recorder implements DisplaySink {
        final List<String> calls = new ArrayList<>();
        final List<String> ids = new ArrayList<>();
        String lastText;
        @Override public void display(String id, Map<String, String> b) { calls.add("display"); ids.add(id); lastText = b.get("text/plain"); }
        @Override public void update(String id, Map<String, String> b) { calls.add("update"); ids.add(id); lastText = b.get("text/plain"); }
    }

    @Test void throttlesToFourUpdatesPerSecondAndAlwaysShowsTheLastStep() {
        Recorder sink = new Recorder();
        AtomicLong now = new AtomicLong();
        ProgressDisplay p = new ProgressDisplay(sink, now::get, ProgressDisplay.DEFAULT_MIN_INTERVAL_NANOS);
        // 1000 steps over 2 simulated seconds (one every 2 ms)
        for (int s = 1; s <= 1000; s++) {
            now.set(s * 2_000_000L);
            p.onStep(new StepEvent(s, 1000, 1, 1.0 / s, 1e-4, 1234, (1000 - s) * 0.002));
        }
        assertEquals("display", sink.calls.get(0));
        assertTrue(sink.calls.stream().skip(1).allMatch("update"::equals));
        assertEquals(1, sink.ids.stream().distinct().count(), "one display, updated in place");
        // 2 s at <= 4/s plus the first and the forced last step
        assertTrue(sink.calls.size() <= 2 * 4 + 2, "sent " + sink.calls.size());
        assertTrue(sink.calls.size() >= 8, "sent " + sink.calls.size());
        assertTrue(sink.lastText.startsWith("step 1000/1000 (100%)"), sink.lastText);
        assertTrue(sink.lastText.contains("1234 tok/s") && sink.lastText.contains("ETA 0m00s"), sink.lastText);

        p.onEpoch(new EpochEvent(1, 1, 1000, 0.5, 2.0));
        assertTrue(sink.lastText.contains("epoch 1/1 done: mean loss 0.5000"), sink.lastText);
    }

    @Test void etaFormatting() {
        assertEquals("1m05s", ProgressDisplay.eta(65));
        assertEquals("2h00m01s", ProgressDisplay.eta(7201));
        assertEquals("?", ProgressDisplay.eta(Double.NaN));
    }
}
