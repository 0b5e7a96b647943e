package io.peft4j.kernel.display;

import io.peft4j.Adapter;
import io.peft4j.FineTuned;
import io.peft4j.train.TrainingResult;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Short HTML summaries of the DSL's results, so that a cell ending in {@code lora} or
 * {@code lora.adapter()} shows what was trained rather than a long provenance table (which
 * {@code lora.toTable()} still shows): method, base model, PEFT's parameter line, training steps,
 * final loss and time, and the trained modules (the first few, then a count).
 */
final class DslSummaries {
    static final int MODULES_SHOWN = 6;

    private DslSummaries() {}

    /** A bundle for FineTuned and Adapter values, else null. */
    static Map<String, String> render(Object value) {
        if (value instanceof FineTuned f) return fineTuned(f);
        if (value instanceof Adapter a) return adapter(a);
        return null;
    }

    static Map<String, String> fineTuned(FineTuned f) {
        StringBuilder html = new StringBuilder("<div class=\"peft4j-result\">");
        html.append("<b>").append(esc(f.name())).append("</b> on <code>").append(esc(f.model().id())).append("</code>");
        html.append("<br><code>").append(esc(f.parameterLine())).append("</code>");
        TrainingResult t = f.training();
        if (t != null) {
            html.append("<br>trained ").append(t.steps()).append(" steps (").append(t.epochs().size()).append(" epochs, ")
                .append(esc(t.outcome().name().toLowerCase(Locale.ROOT).replace('_', ' '))).append("): loss ")
                .append(fmt(t.stepLosses().isEmpty() ? Double.NaN : t.stepLosses().get(0))).append(" &rarr; ").append(fmt(t.finalLoss()))
                .append(String.format(Locale.ROOT, " in %.1f s (%.0f tokens/s)", t.wallSeconds(), t.tokensPerSecond()));
        } else {
            html.append("<br>loaded from disk (no training history)");
        }
        List<String> mods = f.trainedModules();
        html.append("<br>").append(mods.size()).append(" trained module(s): ");
        for (int i = 0; i < Math.min(MODULES_SHOWN, mods.size()); i++) html.append(i == 0 ? "" : ", ").append("<code>").append(esc(mods.get(i))).append("</code>");
        if (mods.size() > MODULES_SHOWN) html.append(", &hellip; (").append(mods.size() - MODULES_SHOWN).append(" more)");
        html.append("</div>");
        Map<String, String> b = new LinkedHashMap<>();
        b.put("text/html", html.toString());
        b.put("text/plain", f.toString());
        return b;
    }

    static Map<String, String> adapter(Adapter a) {
        FineTuned f = a.owner();
        long base = f.model().parameterCount();
        String text = a + String.format(Locale.ROOT, " (%.3f%% of the base model's %,d)", 100.0 * a.parameters() / base, base);
        String html = "<div class=\"peft4j-adapter\"><b>" + esc(f.method().label()) + " adapter</b> of <code>" + esc(f.model().id())
            + "</code>: " + String.format(Locale.ROOT, "%,d", a.parameters()) + " parameters, "
            + String.format(Locale.ROOT, "%.3f%%", 100.0 * a.parameters() / base) + " of the base model's "
            + String.format(Locale.ROOT, "%,d", base) + "; <code>save(dir)</code> writes PEFT's adapter_config.json + adapter_model.safetensors</div>";
        Map<String, String> b = new LinkedHashMap<>();
        b.put("text/html", html);
        b.put("text/plain", text);
        return b;
    }

    private static String fmt(double v) { return String.format(Locale.ROOT, "%.4f", v); }

    private static String esc(String s) { return io.peft4j.report.Tables.escape(s == null ? "" : s); }
}
