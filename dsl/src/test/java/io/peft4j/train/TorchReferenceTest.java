package io.peft4j.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.peft4j.model.Parameter;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.factory.Nd4j;

import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * AdamW, clip_grad_norm_ and the schedules against trajectories recorded with torch 2.13 and
 * transformers 5.18 (src/test/resources/train/make_torch_reference.py -> torch_reference.json).
 */
class TorchReferenceTest {
    static final JsonNode REF = load();

    static JsonNode load() {
        try (InputStream in = TorchReferenceTest.class.getResourceAsStream("/train/torch_reference.json")) {
            return new ObjectMapper().readTree(in);
        } catch (Exception e) { throw new IllegalStateException(e); }
    }

    static float[] floats(JsonNode arr) {
        float[] f = new float[arr.size()];
        for (int i = 0; i < f.length; i++) f[i] = (float) arr.get(i).asDouble();
        return f;
    }

    private static List<Parameter> initialParams() {
        List<Parameter> ps = new ArrayList<>();
        for (var it = REF.get("shapes").fields(); it.hasNext(); ) {
            var e = it.next();
            long[] shape = new long[e.getValue().size()];
            for (int i = 0; i < shape.length; i++) shape[i] = e.getValue().get(i).asLong();
            ps.add(new Parameter(e.getKey(), Nd4j.create(floats(REF.get("init").get(e.getKey())), shape, 'c'), true));
        }
        return ps;
    }

    /** Returns the largest absolute difference between our parameters and torch's over the trajectory. */
    private static double replay(JsonNode run, AdamW.Options opt, double baseLr, double clip, Schedule schedule, long warmup, long total) {
        List<Parameter> ps = initialParams();
        AdamW adam = new AdamW(ps, opt);
        double worst = 0;
        int step = 0;
        for (JsonNode rec : run.get("steps")) {
            step++;
            for (Parameter p : ps) p.grad().assign(Nd4j.create(floats(rec.get("grads").get(p.name())), p.value().shape(), 'c'));
            double lr = schedule == null ? baseLr : schedule.learningRate(baseLr, step, warmup, total);
            assertEquals(rec.get("lr").asDouble(), lr, 1e-12, "learning rate of step " + step);
            if (clip > 0) {
                double norm = GradientClipping.clip(ps, clip);
                assertEquals(rec.get("total_norm").asDouble(), norm, 1e-5 * Math.max(1, norm), "total norm at step " + step);
            }
            adam.step(lr);
            for (Parameter p : ps) {
                float[] want = floats(rec.get("params").get(p.name()));
                float[] got = p.value().data().asFloat();
                for (int i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(want[i] - got[i]));
            }
        }
        assertEquals(run.get("steps").size(), adam.stepCount());
        return worst;
    }

    @Test void adamWWithTorchDefaultsMatchesTorch() {
        double worst = replay(REF.get("defaults"), AdamW.Options.torchDefaults(), 1e-3, 0, null, 0, 0);
        System.out.printf("AdamW (torch defaults, 8 steps): max |ours - torch| = %.3g%n", worst);
        assertTrue(worst <= 1e-6, "max difference " + worst);
    }

    @Test void clippedScheduledAdamWMatchesTorch() {
        JsonNode run = REF.get("pipeline");
        JsonNode o = run.get("opt");
        AdamW.Options opt = new AdamW.Options(o.get("betas").get(0).asDouble(), o.get("betas").get(1).asDouble(),
            o.get("eps").asDouble(), o.get("weight_decay").asDouble());
        double worst = replay(run, opt, o.get("lr").asDouble(), run.get("clip").asDouble(), Schedule.COSINE,
            run.get("warmup").asLong(), run.get("total").asLong());
        System.out.printf("AdamW + clip_grad_norm_ + cosine warmup (10 steps): max |ours - torch| = %.3g%n", worst);
        assertTrue(worst <= 1e-6, "max difference " + worst);
    }

    @Test void schedulesMatchTransformers() {
        int cases = 0;
        for (JsonNode c : REF.get("schedules")) {
            Schedule s = Schedule.valueOf(c.get("schedule").asText());
            long warmup = c.get("warmup").asLong(), total = c.get("total").asLong();
            JsonNode lrs = c.get("lr_per_step");
            for (int k = 0; k < lrs.size(); k++) {
                assertEquals(lrs.get(k).asDouble(), s.learningRate(1.0, k + 1, warmup, total), 1e-15,
                    s + " warmup " + warmup + " total " + total + " step " + (k + 1));
                cases++;
            }
        }
        assertTrue(cases > 50);
    }
}
