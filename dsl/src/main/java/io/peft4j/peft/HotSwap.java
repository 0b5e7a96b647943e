package io.peft4j.peft;

import io.peft4j.hf.FileFormatException;
import io.peft4j.hf.PickleCheckpoints;
import io.peft4j.hf.SafeTensors;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Replaces a loaded LoRA adapter's weights in place with another adapter's, as PEFT's
 * {@code hotswap_adapter}: the model is not rebuilt, the adapter keeps its name, its layers and its
 * parameter objects (A and B are overwritten), and its scaling becomes the new adapter's (module by
 * module, so a different alpha, alpha_pattern or rsLoRA setting gives exactly the new adapter's
 * outputs). What cannot change in place is refused, naming the difference, before anything is
 * written: other target modules, other ranks, DoRA against plain LoRA, PiSSA / OLoRA (residual base
 * weights), another lora_dropout, modules_to_save, or an adapter that is merged into the base
 * weights. A DoRA adapter's magnitude vectors are swapped with its factors.
 */
public final class HotSwap {
    private HotSwap() {}

    /** Swaps in the PEFT-format adapter in {@code dir} (adapter_config.json + adapter_model.safetensors). */
    public static void fromFolder(LoraModel<?> lora, String name, Path dir) {
        lora.config(name);                                 // an unknown name fails before any file is read
        LoraConfig c = AdapterIO.readLoraConfig(dir).config();
        AdapterIO.checkTaskType(AdapterIO.readConfigJson(dir), lora.model(), dir.resolve(AdapterIO.CONFIG));
        Path wf = dir.resolve(AdapterIO.WEIGHTS);
        if (!Files.isRegularFile(wf)) throw PickleCheckpoints.missing(wf, ": the adapter folder has a config but no weights");
        Map<String, INDArray> raw = SafeTensors.read(wf);
        Map<String, INDArray> tensors = new LinkedHashMap<>();
        raw.forEach((k, v) -> tensors.put(k.startsWith(AdapterIO.PREFIX) ? k.substring(AdapterIO.PREFIX.length()) : k, v));
        try {
            apply(lora, name, c, tensors);
        } catch (IllegalArgumentException e) {
            throw new FileFormatException(dir, e.getMessage(), e);
        }
    }

