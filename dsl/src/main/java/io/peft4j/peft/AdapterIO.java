package io.peft4j.peft;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.peft4j.hf.AtomicFiles;
import io.peft4j.hf.FileFormatException;
import io.peft4j.hf.PickleCheckpoints;
import io.peft4j.hf.SafeTensors;
import io.peft4j.model.Parameter;
import io.peft4j.model.LanguageModel;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
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
 * LoRA adapters on disk in Hugging Face PEFT's layout: a folder with {@code adapter_config.json}
 * and {@code adapter_model.safetensors} whose tensors are named
 * {@code base_model.model.<module>.lora_A.weight} (A [r, in]) and {@code ...lora_B.weight}
 * (B [out, r]), for DoRA also {@code ...lora_magnitude_vector} ([out]), metadata
 * {@code {"format": "pt"}}; the adapter name is not part of the key. As
 * PEFT's {@code save_pretrained} does, the adapter "default" goes into the folder itself and any
 * other adapter into a sub-folder named after it.
 *
 * <p>Loading checks the file against the model: tensors missing or unexpected are an error naming
 * them; a shape that disagrees with the base layer names the module and both shapes.
 *
 * <p>OLoRA / PiSSA adapters: one saved as PEFT's plain {@code save_pretrained} writes it
 * ({@code init_lora_weights} "olora" / "pissa") loads by recomputing the residual base weights from
 * the base, as PEFT's loader does; one converted on save ({@link #saveConverted}, PEFT's
 * {@code path_initial_model_for_weight_conversion}) is a plain LoRA adapter of rank 2r and loads
 * onto the untouched base. An unconverted {@code pissa_niter_N} adapter is refused: its residual
 * depends on the random test matrix torch drew and cannot be recomputed.
 */
public final class AdapterIO {
    private static final Logger LOG = LoggerFactory.getLogger(AdapterIO.class);
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    public static final String CONFIG = "adapter_config.json";
    public static final String WEIGHTS = "adapter_model.safetensors";
    static final String PREFIX = "base_model.model.";

    private AdapterIO() {}

    /** The folder PEFT uses for an adapter: {@code dir} for "default", {@code dir/<name>} otherwise. */
    public static Path folderFor(Path dir, String adapter) {
        return LoraModel.DEFAULT.equals(adapter) ? dir : dir.resolve(adapter);
    }

    /** Saves every adapter of {@code lora} (F32 tensors), PEFT's folder layout. */
    public static void save(LoraModel<?> lora, Path dir) { save(lora, dir, SafeTensors.Dtype.F32, null); }

    /** Saves every adapter, tensors stored as {@code dtype} (F32, F16 or BF16). */
    public static void save(LoraModel<?> lora, Path dir, SafeTensors.Dtype dtype, String baseModelNameOrPath) {
        for (String name : lora.adapters().keySet()) save(lora, name, folderFor(dir, name), dtype, baseModelNameOrPath);
    }

    /** Saves one adapter into {@code dir} (exactly there, no sub-folder). */
    public static void save(LoraModel<?> lora, String adapter, Path dir, SafeTensors.Dtype dtype, String baseModelNameOrPath) {
        LoraConfig c = lora.config(adapter);
        Map<String, INDArray> t = new LinkedHashMap<>();
        for (String m : lora.targetedModules(adapter)) {
            LoraAdapter a = lora.layers().get(m).adapter(adapter);
            t.put(PREFIX + m + ".lora_A.weight", a.a().value().castTo(DataType.FLOAT));
            t.put(PREFIX + m + ".lora_B.weight", a.b().value().castTo(DataType.FLOAT));
            for (Map.Entry<String, Parameter> e : a.variant().savedTensors().entrySet())
                t.put(PREFIX + m + "." + e.getKey(), e.getValue().value().castTo(DataType.FLOAT));
        }
        for (Parameter p : modulesToSave(lora.model(), c)) t.put(PREFIX + p.name(), p.value().castTo(DataType.FLOAT));
        Targets peftTargets = TargetResolver.of(lora.model()).toPeft(c.targets());
        LanguageModel model = lora.model();
        boolean fanInFanOut = lora.targetedModules(adapter).stream().anyMatch(model::fanInFanOut);
        writeConfig(dir, LoraConfigJson.toJson(c, peftTargets, baseModelNameOrPath, LoraConfigJson.taskType(model), fanInFanOut));
        SafeTensors.write(dir.resolve(WEIGHTS), t, Map.of("format", "pt"), dtype);
    }

