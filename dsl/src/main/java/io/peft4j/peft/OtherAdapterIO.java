package io.peft4j.peft;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.peft4j.hf.FileFormatException;
import io.peft4j.hf.PickleCheckpoints;
import io.peft4j.hf.SafeTensors;
import io.peft4j.model.LanguageModel;
import io.peft4j.model.t5.T5Model;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * (IA)^3 and prompt-tuning adapters in PEFT 0.21's layouts. IA3: tensors
 * {@code base_model.model.<module>.ia3_l} ([out, 1], or [1, in] for feed-forward modules);
 * prompt tuning: one tensor {@code prompt_embeddings} [n * num_transformer_submodules, d_model].
 */
public final class OtherAdapterIO {
    private static final Logger LOG = LoggerFactory.getLogger(OtherAdapterIO.class);
    private static final JsonNodeFactory F = JsonNodeFactory.instance;
    private static final Set<String> IA3_KEYS = Set.of("auto_mapping", "base_model_name_or_path", "exclude_modules",
        "fan_in_fan_out", "feedforward_modules", "inference_mode", "init_ia3_weights", "modules_to_save", "peft_type",
        "peft_version", "revision", "target_modules", "task_type");
    private static final Set<String> PROMPT_KEYS = Set.of("auto_mapping", "base_model_name_or_path", "inference_mode",
        "modules_to_save", "num_attention_heads", "num_layers", "num_transformer_submodules", "num_virtual_tokens",
        "peft_type", "peft_version", "prompt_tuning_init", "prompt_tuning_init_text", "revision", "task_type", "token_dim",
        "tokenizer_kwargs", "tokenizer_name_or_path");

    private OtherAdapterIO() {}

    // ------------------------------------------------------------------ IA3

    public static void saveIa3(Ia3Model<?> ia3, Path dir, SafeTensors.Dtype dtype, String baseModel) {
        Ia3Config c = ia3.config();
        TreeMap<String, JsonNode> m = common("IA3", baseModel, LoraConfigJson.taskType(ia3.model()));
        m.put("exclude_modules", F.nullNode());
        m.put("fan_in_fan_out", F.booleanNode(ia3.layers().keySet().stream().anyMatch(ia3.model()::fanInFanOut)));
        m.put("feedforward_modules", strings(c.feedforwardModules()));
        m.put("init_ia3_weights", F.booleanNode(true));
        m.put("modules_to_save", c.modulesToSave().isEmpty() ? F.nullNode() : strings(c.modulesToSave()));
        Targets t = TargetResolver.of(ia3.model()).toPeft(c.targets());
        m.put("target_modules", t instanceof Targets.Regex r ? F.textNode(r.pattern()) : strings(t.patterns()));
        Map<String, INDArray> tensors = new LinkedHashMap<>();
        for (Ia3Linear l : ia3.layers().values())
            tensors.put(AdapterIO.PREFIX + l.module() + ".ia3_l", l.vector().value().castTo(DataType.FLOAT));
        AdapterIO.writeConfig(dir, object(m));
        SafeTensors.write(dir.resolve(AdapterIO.WEIGHTS), tensors, Map.of("format", "pt"), dtype);
    }

    public static <M extends LanguageModel> Ia3Model<M> loadIa3(M model, Path dir) {
        JsonNode n = AdapterIO.readConfigJson(dir);
        Path cf = dir.resolve(AdapterIO.CONFIG);
        expectType(n, "IA3", cf);
        warnUnknown(n, IA3_KEYS, cf);
        AdapterIO.checkTaskType(n, model, cf);
        JsonNode fifo = n.get("fan_in_fan_out");
        if (fifo != null && !fifo.isNull() && !fifo.isBoolean()) throw new FileFormatException(cf, "fan_in_fan_out must be true or false, got " + fifo);
        if (!n.path("exclude_modules").isNull() && !n.path("exclude_modules").isMissingNode() && n.get("exclude_modules").size() > 0)
            throw new FileFormatException(cf, "exclude_modules = " + n.get("exclude_modules") + " is not supported");
        JsonNode tm = n.get("target_modules");
        Targets targets = tm == null || tm.isNull() ? Targets.of("k", "v", "wo")
            : tm.isTextual() ? Targets.fromPeftString(tm.asText()) : Targets.of(LoraConfigJson.stringList(tm, "target_modules", cf));
        JsonNode ff = n.get("feedforward_modules");
        List<String> ffm = ff == null || ff.isNull() ? List.of("wo") : ff.isTextual() ? List.of(ff.asText()) : LoraConfigJson.stringList(ff, "feedforward_modules", cf);
        JsonNode ms = n.get("modules_to_save");
        List<String> save = ms == null || ms.isNull() ? List.of() : LoraConfigJson.stringList(ms, "modules_to_save", cf);
        Ia3Config c;
        try { c = new Ia3Config(targets, ffm, save); } catch (IllegalArgumentException e) { throw new FileFormatException(cf, e.getMessage(), e); }
        Path wf = dir.resolve(AdapterIO.WEIGHTS);
        PickleCheckpoints.requireSafetensors(wf);
        Map<String, INDArray> tensors = SafeTensors.read(wf);
        // check before wrapping the model
        List<String> modules = TargetResolver.of(model).resolve(c.targets(), List.of(), List.of(), c.modulesToSave());
        AdapterIO.checkFanInFanOut(fifo, modules, model, cf);
        Map<String, long[]> expected = new LinkedHashMap<>();
        for (String m : modules) {
            var p = model.projections().get(m).get();
            expected.put(AdapterIO.PREFIX + m + ".ia3_l", c.isFeedforward(m) ? new long[]{1, p.inFeatures()} : new long[]{p.outFeatures(), 1});
        }
        checkTensors(wf, expected, tensors);
        Ia3Model<M> ia3 = Ia3Model.of(model, c);
        for (Ia3Linear l : ia3.layers().values()) l.vector().value().assign(tensors.get(AdapterIO.PREFIX + l.module() + ".ia3_l"));
        return ia3;
    }

