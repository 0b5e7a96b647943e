package io.peft4j.peft;

import io.peft4j.model.Parameter;
import io.peft4j.model.ProjectionSlot;
import io.peft4j.model.LanguageModel;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * (IA)^3 applied to a model (one adapter): targeted slots hold {@link Ia3Linear}s, every base
 * parameter is frozen, only the vectors train. Mergeable like LoRA.
 */
public final class Ia3Model<M extends LanguageModel> {
    private final M model;
    private final Ia3Config config;
    private final Map<String, Ia3Linear> layers = new LinkedHashMap<>();

    private Ia3Model(M model, Ia3Config config) {
        this.model = model;
        this.config = config;
        for (Parameter p : model.parameters()) p.setTrainable(false);
        Map<String, ProjectionSlot> slots = model.projections();
        List<String> modules = TargetResolver.of(model).resolve(config.targets(), List.of(), List.of(), config.modulesToSave());
        for (String m : modules) {
            ProjectionSlot s = slots.get(m);
            if (s.get() instanceof PeftLayer) throw new IllegalStateException(m + " already holds a PEFT layer");
            Ia3Linear l = new Ia3Linear(m, s.get(), config.isFeedforward(m));
            s.set(l);
            layers.put(m, l);
        }
        for (Parameter p : model.parameters())
            for (String m : config.modulesToSave())
                if (ParameterCount.moduleOf(p.name()).equals(m) || ParameterCount.moduleOf(p.name()).endsWith("." + m)) p.setTrainable(true);
    }

    public static <M extends LanguageModel> Ia3Model<M> of(M model, Ia3Config config) { return new Ia3Model<>(model, config); }

    public M model() { return model; }
    public Ia3Config config() { return config; }
    public Map<String, Ia3Linear> layers() { return java.util.Collections.unmodifiableMap(layers); }

    public void merge() { layers.values().forEach(Ia3Linear::merge); }
    public void unmerge() { layers.values().forEach(Ia3Linear::unmerge); }

    public AdapterScope disableAdapters() {
        layers.values().forEach(l -> l.setDisabled(true));
        return () -> layers.values().forEach(l -> l.setDisabled(false));
    }

    /** Merges and restores the original projections; returns the plain model. */
    public M mergeAndUnload() {
        for (Map.Entry<String, Ia3Linear> e : layers.entrySet()) {
            if (!e.getValue().merged()) e.getValue().merge();
            model.projections().get(e.getKey()).set(e.getValue().base());
        }
        layers.clear();
        return model;
    }

    public ParameterCount trainableParameters() { return ParameterCount.of(model); }
}
