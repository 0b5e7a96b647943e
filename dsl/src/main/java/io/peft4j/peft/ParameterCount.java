package io.peft4j.peft;

import io.peft4j.model.Parameter;
import io.peft4j.model.ProjectionSlot;
import io.peft4j.model.LanguageModel;
import tech.tablesaw.api.BooleanColumn;
import tech.tablesaw.api.LongColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Trainable and total parameter counts, printed exactly as Hugging Face PEFT's
 * {@code print_trainable_parameters()}: {@code trainable params: 3,538,944 || all params:
 * 251,116,800 || trainable%: 1.4093}. A parameter shared by several modules (T5's tied embedding)
 * counts once, as in PyTorch's {@code named_parameters()}.
 */
public record ParameterCount(long trainable, long all) {

    /** Counts the unique parameters of a model, including whatever its projection slots now hold. */
    public static ParameterCount of(LanguageModel model) {
        long t = 0, a = 0;
        for (Parameter p : unique(model)) {
            a += p.size();
            if (p.trainable()) t += p.size();
        }
        return new ParameterCount(t, a);
    }

    static List<Parameter> unique(LanguageModel model) {
        Set<Parameter> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        List<Parameter> out = new ArrayList<>();
        for (Parameter p : model.parameters()) if (seen.add(p)) out.add(p);
        for (ProjectionSlot s : model.projections().values())
            for (Parameter p : s.get().parameters()) if (seen.add(p)) out.add(p);
        return out;
    }

    /** 100 * trainable / all. */
    public double percent() { return all == 0 ? 0 : 100.0 * trainable / all; }

    /** PEFT's line; the percentage is rounded half-even from the exact double, as Python's {@code :.4f}. */
    @Override public String toString() {
        String pct = new BigDecimal(percent()).setScale(4, RoundingMode.HALF_EVEN).toPlainString();
        return String.format(Locale.ROOT, "trainable params: %,d || all params: %,d || trainable%%: %s", trainable, all, pct);
    }

    /**
     * One row per module: {@code module} (Hugging Face module name), {@code base params} (the
     * module's own checkpoint weights), {@code adapter params} (PEFT parameters wrapped around it)
     * and {@code trainable} (whether any of its parameters trains).
     */
    public static Table moduleTable(LanguageModel model) {
        Map<String, long[]> rows = new LinkedHashMap<>();     // module -> {base, adapter, trainable}
        Set<Parameter> adapterParams = Collections.newSetFromMap(new IdentityHashMap<>());
        Map<Parameter, String> owner = new IdentityHashMap<>();
        for (ProjectionSlot s : model.projections().values()) {
            if (s.get() instanceof PeftLayer pl) {
                adapterParams.addAll(pl.adapterParameters());
                for (Parameter p : pl.adapterParameters()) owner.put(p, s.name());
            }
        }
        for (Parameter p : unique(model)) {
            String module = owner.getOrDefault(p, moduleOf(p.name()));
            long[] r = rows.computeIfAbsent(module, k -> new long[3]);
            r[adapterParams.contains(p) ? 1 : 0] += p.size();
            if (p.trainable()) r[2] = 1;
        }
        StringColumn m = StringColumn.create("module");
        LongColumn b = LongColumn.create("base params"), ad = LongColumn.create("adapter params");
        BooleanColumn tr = BooleanColumn.create("trainable");
        rows.forEach((k, v) -> { m.append(k); b.append(v[0]); ad.append(v[1]); tr.append(v[2] == 1); });
        return Table.create("parameters by module", m, b, ad, tr);
    }

    /** {@code a.b.c.weight} -> {@code a.b.c}. */
    static String moduleOf(String paramName) {
        int i = paramName.lastIndexOf('.');
        return i < 0 ? paramName : paramName.substring(0, i);
    }
}