    // ------------------------------------------------------------------ prompt tuning

    public static void savePrompt(PromptTuning pt, Path dir, SafeTensors.Dtype dtype, String baseModel) {
        var c = pt.model().config();
        TreeMap<String, JsonNode> m = common("PROMPT_TUNING", baseModel, "SEQ_2_SEQ_LM");
        m.put("modules_to_save", F.nullNode());
        m.put("num_attention_heads", F.numberNode(c.numHeads()));
        m.put("num_layers", F.numberNode(c.numLayers()));
        m.put("num_transformer_submodules", F.numberNode(1));
        m.put("num_virtual_tokens", F.numberNode(pt.numVirtualTokens()));
        // the TEXT init needs a tokenizer name to be re-created in PEFT; the stored values are what matters
        m.put("prompt_tuning_init", F.textNode("RANDOM"));
        m.put("prompt_tuning_init_text", F.nullNode());
        m.put("token_dim", F.numberNode(c.dModel()));
        m.put("tokenizer_kwargs", F.nullNode());
        m.put("tokenizer_name_or_path", F.nullNode());
        AdapterIO.writeConfig(dir, object(m));
        SafeTensors.write(dir.resolve(AdapterIO.WEIGHTS), Map.of("prompt_embeddings", pt.prompt().value().castTo(DataType.FLOAT)),
            Map.of("format", "pt"), dtype);
    }

    public static PromptTuning loadPrompt(T5Model model, Path dir) {
        JsonNode n = AdapterIO.readConfigJson(dir);
        Path cf = dir.resolve(AdapterIO.CONFIG);
        expectType(n, "PROMPT_TUNING", cf);
        warnUnknown(n, PROMPT_KEYS, cf);
        int nv = n.path("num_virtual_tokens").asInt(-1);
        if (nv <= 0) throw new FileFormatException(cf, "num_virtual_tokens must be a positive integer, got " + n.get("num_virtual_tokens"));
        JsonNode sub = n.get("num_transformer_submodules");
        int subs = sub == null || sub.isNull() ? 2 : sub.asInt();
        if (subs != 1)
            throw new FileFormatException(cf, "num_transformer_submodules = " + subs + ": peft4j prepends virtual tokens to the encoder only (needs 1)");
        JsonNode td = n.get("token_dim");
        if (td != null && !td.isNull() && td.asInt() != model.config().dModel())
            throw new FileFormatException(cf, "token_dim = " + td.asInt() + " but the model's d_model is " + model.config().dModel());
        Path wf = dir.resolve(AdapterIO.WEIGHTS);
        PickleCheckpoints.requireSafetensors(wf);
        Map<String, INDArray> tensors = SafeTensors.read(wf);
        checkTensors(wf, Map.of("prompt_embeddings", new long[]{nv, model.config().dModel()}), tensors);
        return PromptTuning.of(model, tensors.get("prompt_embeddings"));
    }

    // ------------------------------------------------------------------ shared

    private static TreeMap<String, JsonNode> common(String type, String baseModel, String taskType) {
        TreeMap<String, JsonNode> m = new TreeMap<>();
        m.put("auto_mapping", F.nullNode());
        m.put("base_model_name_or_path", baseModel == null ? F.nullNode() : F.textNode(baseModel));
        m.put("inference_mode", F.booleanNode(true));
        m.put("peft_type", F.textNode(type));
        m.put("peft_version", F.textNode("0.21.0"));
        m.put("revision", F.nullNode());
        m.put("task_type", F.textNode(taskType));
        return m;
    }

    private static ObjectNode object(TreeMap<String, JsonNode> m) {
        ObjectNode o = F.objectNode();
        m.forEach(o::set);
        return o;
    }

    private static ArrayNode strings(List<String> l) {
        ArrayNode a = F.arrayNode();
        l.forEach(a::add);
        return a;
    }

    private static void expectType(JsonNode n, String type, Path f) {
        String t = n.path("peft_type").asText("");
        if (!t.equals(type)) throw new FileFormatException(f, "peft_type is '" + t + "', expected \"" + type + "\"");
    }

    private static void warnUnknown(JsonNode n, Set<String> known, Path f) {
        Set<String> unknown = new LinkedHashSet<>();
        for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) { String k = it.next(); if (!known.contains(k)) unknown.add(k); }
        if (!unknown.isEmpty()) LOG.warn("{}: ignoring unknown adapter_config.json key(s) {}", f, unknown);
    }

    static void checkTensors(Path wf, Map<String, long[]> expected, Map<String, INDArray> tensors) {
        if (!Files.isRegularFile(wf)) throw new FileFormatException(wf, "missing");
        Set<String> missing = new LinkedHashSet<>(expected.keySet());
        missing.removeAll(tensors.keySet());
        Set<String> unexpected = new LinkedHashSet<>(tensors.keySet());
        unexpected.removeAll(expected.keySet());
        if (!missing.isEmpty() || !unexpected.isEmpty())
            throw new FileFormatException(wf, (missing.isEmpty() ? "" : "missing tensors " + missing + " ")
                + (unexpected.isEmpty() ? "" : "unexpected tensors " + unexpected));
        for (var e : expected.entrySet()) {
            long[] have = tensors.get(e.getKey()).shape();
            if (!Arrays.equals(have, e.getValue()))
                throw new FileFormatException(wf, "tensor '" + e.getKey() + "' has shape " + Arrays.toString(have)
                    + " but the model needs " + Arrays.toString(e.getValue()));
        }
    }
}
