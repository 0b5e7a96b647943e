package io.peft4j.demo;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.peft4j.FineTuned;
import io.peft4j.eval.PairedDifference;
import io.peft4j.train.TrainingResult;
import io.peft4j.eval.RougeReport;
import io.peft4j.eval.RougeType;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The demo's verdict in compact form: per method ROUGE-1/2/L, the change against the base with
 * its paired-bootstrap 95% interval (the same resampled examples for the method and the base),
 * and the share of full fine-tuning's gain a method recovers; plus {@code summary.json}.
 */
public final class DemoSummary {

    /** One method's numbers; {@code report} holds the per-example scores; speed fields may be NaN (the base). */
    public record Method(String name, RougeReport report, long trainableParams, double trainSeconds,
                         double warmupSeconds, double steadyTokensPerSecond) {}

    private final List<Method> methods = new ArrayList<>();
    private final Map<String, Map<RougeType, PairedDifference>> vsBase = new HashMap<>();

    /** A trained method's row: its ROUGE report and its training timings. */
    public static Method method(String name, FineTuned f, RougeReport r) {
        TrainingResult t = f.training();
        return new Method(name, r, f.trainableParameters(), t.wallSeconds(), t.warmupSeconds(DemoRun.WARMUP_STEPS),
            t.steadyTokensPerSecond(DemoRun.WARMUP_STEPS));
    }

    /** Training speed: total, warm-up (first steps) and the steady-state rate after them. */
    public static Table speedTable(List<String> names, List<FineTuned> runs) {
        List<String> steps = new ArrayList<>(), total = new ArrayList<>(), warm = new ArrayList<>(), steady = new ArrayList<>(), ratio = new ArrayList<>();
        double first = Double.NaN;
        for (FineTuned f : runs) {
            TrainingResult t = f.training();
            steps.add(Long.toString(t.steps()));
            total.add(String.format(Locale.ROOT, "%.1f", t.wallSeconds()));
            warm.add(String.format(Locale.ROOT, "%.1f", t.warmupSeconds(DemoRun.WARMUP_STEPS)));
            double r = t.steadyTokensPerSecond(DemoRun.WARMUP_STEPS);
            if (Double.isNaN(first)) first = r;
            steady.add(String.format(Locale.ROOT, "%,.0f", r));
            ratio.add(String.format(Locale.ROOT, "%.2fx", r / first));
        }
        return Table.create("training speed (same batches; warm-up = first " + DemoRun.WARMUP_STEPS + " steps, timed apart)",
            StringColumn.create("method", names), StringColumn.create("steps", steps), StringColumn.create("train s", total),
            StringColumn.create("warm-up s", warm), StringColumn.create("steady tokens/s", steady),
            StringColumn.create("steady vs full", ratio));
    }


    /**
     * The summary of a {@link io.peft4j.Comparison} whose {@code rouge(...)} ran: its base row
     * (the name starting with "base"), then {@code full}, then each of {@code others}.
     */
    public static DemoSummary of(io.peft4j.Comparison cmp, FineTuned full, FineTuned... others) {
        Map<String, RougeReport> reports = cmp.reports();
        String base = reports.keySet().stream().filter(k -> k.startsWith("base")).findFirst()
            .orElseThrow(() -> new IllegalArgumentException("the comparison has no base model row (names: " + reports.keySet() + ")"));
        DemoSummary s = new DemoSummary().add(new Method(base, reports.get(base), 0, Double.NaN, Double.NaN, Double.NaN));
        s.add(method(full.name(), full, reports.get(full.name())));
        for (FineTuned f : others) s.add(method(f.name(), f, reports.get(f.name())));
        return s;
    }

    /** Adds a method; the first one added is the base, the second full fine-tuning. */
    public DemoSummary add(Method m) {
        methods.add(m);
        if (methods.size() > 1) {
            Method base = methods.get(0);
            Map<RougeType, PairedDifference> d = new LinkedHashMap<>();
            for (RougeType t : new RougeType[]{RougeType.ROUGE1, RougeType.ROUGE2, RougeType.ROUGE_L})
                d.put(t, PairedDifference.of(t, base.name(), base.report(), m.name(), m.report()));
            vsBase.put(m.name(), d);
        }
        return this;
    }

    public List<Method> methods() { return List.copyOf(methods); }

    /** Paired difference (method - base) of one ROUGE type, or null for the base. */
    public PairedDifference vsBase(String method, RougeType type) {
        Map<RougeType, PairedDifference> d = vsBase.get(method);
        return d == null ? null : d.get(type);
    }

    /** (method - base) / (full - base) of one ROUGE type; NaN for the base and full fine-tuning's gain of 0. */
    public double shareOfFullGain(String method, RougeType type) {
        if (methods.size() < 2) return Double.NaN;
        double base = methods.get(0).report().f1(type), full = methods.get(1).report().f1(type);
        Method m = find(method);
        if (m == methods.get(0) || full == base) return Double.NaN;
        return (m.report().f1(type) - base) / (full - base);
    }

    private Method find(String name) {
        for (Method m : methods) if (m.name().equals(name)) return m;
        throw new IllegalArgumentException("no method named '" + name + "' (have " + methods.stream().map(Method::name).toList() + ")");
    }

