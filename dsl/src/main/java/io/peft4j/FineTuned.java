package io.peft4j;

import io.peft4j.data.Dataset;
import io.peft4j.eval.CorpusRouge;
import io.peft4j.eval.RougeReport;
import io.peft4j.hf.SafeTensors;
import io.peft4j.model.Parameter;
import io.peft4j.model.Sampling;
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
 * trained parameters' counts, the training history and the {@link Provenance}. One small sealed
 * family of types, one per kind of result: {@link LoraResult} (an adapter living on the shared base
 * model, which {@link #generate} activates), {@link Ia3Result} and {@link PromptTuningResult}
 * (adapters trained on a copy of the base) and {@link FullResult} (full or selective fine-tuning of
 * a copy's own weights). The base itself never changes.
 */
public abstract sealed class FineTuned permits LoraResult, Ia3Result, PromptTuningResult, FullResult {
    private final Method method;
    private final String name;               // display name, e.g. "LoRA r=8"
    private final Model model;               // the base (LoRA) or the trained copy (other methods)
    private final long trainable;
    private final long total;
    private final List<String> modules;      // modules or parameters that were trained
    private final TrainingResult training;   // null for a loaded adapter
    private final Provenance provenance;

    FineTuned(Method method, String name, Model model, long trainable, long total, List<String> modules,
              TrainingResult training, Provenance provenance) {
        this.method = method; this.name = name; this.model = model;
        this.trainable = trainable; this.total = total;
        this.modules = List.copyOf(modules); this.training = training; this.provenance = provenance;
    }

    public Method method() { return method; }
    public String name() { return name; }
    /** The model that answers for this result (for LoRA: the shared base holding the adapter). */
    public Model model() { return model; }
    /** The LoRA adapter's name on {@link #model()}, or null for other methods. */
    public String adapterName() { return null; }
    public long trainableParameters() { return trainable; }
    public long totalParameters() { return total; }
    public double trainablePercent() { return total == 0 ? 0 : 100.0 * trainable / total; }
    public List<String> trainedModules() { return modules; }
    /** The training history, or null for an adapter loaded from disk. */
    public TrainingResult training() { return training; }
    public Provenance provenance() { return provenance; }

    /** Generates with this result: the LoRA adapter active, or the trained copy. */
    public List<String> generate(List<String> prompts) {
        return withThis(() -> model.generateRaw(prompts, model.generationConfig()));
    }

    public String generate(String prompt) { return generate(List.of(prompt)).get(0); }

    /** Samples one answer per prompt with this result, e.g. {@code generate(prompts, sampling(0.7).topP(0.9).seed(1))}. */
    public List<String> generate(List<String> prompts, Sampling sampling) {
        return withThis(() -> model.generateRaw(prompts, model.generationConfig().withSampling(sampling), null));
    }

    public String generate(String prompt, Sampling sampling) { return generate(List.of(prompt), sampling).get(0); }

    /** Generates one answer with this result, handing each new piece of text to {@code onText} as it is decoded. */
    public String stream(String prompt, java.util.function.Consumer<String> onText) {
        return withThis(() -> model.generateRaw(List.of(prompt), model.generationConfig(), onText)).get(0);
    }

    /** Runs {@code body} with this result active on its model (a LoRA adapter switched on; others: as is). */
    <T> T withThis(java.util.function.Supplier<T> body) { return body.get(); }

    /**
     * Folds a LoRA adapter into the base weights (W += scaling * B A, float32) and makes it the
     * active adapter; other methods have nothing to merge.
     */
    public FineTuned merge() {
        throw new UnsupportedOperationException("merge applies to LoRA adapters; this is " + method.label());
    }

    /** Takes a merged LoRA adapter out of the base weights again. */
    public FineTuned unmerge() {
        throw new UnsupportedOperationException("unmerge applies to LoRA adapters; this is " + method.label());
    }

    /** Corpus ROUGE of generated summaries for {@code data} (its prompt template applied), against every reference. */
    public RougeReport rouge(Dataset data) {
        return new CorpusRouge().evaluate(data.references(), generate(data.sources()));
    }

    /** The trained adapter, to save in Hugging Face PEFT's format. */
    public Adapter adapter() {
        throw new UnsupportedOperationException(method.label() + " trains the model's own weights and has no adapter: "
            + "save the whole model with model().model().save(dir, dtype)");
    }

    /** Per-module rows of the parameter table. */
    List<ParameterReport.ModuleRow> moduleRows() {
        List<ParameterReport.ModuleRow> rows = new ArrayList<>();
        for (String m : modules) {
            Parameter p = find(m);
            if (p != null) rows.add(new ParameterReport.ModuleRow(m, method.label(), shape(p), p.size(), p.size()));
        }
        return rows;
    }

    /** Parameter table: per trained module (or parameter group) and a total row with PEFT's numbers. */
    public Table parameters() {
        return ParameterReport.model(name + ", whole model: " + ParameterReport.peftLine(trainable, total)
            + "; rows: the trained modules, summed in the last row", moduleRows());
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
