package io.peft4j;

import io.peft4j.data.Dataset;
import io.peft4j.eval.CorpusRouge;
import io.peft4j.eval.RougeReport;
import io.peft4j.hf.SafeTensors;
import io.peft4j.model.Parameter;
import io.peft4j.model.T5Model;
import io.peft4j.peft.AdapterIO;
import io.peft4j.peft.Ia3Model;
import io.peft4j.peft.LoraModel;
import io.peft4j.peft.OtherAdapterIO;
import io.peft4j.peft.PromptTuning;
import io.peft4j.report.Charts;
import io.peft4j.report.LineChart;
import io.peft4j.report.ParameterReport;
import io.peft4j.train.TrainingResult;
import tech.tablesaw.api.Table;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The result of fine-tuning (or of loading an adapter): the model that answers with it, the
 * trained parameters' counts, the training history and the {@link Provenance}. For LoRA the
 * weights live as a named adapter on the shared base model, which {@link #generate} activates; the
 * other methods train a copy of the base, so the base itself never changes.
 */
public final class FineTuned {
    private final Method method;
    private final String name;               // display name, e.g. "LoRA r=8"
    private final T5 model;                  // the base (LoRA) or the trained copy (other methods)
    private final String adapterName;        // LoRA adapter name on model, else null
    private final Ia3Model<T5Model> ia3;     // IA3 only
    private final PromptTuning prompt;       // prompt tuning only
    private final long trainable;
    private final long total;
    private final List<String> modules;      // modules or parameters that were trained
    private final TrainingResult training;   // null for a loaded adapter
    private final Provenance provenance;

    FineTuned(Method method, String name, T5 model, String adapterName, Ia3Model<T5Model> ia3, PromptTuning prompt,
              long trainable, long total, List<String> modules, TrainingResult training, Provenance provenance) {
        this.method = method; this.name = name; this.model = model; this.adapterName = adapterName;
        this.ia3 = ia3; this.prompt = prompt; this.trainable = trainable; this.total = total;
        this.modules = List.copyOf(modules); this.training = training; this.provenance = provenance;
    }

    static FineTuned loaded(T5 base, String adapterName, Path dir) {
        LoraModel<T5Model> reg = base.adapters();
        long adapterParams = adapterParameterCount(reg, adapterName);
        var cfg = reg.config(adapterName);
        List<String> mods = reg.targetedModules(adapterName);
        Provenance p = Provenance.of(base, "LoRA (loaded from " + dir + ")", cfg.toString(), mods, 0, "-", 0, "-", 0);
        return new FineTuned(Method.LORA, "LoRA " + adapterName, base, adapterName, null, null, adapterParams,
            base.parameterCount() + adapterParams, mods, null, p);
    }

    static long adapterParameterCount(LoraModel<T5Model> reg, String adapterName) {
        long n = 0;
        for (String m : reg.targetedModules(adapterName)) {
            var a = reg.layers().get(m).adapters().get(adapterName);
            n += a.a().size() + a.b().size();
        }
        return n;
    }

    public Method method() { return method; }
    public String name() { return name; }
    /** The model that answers for this result (for LoRA: the shared base holding the adapter). */
    public T5 model() { return model; }
    public String adapterName() { return adapterName; }
    public long trainableParameters() { return trainable; }
    public long totalParameters() { return total; }
    public double trainablePercent() { return total == 0 ? 0 : 100.0 * trainable / total; }
    public List<String> trainedModules() { return modules; }
    /** The training history, or null for an adapter loaded from disk. */
    public TrainingResult training() { return training; }
    public Provenance provenance() { return provenance; }

    /** Generates with this result: the LoRA adapter active, or the trained copy. */
    public List<String> generate(List<String> prompts) {
        if (adapterName != null) {
            LoraModel<T5Model> reg = model.adapters();
            String before = reg.active();
            reg.setActive(adapterName);
            try {
                return model.generateRaw(prompts, model.generationConfig());
            } finally {
                if (before != null && !before.equals(adapterName)) reg.setActive(before);
            }
        }
        return model.generateRaw(prompts, model.generationConfig());
    }

    public String generate(String prompt) { return generate(List.of(prompt)).get(0); }

    /** Corpus ROUGE of generated summaries for {@code data} (its prompt template applied), against every reference. */
    public RougeReport rouge(Dataset data) {
        return new CorpusRouge().evaluate(data.references(), generate(data.sources()));
    }

    /** The trained adapter, to save in Hugging Face PEFT's format. */
    public Adapter adapter() {
        return switch (method) {
            case LORA -> new Adapter(this, (dir, dtype) -> AdapterIO.save(model.adapters(), adapterName, dir, dtype, model.id()));
            case IA3 -> new Adapter(this, (dir, dtype) -> OtherAdapterIO.saveIa3(ia3, dir, dtype, model.id()));
            case PROMPT_TUNING -> new Adapter(this, (dir, dtype) -> OtherAdapterIO.savePrompt(prompt, dir, dtype, model.id()));
            default -> throw new UnsupportedOperationException(method.label() + " trains the model's own weights and has no adapter: "
                + "save the whole model with model().model().save(dir, dtype)");
        };
    }

    /** Parameter table: per trained module (or parameter group) and a total row with PEFT's numbers. */
    public Table parameters() {
        List<ParameterReport.ModuleRow> rows = new ArrayList<>();
        if (adapterName != null) {
            LoraModel<T5Model> reg = model.adapters();
            for (String m : reg.targetedModules(adapterName)) {
                var layer = reg.layers().get(m);
                var a = layer.adapters().get(adapterName);
                long base = 0;
                for (Parameter p : layer.base().parameters()) base += p.size();
                long ad = a.a().size() + a.b().size();
                rows.add(new ParameterReport.ModuleRow(m, "lora r=" + a.a().value().size(0),
                    layer.base().outFeatures() + "x" + layer.base().inFeatures(), ad, base + ad));
            }
        } else {
            for (String m : modules) {
                Parameter p = find(m);
                if (p != null) rows.add(new ParameterReport.ModuleRow(m, method.label(), shape(p), p.size(), p.size()));
            }
        }
        Table t = ParameterReport.model(name + ": " + ParameterReport.peftLine(trainable, total), rows);
        return t;
    }

    private Parameter find(String name) {
        for (Parameter p : model.model().parameters()) if (p.name().equals(name)) return p;
        return null;
    }

    private static String shape(Parameter p) {
        long[] s = p.value().shape();
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length; i++) b.append(i == 0 ? "" : "x").append(s[i]);
        return b.toString();
    }

    /** PEFT's {@code trainable params: ... || all params: ... || trainable%: ...} line. */
    public String parameterLine() { return ParameterReport.peftLine(trainable, total); }

    /** Loss per step (and eval loss per epoch when evaluated) as a chart. */
    public LineChart lossCurve() {
        Objects.requireNonNull(training, "a loaded adapter has no training history");
        double[] loss = training.stepLosses().stream().mapToDouble(Double::doubleValue).toArray();
        int epochs = Math.max(1, training.epochs().size());
        double[] eval = training.epochs().stream().mapToDouble(e -> e.eval().getOrDefault("loss", Double.NaN)).toArray();
        boolean anyEval = false;
        for (double v : eval) anyEval |= !Double.isNaN(v);
        return Charts.trainingCurves(loss, Math.max(1, loss.length / epochs), anyEval ? eval : null, anyEval ? "eval loss" : null);
    }

    /** The provenance as a table. */
    public Table toTable() { return provenance.toTable(); }

    @Override public String toString() {
        return name + " on " + model.id() + ": " + parameterLine()
            + (training == null ? "" : String.format(", %d steps, final loss %.4f, %.0f s", training.steps(), training.finalLoss(), training.wallSeconds()));
    }

    /** Writes an adapter folder. */
    @FunctionalInterface
    interface Saver { void save(Path dir, SafeTensors.Dtype dtype); }
}
