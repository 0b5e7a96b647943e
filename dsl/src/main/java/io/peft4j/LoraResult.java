package io.peft4j;

import io.peft4j.model.LanguageModel;
import io.peft4j.model.Parameter;
import io.peft4j.peft.AdapterIO;
import io.peft4j.peft.LoraModel;
import io.peft4j.report.ParameterReport;
import io.peft4j.train.TrainingResult;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A LoRA (or DoRA) adapter living by name on the shared base model: {@link #generate} activates it,
 * {@link #merge()} folds it into the base weights and {@link #unmerge()} takes it out again. An
 * OLoRA / PiSSA adapter, whose initialisation replaced base weights by residuals, lives on its own
 * copy of the base instead ({@link #model()}), so the shared base never changes.
 */
public final class LoraResult extends FineTuned {
    private final String adapterName;

    LoraResult(String name, Model base, String adapterName, long trainable, long total, List<String> modules,
               TrainingResult training, Provenance provenance) {
        super(Method.LORA, name, base, trainable, total, modules, training, provenance);
        this.adapterName = adapterName;
    }

    static LoraResult loaded(Model base, String adapterName, Path dir) {
        LoraModel<LanguageModel> reg = base.adapters();
        long adapterParams = adapterParameterCount(reg, adapterName);
        var cfg = reg.config(adapterName);
        List<String> mods = reg.targetedModules(adapterName);
        Provenance p = Provenance.of(base, Peft.variant(cfg, 0) + " (loaded from " + dir + ")", cfg.toString(), mods, 0, "-", 0, "-", 0);
        return new LoraResult(cfg.variant().label() + " " + adapterName, base, adapterName, adapterParams, base.parameterCount() + adapterParams, mods, null, p);
    }

    /** The adapter's parameters on every module it wraps: A, B and, for DoRA, the magnitude vectors. */
    static long adapterParameterCount(LoraModel<LanguageModel> reg, String adapterName) {
        long n = 0;
        for (String m : reg.targetedModules(adapterName)) n += reg.layers().get(m).adapters().get(adapterName).parameterCount();
        return n;
    }

    @Override public String adapterName() { return adapterName; }

    @Override <T> T withThis(java.util.function.Supplier<T> body) {
        LoraModel<LanguageModel> reg = model().adapters();
        String before = reg.active();
        reg.setActive(adapterName);
        try {
            return body.get();
        } finally {
            if (before != null && !before.equals(adapterName)) reg.setActive(before);
        }
    }

    @Override public LoraResult merge() {
        LoraModel<LanguageModel> reg = model().adapters();
        reg.setActive(adapterName);
        reg.merge();
        return this;
    }

    @Override public LoraResult unmerge() {
        model().adapters().unmerge();
        return this;
    }

    /**
     * PEFT's {@code merge_and_unload()}: a new model (a copy of the base) with this adapter folded into
     * its weights (W + scaling * B A, float32) and no LoRA layers left, ready to {@link Model#save} as a
     * plain Hugging Face model. The shared base and its adapters are left as they are.
     */
    public Model mergeAndUnload() {
        LoraModel<LanguageModel> reg = model().adapters();
        boolean alreadyInBase = false;
        for (var layer : reg.layers().values()) {
            for (String merged : layer.merged()) {
                if (!merged.equals(adapterName))
                    throw new IllegalStateException("adapter '" + merged + "' is merged into the base weights: unmerge it first");
                alreadyInBase = true;
            }
        }
        Model copy = model().copy();                       // the base weights as they are now, no adapters
        LoraModel<LanguageModel> mine = LoraModel.empty(copy.model());
        mine.addAdapter(adapterName, reg.config(adapterName), 0);
        for (String m : mine.targetedModules(adapterName)) {
            var from = reg.layers().get(m).adapter(adapterName);
            var to = mine.layers().get(m).adapter(adapterName);
            to.a().value().assign(from.a().value());
            to.b().value().assign(from.b().value());
        }
        mine.setActive(adapterName);
        if (alreadyInBase) mine.unload(); else mine.mergeAndUnload();
        return copy;
    }

    /** {@link #mergeAndUnload()} saved as a complete Hugging Face model folder; returns the folder. */
    public Path saveMerged(Path dir) { return mergeAndUnload().save(dir); }

    public Path saveMerged(String dir) { return saveMerged(Path.of(dir)); }

    /**
     * The adapter in PEFT's format. An OLoRA / PiSSA adapter is saved converted to a plain LoRA
     * adapter of rank 2r ({@link AdapterIO#saveConverted}, PEFT's
     * {@code path_initial_model_for_weight_conversion}), which loads onto the untouched base.
     */
    @Override public Adapter adapter() {
        LoraModel<LanguageModel> reg = model().adapters();
        boolean residual = reg.config(adapterName).init().changesBaseWeight();
        return new Adapter(this, (dir, dtype) -> {
            if (residual) AdapterIO.saveConverted(reg, adapterName, dir, dtype, model().id());
            else AdapterIO.save(reg, adapterName, dir, dtype, model().id());
        });
    }

    @Override List<ParameterReport.ModuleRow> moduleRows() {
        List<ParameterReport.ModuleRow> rows = new ArrayList<>();
        LoraModel<LanguageModel> reg = model().adapters();
        for (String m : reg.targetedModules(adapterName)) {
            var layer = reg.layers().get(m);
            var a = layer.adapters().get(adapterName);
            long base = 0;
            for (Parameter p : layer.base().parameters()) base += p.size();
            long ad = a.parameterCount();                 // A, B and DoRA's magnitude
            rows.add(new ParameterReport.ModuleRow(m, a.variant().label().toLowerCase(java.util.Locale.ROOT) + " r=" + a.rank(),
                layer.base().outFeatures() + "x" + layer.base().inFeatures(), ad, base + ad));
        }
        return rows;
    }
}