    /** The compact terminal table: ROUGE-1/2/L, deltas vs base with 95% intervals, share of full fine-tuning's gain. */
    public Table compact() {
        List<String> name = new ArrayList<>(), r1 = new ArrayList<>(), r2 = new ArrayList<>(), rl = new ArrayList<>(),
            d1 = new ArrayList<>(), dl = new ArrayList<>(), share = new ArrayList<>();
        for (Method m : methods) {
            name.add(m.name());
            r1.add(f(100 * m.report().f1(RougeType.ROUGE1)));
            r2.add(f(100 * m.report().f1(RougeType.ROUGE2)));
            rl.add(f(100 * m.report().f1(RougeType.ROUGE_L)));
            d1.add(delta(m.name(), RougeType.ROUGE1));
            dl.add(delta(m.name(), RougeType.ROUGE_L));
            double s1 = shareOfFullGain(m.name(), RougeType.ROUGE1), sl = shareOfFullGain(m.name(), RougeType.ROUGE_L);
            share.add(Double.isNaN(s1) ? "" : String.format(Locale.ROOT, "%.0f%% / %.0f%%", 100 * s1, 100 * sl));
        }
        return Table.create("ROUGE on held-out dialogues (F1 x 100; delta = method - base, [paired bootstrap 95% interval])",
            StringColumn.create("model", name), StringColumn.create("R-1", r1), StringColumn.create("R-2", r2),
            StringColumn.create("R-L", rl), StringColumn.create("dR-1 vs base [95%]", d1),
            StringColumn.create("dR-L vs base [95%]", dl), StringColumn.create("share of full's gain R-1 / R-L", share));
    }

    private String delta(String method, RougeType t) {
        PairedDifference d = vsBase(method, t);
        return d == null ? "" : String.format(Locale.ROOT, "%+.2f [%+.2f, %+.2f]", 100 * d.difference(), 100 * d.low(), 100 * d.high());
    }

    private static String f(double v) { return String.format(Locale.ROOT, "%.2f", v); }

    /** {@code summary.json}: ROUGE on the 0-100 scale, parameters, timings, intervals, shares. */
    public String json(Map<String, Object> context) {
        ObjectMapper om = new ObjectMapper();
        ObjectNode root = om.createObjectNode();
        ObjectNode ctx = root.putObject("setting");
        for (var e : context.entrySet()) ctx.putPOJO(e.getKey(), e.getValue());
        ArrayNode arr = root.putArray("methods");
        for (Method m : methods) {
            ObjectNode n = arr.addObject();
            n.put("name", m.name());
            n.put("rouge1", round(100 * m.report().f1(RougeType.ROUGE1)));
            n.put("rouge2", round(100 * m.report().f1(RougeType.ROUGE2)));
            n.put("rougeL", round(100 * m.report().f1(RougeType.ROUGE_L)));
            n.put("rougeLsum", round(100 * m.report().f1(RougeType.ROUGE_LSUM)));
            n.put("trainable_params", m.trainableParams());
            number(n, "train_seconds", m.trainSeconds());
            number(n, "warmup_seconds", m.warmupSeconds());
            number(n, "steady_tokens_per_s", m.steadyTokensPerSecond());
            n.putNull("peak_rss_mb");   // all methods share one process: no per-method peak
            for (RougeType t : new RougeType[]{RougeType.ROUGE1, RougeType.ROUGE2, RougeType.ROUGE_L}) {
                PairedDifference d = vsBase(m.name(), t);
                if (d == null) continue;
                ObjectNode dn = n.putObject("vs_base_" + key(t));
                dn.put("difference", round(100 * d.difference()));
                dn.put("ci95_low", round(100 * d.low()));
                dn.put("ci95_high", round(100 * d.high()));
                dn.put("excludes_zero", d.significant());
                double s = shareOfFullGain(m.name(), t);
                if (!Double.isNaN(s)) n.put("share_of_full_gain_" + key(t), Math.round(s * 1e4) / 1e4);
            }
        }
        return root.toPrettyString() + "\n";
    }

    private static String key(RougeType t) {
        return t.name();
    }

    private static void number(ObjectNode n, String k, double v) {
        if (Double.isNaN(v)) n.putNull(k); else n.put(k, Math.round(v * 100) / 100.0);
    }

    private static double round(double v) { return Math.round(v * 100) / 100.0; }

    /**
     * Whether a generated text is degenerate: empty, or some 3-word sequence occurs 3 or more times
     * (words: lower-cased runs of letters and digits).
     */
    public static boolean degenerate(String text) {
        String[] w = text.toLowerCase(Locale.ROOT).split("[^\\p{L}\\p{N}#]+");
        List<String> words = new ArrayList<>();
        for (String s : w) if (!s.isEmpty()) words.add(s);
        if (words.isEmpty()) return true;
        Map<String, Integer> counts = new HashMap<>();
        for (int i = 0; i + 2 < words.size(); i++)
            if (counts.merge(words.get(i) + " " + words.get(i + 1) + " " + words.get(i + 2), 1, Integer::sum) >= 3) return true;
        return false;
    }
}
