package io.peft4j.peft;

import io.peft4j.model.Parameter;
import io.peft4j.model.Projection;
import io.peft4j.model.ProjectionSlot;
import io.peft4j.model.LanguageModel;
import tech.tablesaw.api.Table;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.regex.Pattern;

/**
 * LoRA applied to a model, like PEFT's {@code PeftModel} around a {@code LoraModel}: the targeted
 * projection slots hold {@link LoraLinear}s, the base weights are frozen, and only the active
 * adapter's A and B (plus any {@code modules_to_save}) train.
 *
 * <p>Several named adapters can live on one model: {@link #addAdapter}, {@link #setActive},
 * {@link #deleteAdapter}; {@link #disableAdapters()} turns them all off for a try-with-resources
 * scope; {@link #rowAdapters} runs a batch whose rows use different adapters (inference).
 * {@link #merge()} folds the active adapter into the base weights and {@link #unmerge()} takes it
 * out again; {@link #mergeAndUnload()} returns the plain model with merged weights.
 *
 * <pre>{@code
 * var lora = LoraModel.of(t5, LoraConfig.of("attn.q", "attn.v").withRank(8).withAlpha(16), 42);
 * System.out.println(lora.trainableParameters());   // trainable params: ... || all params: ... || trainable%: ...
 * }</pre>
 *
 * @param <M> the model type, returned unchanged by {@link #mergeAndUnload()}
 */
public final class LoraModel<M extends LanguageModel> {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(LoraModel.class);
    public static final String DEFAULT = "default";

    private final M model;
    private final Map<String, LoraConfig> configs = new LinkedHashMap<>();
    private final Map<String, List<String>> targeted = new LinkedHashMap<>();
    private final Map<String, LoraLinear> layers = new LinkedHashMap<>();   // module -> layer, model order
    private String active;

    private LoraModel(M model) {
        this.model = model;
        for (Parameter p : model.parameters()) p.setTrainable(false);
    }

    /** Wraps a model: freezes every base parameter and adds {@code config} as the active adapter "default". */
    public static <M extends LanguageModel> LoraModel<M> of(M model, LoraConfig config, long seed) {
        LoraModel<M> lm = new LoraModel<>(model);
        lm.addAdapter(DEFAULT, config, seed);
        lm.setActive(DEFAULT);
        return lm;
    }

    /** Wraps a model without an adapter yet (base frozen); add adapters next. */
    public static <M extends LanguageModel> LoraModel<M> empty(M model) { return new LoraModel<>(model); }

    public M model() { return model; }

    /**
     * Adds a named adapter on the modules its config targets (inactive unless it is the first).
     * Values are drawn from {@code seed} and the module name, so they do not depend on other adapters.
     *
     * @throws NoMatchingTargetException when the targets select no module
     */
    public LoraModel<M> addAdapter(String name, LoraConfig config, long seed) {
        if (name == null || name.isBlank() || name.contains("/") || name.contains(".") || name.contains(".."))
            throw new IllegalArgumentException("adapter name '" + name + "' is invalid: use a non-empty name without '.' or '/'");
        if (configs.containsKey(name)) throw new IllegalArgumentException("an adapter named '" + name + "' exists already (have " + configs.keySet() + ")");
        Map<String, ProjectionSlot> slots = model.projections();
        TargetResolver res = TargetResolver.of(model);
        List<String> modules = res.resolve(config.targets(), config.layersToTransform(), config.layersPattern(), config.modulesToSave());
        boolean residual = config.init().changesBaseWeight();
        for (LoraConfig c : configs.values()) residual |= c.init().changesBaseWeight();
        if (residual && !configs.isEmpty())
            LOG.warn("adapter '{}' joins {} on one model, and an OLoRA / PiSSA adapter among them replaces base weights by residuals "
                + "that the others see too (PEFT warns the same): convert it to a plain LoRA adapter (AdapterIO.saveConverted) "
                + "to use it beside others", name, configs.keySet());
        for (String m : modules) {
            Projection p = slots.get(m).get();
            if (!(p instanceof LoraLinear) && p instanceof PeftLayer)
                throw new IllegalStateException(m + " already holds another PEFT layer (" + p.getClass().getSimpleName() + ")");
            long most = Math.min(p.inFeatures(), p.outFeatures());
            if (config.init().changesBaseWeight() && config.rankFor(m) > most)      // before any base weight becomes a residual
                throw new IllegalArgumentException(m + ": r = " + config.rankFor(m) + " is too large for init_lora_weights " + config.init().peftValue()
                    + " on its [" + p.outFeatures() + ", " + p.inFeatures() + "] weight: allowed r <= " + most);
        }
        List<String> wrapped = new ArrayList<>(), added = new ArrayList<>();
        try {
            for (String m : modules) {
                ProjectionSlot slot = slots.get(m);
                LoraLinear layer = layers.get(m);
                if (layer == null) {
                    layer = new LoraLinear(m, slot.get());
                    slot.set(layer);
                    layers.put(m, layer);
                    wrapped.add(m);
                }
                SplittableRandom rng = new SplittableRandom(seed ^ (m.hashCode() * 0x9E3779B97F4A7C15L));
                LoraAdapter a = layer.addAdapter(name, config.rankFor(m), config.scalingFor(m), config.dropout(), config.init(), config.variant(), rng);
                added.add(m);
                for (Parameter q : a.parameters()) q.setTrainable(false);
            }
        } catch (RuntimeException e) {                      // leave the model as it was (residuals already made stay, as in PEFT)
            for (String m : added) layers.get(m).deleteAdapter(name);
            for (String m : wrapped) { slots.get(m).set(layers.get(m).base()); layers.remove(m); }
            throw e;
        }
        configs.put(name, config);
        targeted.put(name, List.copyOf(modules));
        if (active == null) setActive(name);
        return this;
    }