    /**
     * Saves an OLoRA / PiSSA adapter converted to a plain LoRA adapter for the untouched base, as
     * PEFT's {@code save_pretrained(dir, path_initial_model_for_weight_conversion=...)} does: the
     * adapter trained on the residual {@code W - s B0 A0} equals, on W itself, the LoRA pair
     * {@code A' = [A; A0]} [2r, in], {@code B' = [B, -B0]} [out, 2r]; the config doubles r (and
     * alpha, or multiplies it by sqrt(2) with rsLoRA, so the scaling stays), doubles the
     * rank_pattern / alpha_pattern values and sets {@code init_lora_weights} to true. Unlike PEFT,
     * which drops them, modules_to_save tensors are kept.
     *
     * @throws IllegalArgumentException for an adapter that did not replace base weights, for DoRA
     *         (a magnitude is no low-rank difference; PEFT would silently drop it) and for rsLoRA with
     *         rank or alpha patterns (PEFT refuses them too)
     */
    public static void saveConverted(LoraModel<?> lora, String adapter, Path dir, SafeTensors.Dtype dtype, String baseModelNameOrPath) {
        LoraConfig c = lora.config(adapter);
        if (!c.init().changesBaseWeight())
            throw new IllegalArgumentException("adapter '" + adapter + "' (init_lora_weights " + c.init().peftValue() + ") left the base weights unchanged: "
                + "it is a plain LoRA adapter already, save it with save(...)");
        if (c.useDora())
            throw new IllegalArgumentException("adapter '" + adapter + "' is DoRA: its magnitude vectors have no low-rank conversion for the untouched base "
                + "(PEFT would drop them); save it unconverted with save(...), it loads by recomputing the residual");
        if (c.useRslora() && (!c.rankPattern().isEmpty() || !c.alphaPattern().isEmpty()))
            throw new IllegalArgumentException("adapter '" + adapter + "': converting needs the scaling to survive doubling r, which PEFT "
                + "does not support for use_rslora together with rank_pattern or alpha_pattern");
        Map<String, Integer> rp = new LinkedHashMap<>();
        c.rankPattern().forEach((k, v) -> rp.put(k, 2 * v));
        Map<String, Double> ap = new LinkedHashMap<>();
        c.alphaPattern().forEach((k, v) -> ap.put(k, 2 * v));
        LoraConfig converted = c.withRank(2 * c.r()).withAlpha(c.useRslora() ? c.alpha() * Math.sqrt(2) : 2 * c.alpha())
            .withRankPattern(rp).withAlphaPattern(ap).withInit(LoraInit.KAIMING);
        Map<String, INDArray> t = new LinkedHashMap<>();
        for (String m : lora.targetedModules(adapter)) {
            LoraAdapter a = lora.layers().get(m).adapter(adapter);
            INDArray a0 = a.initialA(), b0 = a.initialB();
            t.put(PREFIX + m + ".lora_A.weight", Nd4j.concat(0, a.a().value().castTo(DataType.FLOAT), a0));
            t.put(PREFIX + m + ".lora_B.weight", Nd4j.concat(1, a.b().value().castTo(DataType.FLOAT), b0.neg()));
        }
        for (Parameter p : modulesToSave(lora.model(), c)) t.put(PREFIX + p.name(), p.value().castTo(DataType.FLOAT));
        Targets peftTargets = TargetResolver.of(lora.model()).toPeft(c.targets());
        writeConfig(dir, LoraConfigJson.toJson(converted, peftTargets, baseModelNameOrPath));
        SafeTensors.write(dir.resolve(WEIGHTS), t, Map.of("format", "pt"), dtype);
    }

    static void writeConfig(Path dir, JsonNode config) {
        try {
            AtomicFiles.writeString(dir.resolve(CONFIG), JSON.writeValueAsString(config) + "\n");
        } catch (IOException e) {
            throw new FileFormatException(dir.resolve(CONFIG), "cannot write: " + e.getMessage(), e);
        }
    }

    static List<Parameter> modulesToSave(LanguageModel model, LoraConfig c) {
        List<Parameter> out = new ArrayList<>();
        if (c.modulesToSave().isEmpty()) return out;
        for (Parameter p : ParameterCount.unique(model)) {
            String module = ParameterCount.moduleOf(p.name());
            if (p.name().contains(".lora_")) continue;
            for (String m : c.modulesToSave())
                if (module.equals(m) || module.endsWith("." + m)) { out.add(p); break; }
        }
        return out;
    }

