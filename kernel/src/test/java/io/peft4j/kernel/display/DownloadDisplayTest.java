package io.peft4j.kernel.display;

import io.peft4j.hf.DownloadListener.Event;
import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.*;

class DownloadDisplayTest {
    @Test void oneLiveOutputPerLoadWithARowPerFileThrottled() {
        ProgressDisplayTest.Recorder sink = new ProgressDisplayTest.Recorder();
        AtomicLong now = new AtomicLong();
        DownloadDisplay d = new DownloadDisplay(() -> sink, now::get, DownloadDisplay.DEFAULT_MIN_INTERVAL_NANOS);
        d.onFileStart(new Event("org/m", "main", "config.json", 0, 700, 0, 0));
        d.onFileEnd(new Event("org/m", "main", "config.json", 700, 700, 0, 1_000_000), "done");
        long total = 10_000_000;
        d.onFileStart(new Event("org/m", "main", "model.safetensors", 4_000_000, total, 4_000_000, 0));
        // 600 chunks over 1.2 simulated seconds
        for (int i = 1; i <= 600; i++) {
            now.set(i * 2_000_000L);
            d.onFileProgress(new Event("org/m", "main", "model.safetensors", 4_000_000 + i * 10_000L, total, 4_000_000, now.get()));
        }
        // the last throttled update: 90% at 1.0 s (5 MB/s since the resume at 4 MB)
        assertEquals("downloading org/m\n  config.json        700 B in 0.0 s\n  model.safetensors   90%  9.0 MB / 10.0 MB  5.0 MB/s  ETA 0m00s",
            sink.lastText);
        d.onFileEnd(new Event("org/m", "main", "model.safetensors", total, total, 4_000_000, 1_200_000_000L), "done");
        d.onEnd("org/m", "done");
        assertEquals("display", sink.calls.get(0));
        assertTrue(sink.calls.stream().skip(1).allMatch("update"::equals));
        assertEquals(1, sink.ids.stream().distinct().count(), "one output for the whole load");
        // 4 forced (start, end, start, end) + 1 final + throttled progress (<= 4 a second over 1.2 s)
        assertTrue(sink.calls.size() <= 5 + 6 && sink.calls.size() >= 7, "sent " + sink.calls.size());
        String[] lines = sink.lastText.split("\n");
        assertEquals("downloading org/m: done", lines[0]);
        assertTrue(lines[1].matches("  config\\.json\\s+700 B in 0\\.0 s"), lines[1]);
        assertTrue(lines[2].matches("  model\\.safetensors\\s+10\\.0 MB in 1\\.2 s \\(resumed at 4\\.0 MB\\)"), lines[2]);

        // the next load gets its own output
        d.onFileStart(new Event("org/n", "main", "config.json", 0, 10, 0, 0));
        assertEquals(2, sink.ids.stream().distinct().count());
        d.onFileEnd(new Event("org/n", "main", "config.json", 3, 10, 0, 5), "boom");
        d.onEnd("org/n", "boom");
        assertTrue(sink.lastText.startsWith("downloading org/n: failed") && sink.lastText.contains("failed after 3 B")
            && sink.lastText.endsWith("boom"), sink.lastText);
    }

    @Test void nothingShownWhenNothingWasDownloaded() {
        ProgressDisplayTest.Recorder sink = new ProgressDisplayTest.Recorder();
        DownloadDisplay d = new DownloadDisplay(() -> sink, System::nanoTime, 0);
        d.onEnd("org/m", "done");
        assertTrue(sink.calls.isEmpty());
    }
}