    /** Makes one adapter active and trainable (the others stay, frozen and unused), as PEFT's {@code set_adapter}. */
    public void setActive(String name) {
        config(name);
        for (LoraLinear l : layers.values()) {
            l.setActive(l.adapters().containsKey(name) ? List.of(name) : List.of());
            for (LoraAdapter a : l.adapters().values()) {
                boolean on = a.name().equals(name);
                for (Parameter p : a.parameters()) p.setTrainable(on);
            }
        }
        for (Parameter p : model.parameters()) if (isModuleToSave(p, configs.get(name))) p.setTrainable(true);
        active = name;
    }

    private static boolean isModuleToSave(Parameter p, LoraConfig c) {
        String module = ParameterCount.moduleOf(p.name());
        for (String m : c.modulesToSave())
            if (Pattern.compile("(^|.*\\.)" + Pattern.quote(m) + "($|\\..*)").matcher(module).matches()) return true;
        return false;
    }

    public String active() { return active; }

    public Map<String, LoraConfig> adapters() { return java.util.Collections.unmodifiableMap(configs); }

    public LoraConfig config(String name) {
        LoraConfig c = configs.get(name);
        if (c == null) throw new IllegalArgumentException("no adapter named '" + name + "' (have " + configs.keySet() + ")");
        return c;
    }

    /** Modules an adapter wraps, in model order. */
    public List<String> targetedModules(String name) { config(name); return targeted.get(name); }

    /** The LoRA layers by module name. */
    public Map<String, LoraLinear> layers() { return java.util.Collections.unmodifiableMap(layers); }

    /**
     * Removes an adapter; layers left without adapters get their original projection back. The base
     * weights an OLoRA / PiSSA adapter replaced keep their residual values, as in PEFT.
     */
    public void deleteAdapter(String name) {
        LoraConfig c = config(name);
        if (c.init().changesBaseWeight())
            LOG.warn("deleting adapter '{}' ({}): its {} modules keep the residual base weights it made", name, c.init().peftValue(), targeted.get(name).size());
        for (String m : targeted.get(name)) {
            LoraLinear l = layers.get(m);
            l.deleteAdapter(name);
            if (l.adapters().isEmpty()) {
                model.projections().get(m).set(l.base());
                layers.remove(m);
            }
        }
        configs.remove(name);
        targeted.remove(name);
        if (name.equals(active)) {
            active = null;
            if (!configs.isEmpty()) setActive(configs.keySet().iterator().next());
        }
    }

    /** Within the scope every LoRA layer computes its base projection only (merged adapters are unmerged first). */
    public AdapterScope disableAdapters() {
        for (LoraLinear l : layers.values()) l.setDisabled(true);
        return () -> { for (LoraLinear l : layers.values()) l.setDisabled(false); };
    }

    /**
     * Within the scope, row b of each batch uses adapter {@code perRow[b]} ({@code null}: base
     * model). Inference only; the batch size must equal {@code perRow.length}.
     */
    public AdapterScope rowAdapters(String... perRow) {
        for (String n : perRow) if (n != null) config(n);
        for (LoraLinear l : layers.values()) {
            String[] mine = new String[perRow.length];
            for (int i = 0; i < perRow.length; i++) mine[i] = perRow[i] != null && l.adapters().containsKey(perRow[i]) ? perRow[i] : null;
            l.setRowAdapters(mine);
        }
        return () -> { for (LoraLinear l : layers.values()) l.setRowAdapters(null); };
    }

    /** Folds the active adapter into the base weights (float32); merging twice warns and does nothing. */
    public void merge() { for (LoraLinear l : layers.values()) l.merge(); }

    /** Takes merged adapters out of the base weights again. */
    public void unmerge() { for (LoraLinear l : layers.values()) l.unmerge(); }

    /**
     * Merges the active adapter and puts the original projections back: the returned model is
     * plain (no LoRA layers) with merged weights. This wrapper is empty afterwards.
     */
    public M mergeAndUnload() {
        merge();
        return unload();
    }

    /** Puts the original projections back without merging (adapters discarded). */
    public M unload() {
        for (Map.Entry<String, LoraLinear> e : layers.entrySet()) model.projections().get(e.getKey()).set(e.getValue().base());
        layers.clear();
        configs.clear();
        targeted.clear();
        active = null;
        return model;
    }

    /** PEFT's {@code print_trainable_parameters()} numbers for the model as it is now. */
    public ParameterCount trainableParameters() { return ParameterCount.of(model); }

    /** Per-module table: module, base params, adapter params, trainable. */
    public Table moduleTable() { return ParameterCount.moduleTable(model); }

    /** The active adapter's trainable parameters (A and B of every layer, DoRA's magnitudes, modules_to_save). */
    public List<Parameter> trainable() {
        List<Parameter> out = new ArrayList<>();
        for (Parameter p : ParameterCount.unique(model)) if (p.trainable()) out.add(p);
        return out;
    }
}