    /** Reads and validates a folder's adapter_config.json as JSON. */
    public static JsonNode readConfigJson(Path dir) {
        Path f = dir.resolve(CONFIG);
        if (!Files.isRegularFile(f)) throw new FileFormatException(f, "missing: not a PEFT adapter folder (needs " + CONFIG + " and " + WEIGHTS + ")");
        try {
            if (Files.size(f) > 16 << 20) throw new FileFormatException(f, "is larger than 16 MiB; not an adapter config");
            return JSON.readTree(f.toFile());
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new FileFormatException(f, "is not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new FileFormatException(f, "cannot read: " + e.getMessage(), e);
        }
    }

    /** The {@code peft_type} of an adapter folder (LORA, IA3, PROMPT_TUNING, ...). */
    public static String peftType(Path dir) {
        JsonNode t = readConfigJson(dir).get("peft_type");
        if (t == null || !t.isTextual()) throw new FileFormatException(dir.resolve(CONFIG), "has no 'peft_type' string");
        return t.asText();
    }

    /** Reads a LoRA adapter_config.json; unknown keys are logged as a warning and listed in the result. */
    public static LoraConfigJson.Parsed readLoraConfig(Path dir) {
        LoraConfigJson.Parsed p = LoraConfigJson.fromJson(readConfigJson(dir), dir.resolve(CONFIG));
        if (!p.unknownKeys().isEmpty())
            LOG.warn("{}: ignoring unknown adapter_config.json key(s) {}", dir.resolve(CONFIG), p.unknownKeys());
        return p;
    }

    /**
     * PEFT's {@code fan_in_fan_out} says whether the targets store their weight [in, out] (GPT-2's
     * Conv1D). peft4j holds every weight [out, in] and A/B have the same shapes either way, so the flag
     * changes no number; like PEFT, a value that disagrees with the modules is corrected with a warning.
     */
    static void checkFanInFanOut(JsonNode value, List<String> modules, LanguageModel model, Path file) {
        boolean declared = value != null && value.asBoolean(false);
        List<String> conv = modules.stream().filter(model::fanInFanOut).toList();
        if (!declared && !conv.isEmpty())
            LOG.warn("{}: fan_in_fan_out is {} but the target module {} is a Conv1D (weight stored [in, out]); "
                + "using fan_in_fan_out = true, as PEFT does", file, value == null ? "missing" : value, conv.get(0));
        else if (declared && conv.isEmpty())
            LOG.warn("{}: fan_in_fan_out is true but the target modules are plain linear layers; using fan_in_fan_out = false, "
                + "as PEFT does", file);
    }

    /** A {@code task_type} that names the other kind of model (seq2seq vs causal) is an error naming both. */
    static void checkTaskType(JsonNode config, LanguageModel model, Path file) {
        JsonNode t = config.get("task_type");
        if (t == null || t.isNull()) return;
        String want = LoraConfigJson.taskType(model);
        if (LoraConfigJson.TASK_TYPES.contains(t.asText()) && !t.asText().equals(want))
            throw new FileFormatException(file, "task_type is '" + t.asText() + "' but the model is " + model.family()
                + ", which needs \"" + want + "\"");
    }

    /** Loads the adapter in {@code dir} onto {@code model} as "default" (base frozen, adapter active). */
    public static <M extends LanguageModel> LoraModel<M> loadLora(M model, Path dir) {
        LoraModel<M> lm = LoraModel.empty(model);
        loadLora(lm, LoraModel.DEFAULT, dir);
        lm.setActive(LoraModel.DEFAULT);
        return lm;
    }

    /** Loads the adapter in {@code dir} into {@code lora} under {@code name}. */
    public static void loadLora(LoraModel<?> lora, String name, Path dir) {
        LoraConfigJson.Parsed parsed = readLoraConfig(dir);
        checkTaskType(readConfigJson(dir), lora.model(), dir.resolve(CONFIG));
        Path wf = dir.resolve(WEIGHTS);
        if (!Files.isRegularFile(wf)) throw PickleCheckpoints.missing(wf, ": the adapter folder has a config but no weights");
        Map<String, INDArray> tensors = SafeTensors.read(wf);
        // check names and shapes before touching the model
        LoraConfig c = parsed.config();
        if (c.init() instanceof LoraInit.Pissa p && p.niter().isPresent())
            throw new FileFormatException(dir.resolve(CONFIG), "init_lora_weights = \"" + c.init().peftValue() + "\": this PiSSA adapter needs the "
                + "residual base weights its randomised SVD made, which depend on the random numbers torch drew and cannot be recomputed. "
                + "Convert it where it was made: PEFT's model.save_pretrained(OUT, path_initial_model_for_weight_conversion=INITIAL_ADAPTER_DIR) "
                + "writes a plain LoRA adapter (rank 2r) for the untouched base (peft4j: AdapterIO.saveConverted); or load it onto the "
                + "residual model saved at initialisation with init_lora_weights set to true in adapter_config.json");
        LanguageModel model = lora.model();
        List<String> modules;
        try {
            modules = TargetResolver.of(model)
                .resolve(c.targets(), c.layersToTransform(), c.layersPattern(), c.modulesToSave());
        } catch (IllegalArgumentException e) {   // e.g. NoMatchingTargetException: the config does not fit this model
            throw new FileFormatException(dir.resolve(CONFIG), e.getMessage(), e);
        }
        checkFanInFanOut(readConfigJson(dir).get("fan_in_fan_out"), modules, model, dir.resolve(CONFIG));
        Map<String, long[]> expected = new LinkedHashMap<>();
        for (String m : modules) {
            var p = model.projections().get(m).get();
            long in = p.inFeatures(), out = p.outFeatures();
            int r = c.rankFor(m);
            expected.put(PREFIX + m + ".lora_A.weight", new long[]{r, in});
            expected.put(PREFIX + m + ".lora_B.weight", new long[]{out, r});
            for (Map.Entry<String, long[]> e : c.variant().savedShapes(in, out).entrySet()) expected.put(PREFIX + m + "." + e.getKey(), e.getValue());
        }
        Map<String, Parameter> saveParams = new LinkedHashMap<>();
        for (Parameter p : modulesToSave(model, c)) {
            saveParams.put(PREFIX + p.name(), p);
            expected.put(PREFIX + p.name(), p.value().shape());
        }
        Set<String> missing = new LinkedHashSet<>(expected.keySet());
        missing.removeAll(tensors.keySet());
        Set<String> unexpected = new LinkedHashSet<>(tensors.keySet());
        unexpected.removeAll(expected.keySet());
        if (!missing.isEmpty() || !unexpected.isEmpty())
            throw new FileFormatException(wf, (missing.isEmpty() ? "" : "missing tensors " + missing + (unexpected.isEmpty() ? "" : "; "))
                + (unexpected.isEmpty() ? "" : "unexpected tensors " + unexpected)
                + " (the config targets " + modules.size() + " modules)");
        for (Map.Entry<String, long[]> e : expected.entrySet()) {
            long[] have = tensors.get(e.getKey()).shape();
            if (!Arrays.equals(have, e.getValue())) {
                String key = e.getKey().substring(PREFIX.length());
                int cut = key.lastIndexOf(".lora_");
                String module = cut < 0 ? ParameterCount.moduleOf(key) : key.substring(0, cut);
                var p = model.projections().get(module);
                String baseShape = p == null ? "" : " (base layer " + module + " weight is [" + p.get().outFeatures() + ", " + p.get().inFeatures() + "])";
                throw new FileFormatException(wf, "module " + module + ": tensor '" + e.getKey() + "' has shape "
                    + Arrays.toString(have) + " but the model needs " + Arrays.toString(e.getValue()) + baseShape);
            }
        }
        lora.addAdapter(name, c, 0L);           // OLoRA / PiSSA: recomputes the residual base weights, as PEFT's loader does
        for (String m : modules) {
            LoraAdapter a = lora.layers().get(m).adapter(name);
            a.a().value().assign(tensors.get(PREFIX + m + ".lora_A.weight"));
            a.b().value().assign(tensors.get(PREFIX + m + ".lora_B.weight"));
            for (Map.Entry<String, Parameter> e : a.variant().savedTensors().entrySet())
                e.getValue().value().assign(tensors.get(PREFIX + m + "." + e.getKey()));
        }
        saveParams.forEach((k, p) -> p.value().assign(tensors.get(k)));
    }
}
