package io.peft4j.train;

import io.peft4j.model.Parameter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Kills a training child JVM (checkpointing every step) with SIGKILL at random moments, several
 * times, and checks after each kill that the newest complete checkpoint loads and that resuming it
 * continues exactly as an uninterrupted in-process run would.
 */
class SigkillTest {
    static final int KILLS = Integer.getInteger("peft4j.sigkill.kills", 5);

    @Test void checkpointsSurviveSigkill(@TempDir Path tmp) throws Exception {
        Path dir = tmp.resolve("run");
        Random rnd = new Random(2024);
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<Long> killedAfter = new ArrayList<>();
        long previous = 0;
        for (int k = 0; k < KILLS; k++) {
            Process p = new ProcessBuilder(java, "-Xmx512m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                "-cp", System.getProperty("java.class.path"), KillChild.class.getName(), dir.toString())
                .redirectErrorStream(true).start();
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                // wait until training is under way, let it run a random while, then SIGKILL
                long seen = -1;
                String line;
                int wantSteps = 1 + rnd.nextInt(4);
                int steps = 0;
                while ((line = r.readLine()) != null) {
                    if (line.startsWith("step ")) { seen = Long.parseLong(line.substring(5).trim()); if (++steps >= wantSteps) break; }
                }
                assertTrue(seen > previous, "child made progress past step " + previous + " (last line: " + line + ")");
                Thread.sleep(rnd.nextInt(40));
                p.destroyForcibly();
                assertTrue(p.waitFor(20, TimeUnit.SECONDS));
                killedAfter.add(seen);
            } finally {
                p.destroyForcibly();
            }
            Path latest = Checkpoints.latest(dir).orElseThrow(() -> new AssertionError("no loadable checkpoint after kill"));
            Checkpoints.Loaded c = Checkpoints.load(latest);
            assertTrue(c.state().step >= previous, "newest checkpoint step " + c.state().step + " went back before " + previous);
            previous = c.state().step;
        }
        System.out.println("SIGKILL test: " + KILLS + " kills survived, child printed steps " + killedAfter + ", newest checkpoint step " + previous);

        // resume the newest checkpoint in-process for 3 more steps; compare with an uninterrupted run
        long target = previous + 3;
        // resume needs the checkpointed run's settings: continue with them and stop by interrupt at the target step
        TrainingConfig stored = KillChild.config(dir);
        TinyModel resumed = KillChild.model();
        Trainer tr = new Trainer(resumed, stored);
        tr.addListener(new TrainingListener() {
            @Override public void onStep(StepEvent e) { if (e.step() == target) Thread.currentThread().interrupt(); }
        });
        TrainingResult r1 = tr.resume(dir, KillChild.TRAIN, null);
        assertEquals(TrainingResult.Outcome.INTERRUPTED, r1.outcome());
        assertEquals(target, r1.steps());

        TinyModel straight = KillChild.model();
        Trainer ts = new Trainer(straight, stored.toBuilder().checkpointEvery(0).build());
        ts.addListener(new TrainingListener() {
            @Override public void onStep(StepEvent e) { if (e.step() == target) Thread.currentThread().interrupt(); }
        });
        TrainingResult r2 = ts.train(KillChild.TRAIN, null);
        assertEquals(target, r2.steps());
        assertEquals(r2.stepLosses(), r1.stepLosses());
        for (int i = 0; i < straight.parameters().size(); i++) {
            Parameter a = straight.parameters().get(i), b = resumed.parameters().get(i);
            assertArrayEquals(a.value().data().asFloat(), b.value().data().asFloat(), "bit-identical after kills: " + a.name());
        }
    }
}