    /**
     * Swaps in {@code config} with {@code tensors} keyed {@code <module>.lora_A.weight} [r, in] and
     * {@code <module>.lora_B.weight} [out, r] (PEFT's keys without {@code base_model.model.}).
     *
     * @throws IllegalArgumentException naming the difference when the new adapter does not fit in place
     * @throws IllegalStateException when the adapter is merged into the base weights
     */
    public static void apply(LoraModel<?> lora, String name, LoraConfig config, Map<String, INDArray> tensors) {
        LoraConfig old = lora.config(name);
        List<String> modules = lora.targetedModules(name);
        for (String m : modules)
            if (lora.layers().get(m).merged().contains(name))
                throw new IllegalStateException("cannot hot-swap adapter '" + name + "': it is merged into " + m
                    + "'s base weight; unmerge() first (swapping merged weights would corrupt the base)");
        List<String> wanted;
        try {
            wanted = TargetResolver.of(lora.model()).resolve(config.targets(), config.layersToTransform(), config.layersPattern(), config.modulesToSave());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("cannot hot-swap adapter '" + name + "': the new adapter's targets do not fit this model: " + e.getMessage(), e);
        }
        Set<String> missing = new LinkedHashSet<>(modules), extra = new LinkedHashSet<>(wanted);
        missing.removeAll(wanted);
        extra.removeAll(modules);
        if (!missing.isEmpty() || !extra.isEmpty())
            throw new IllegalArgumentException("cannot hot-swap adapter '" + name + "': the new adapter targets other modules ("
                + (missing.isEmpty() ? "" : "not " + few(missing) + (extra.isEmpty() ? "" : "; ")) + (extra.isEmpty() ? "" : "also " + few(extra))
                + "); a hot-swap keeps the layers, so load it as another adapter instead");
        List<String> ranks = new ArrayList<>();
        for (String m : modules) {
            int have = lora.layers().get(m).adapter(name).rank(), want = config.rankFor(m);
            if (have != want) ranks.add(m + ": r " + have + " -> " + want);
        }
        if (!ranks.isEmpty())
            throw new IllegalArgumentException("cannot hot-swap adapter '" + name + "': the new adapter has other ranks (" + few(ranks)
                + "); a hot-swap overwrites A and B in place, so shapes must match");
        List<String> kinds = new ArrayList<>();
        for (String m : modules) {
            LoraVariant v = lora.layers().get(m).adapter(name).variant();
            LoraVariant.Kind have = v instanceof Dora ? LoraVariant.Kind.DORA : LoraVariant.Kind.LORA;
            if (have != config.variant()) { kinds.add(have.label() + " -> " + config.variant().label()); break; }
        }
        if (!kinds.isEmpty())
            throw new IllegalArgumentException("cannot hot-swap adapter '" + name + "': " + kinds.get(0) + " (use_dora differs); "
                + "load it as another adapter instead");
        if (config.init().changesBaseWeight() || old.init().changesBaseWeight())
            throw new IllegalArgumentException("cannot hot-swap adapter '" + name + "': init_lora_weights " + old.init().peftValue() + " -> "
                + config.init().peftValue() + " replaces base weights by a residual; hot-swap plain LoRA or DoRA adapters (or converted ones)");
        if (config.dropout() != old.dropout())
            throw new IllegalArgumentException("cannot hot-swap adapter '" + name + "': lora_dropout " + old.dropout() + " -> " + config.dropout()
                + " (PEFT refuses it too); load it as another adapter instead");
        if (!config.modulesToSave().isEmpty() || !old.modulesToSave().isEmpty())
            throw new IllegalArgumentException("cannot hot-swap adapter '" + name + "': modules_to_save " + old.modulesToSave() + " -> "
                + config.modulesToSave() + "; a hot-swap replaces LoRA factors only");
        Map<String, INDArray[]> next = new LinkedHashMap<>();
        Set<String> unexpected = new LinkedHashSet<>(tensors.keySet());
        List<String> absent = new ArrayList<>();
        for (String m : modules) {
            LoraAdapter a = lora.layers().get(m).adapter(name);
            String ka = m + ".lora_A.weight", kb = m + ".lora_B.weight";
            unexpected.remove(ka);
            unexpected.remove(kb);
            INDArray av = tensors.get(ka), bv = tensors.get(kb);
            if (av == null) absent.add(ka);
            if (bv == null) absent.add(kb);
            if (av == null || bv == null) continue;
            check(name, ka, av.shape(), a.a().value().shape());
            check(name, kb, bv.shape(), a.b().value().shape());
            for (Map.Entry<String, io.peft4j.model.Parameter> e : a.variant().savedTensors().entrySet()) {   // DoRA: the magnitude
                String k = m + "." + e.getKey();
                unexpected.remove(k);
                if (tensors.get(k) == null) absent.add(k);
                else check(name, k, tensors.get(k).shape(), e.getValue().value().shape());
            }
            next.put(m, new INDArray[]{av, bv});
        }
        if (!absent.isEmpty() || !unexpected.isEmpty())
            throw new IllegalArgumentException("cannot hot-swap adapter '" + name + "': " + (absent.isEmpty() ? "" : "missing tensors " + few(absent))
                + (absent.isEmpty() || unexpected.isEmpty() ? "" : "; ") + (unexpected.isEmpty() ? "" : "unexpected tensors " + few(unexpected)));
        for (String m : modules) {
            LoraAdapter a = lora.layers().get(m).adapter(name);
            INDArray[] ab = next.get(m);
            a.a().value().assign(ab[0].castTo(a.a().value().dataType()));
            a.b().value().assign(ab[1].castTo(a.b().value().dataType()));
            a.setScaling(config.scalingFor(m));
            for (Map.Entry<String, io.peft4j.model.Parameter> e : a.variant().savedTensors().entrySet())
                e.getValue().value().assign(tensors.get(m + "." + e.getKey()).castTo(e.getValue().value().dataType()));
        }
        lora.swappedConfig(name, config);
        for (LoraLinear l : lora.layers().values())                 // an open mixed-batch scope re-reads the new weights
            if (l.rowAdapters() != null) l.setRowAdapters(l.rowAdapters());
    }

    private static void check(String name, String key, long[] have, long[] want) {
        if (!Arrays.equals(have, want))
            throw new IllegalArgumentException("cannot hot-swap adapter '" + name + "': tensor '" + key + "' has shape " + Arrays.toString(have)
                + " but the loaded adapter's is " + Arrays.toString(want));
    }

    /** At most five entries and how many more. */
    static String few(java.util.Collection<String> xs) {
        List<String> l = new ArrayList<>(xs);
        return l.size() <= 5 ? l.toString() : l.subList(0, 5) + " and " + (l.size() - 5) + " more";
    }
}
