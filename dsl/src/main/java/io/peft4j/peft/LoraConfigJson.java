package io.peft4j.peft;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.peft4j.hf.FileFormatException;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * {@link LoraConfig} to and from PEFT 0.21's {@code adapter_config.json} for {@code peft_type
 * "LORA"}. Writing produces PEFT 0.21's full key set (keys sorted, as PEFT writes them); reading
 * accepts PEFT's files: keys peft4j does not know are tolerated (reported in
 * {@link Parsed#unknownKeys()}), keys for features peft4j lacks (LoftQ, aLoRA, ...) must hold their
 * "off" value or reading fails naming the key.
 */
public final class LoraConfigJson {
    private LoraConfigJson() {}

    /** The result of reading: the config, the base model it names, and keys that were not understood. */
    public record Parsed(LoraConfig config, String baseModelNameOrPath, List<String> unknownKeys) {}

    /** Keys PEFT 0.21 writes that carry no meaning for inference here (informational). */
    static final Set<String> INFORMATIONAL = Set.of("auto_mapping", "base_model_name_or_path", "inference_mode",
        "peft_type", "peft_version", "revision", "task_type", "megatron_core", "qalora_group_size");

    /** Keys of features peft4j lacks: each must be absent, null, false, {} or [] (the value PEFT writes when off). */
    static final Set<String> MUST_BE_OFF = Set.of("alora_invocation_tokens", "arrow_config", "corda_config",
        "ensure_weight_tying", "eva_config", "exclude_modules", "kasa_config", "layer_replication",
        "loftq_config", "lora_bias", "lora_ga_config", "megatron_config", "monteclora_config", "target_parameters",
        "trainable_token_indices", "use_bdlora", "use_qalora", "velora_config");

    /** Keys read into {@link LoraConfig}. */
    static final Set<String> READ = Set.of("r", "lora_alpha", "lora_dropout", "target_modules", "bias", "use_rslora",
        "init_lora_weights", "layers_to_transform", "layers_pattern", "rank_pattern", "alpha_pattern", "modules_to_save", "use_dora",
        "fan_in_fan_out");   // fan_in_fan_out: checked against the model's modules by AdapterIO (PEFT corrects it per module)

    /** PEFT's {@code task_type} for adapters of {@code model}: SEQ_2_SEQ_LM (T5) or CAUSAL_LM (decoder-only). */
    public static String taskType(io.peft4j.model.LanguageModel model) { return model.encoderDecoder() ? "SEQ_2_SEQ_LM" : "CAUSAL_LM"; }

    /** Task types peft4j reads. */
    public static final Set<String> TASK_TYPES = Set.of("SEQ_2_SEQ_LM", "CAUSAL_LM");

    /** PEFT's adapter_config.json for a LoRA adapter of a T5 model (task_type SEQ_2_SEQ_LM). */
    public static ObjectNode toJson(LoraConfig c, Targets peftTargets, String baseModelNameOrPath) {
        return toJson(c, peftTargets, baseModelNameOrPath, "SEQ_2_SEQ_LM");
    }

    /** PEFT's adapter_config.json for a LoRA adapter on modules without Conv1D storage (fan_in_fan_out false). */
    public static ObjectNode toJson(LoraConfig c, Targets peftTargets, String baseModelNameOrPath, String taskType) {
        return toJson(c, peftTargets, baseModelNameOrPath, taskType, false);
    }

    /**
     * PEFT's adapter_config.json for a LoRA adapter (sorted keys, PEFT 0.21's set).
     *
     * @param taskType     {@code SEQ_2_SEQ_LM} or {@code CAUSAL_LM}
     * @param fanInFanOut  true when the targets are Conv1D modules (GPT-2), as PEFT records it
     */
    public static ObjectNode toJson(LoraConfig c, Targets peftTargets, String baseModelNameOrPath, String taskType, boolean fanInFanOut) {
        if (!TASK_TYPES.contains(taskType)) throw new IllegalArgumentException("task_type '" + taskType + "' is not one of " + TASK_TYPES);
        JsonNodeFactory f = JsonNodeFactory.instance;
        TreeMap<String, JsonNode> m = new TreeMap<>();
        for (String k : List.of("alora_invocation_tokens", "arrow_config", "auto_mapping", "corda_config", "eva_config",
            "exclude_modules", "kasa_config", "layer_replication", "lora_ga_config", "megatron_config",
            "monteclora_config", "revision", "target_parameters", "trainable_token_indices", "use_bdlora", "velora_config"))
            m.put(k, f.nullNode());
        m.put("ensure_weight_tying", f.booleanNode(false));
        m.put("fan_in_fan_out", f.booleanNode(fanInFanOut));
        m.put("lora_bias", f.booleanNode(false));
        m.put("use_dora", f.booleanNode(c.useDora()));
        m.put("use_qalora", f.booleanNode(false));
        m.put("loftq_config", f.objectNode());
        m.put("megatron_core", f.textNode("megatron.core"));
        m.put("qalora_group_size", f.numberNode(16));
        m.put("inference_mode", f.booleanNode(true));
        m.put("peft_type", f.textNode("LORA"));
        m.put("peft_version", f.textNode("0.21.0"));
        m.put("task_type", f.textNode(taskType));
        m.put("base_model_name_or_path", baseModelNameOrPath == null ? f.nullNode() : f.textNode(baseModelNameOrPath));
        m.put("r", f.numberNode(c.r()));
        m.put("lora_alpha", number(c.alpha()));
        m.put("lora_dropout", f.numberNode(c.dropout()));
        m.put("bias", f.textNode(c.bias()));
        m.put("use_rslora", f.booleanNode(c.useRslora()));
        String init = c.init().peftValue();
        m.put("init_lora_weights", init.equals("true") || init.equals("false") ? f.booleanNode(Boolean.parseBoolean(init)) : f.textNode(init));
        if (peftTargets instanceof Targets.Regex r) m.put("target_modules", f.textNode(r.pattern()));
        else m.put("target_modules", strings(peftTargets.patterns()));
        if (c.layersToTransform().isEmpty()) m.put("layers_to_transform", f.nullNode());
        else { ArrayNode a = f.arrayNode(); c.layersToTransform().forEach(a::add); m.put("layers_to_transform", a); }
        if (c.layersPattern().isEmpty()) m.put("layers_pattern", f.nullNode());
        else m.put("layers_pattern", c.layersPattern().size() == 1 ? f.textNode(c.layersPattern().get(0)) : strings(c.layersPattern()));
        ObjectNode rp = f.objectNode(); c.rankPattern().forEach(rp::put); m.put("rank_pattern", rp);
        ObjectNode ap = f.objectNode(); c.alphaPattern().forEach((k, v) -> ap.set(k, number(v))); m.put("alpha_pattern", ap);
        m.put("modules_to_save", c.modulesToSave().isEmpty() ? f.nullNode() : strings(c.modulesToSave()));
        ObjectNode out = f.objectNode();
        m.forEach(out::set);
        return out;
    }

    private static JsonNode number(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? JsonNodeFactory.instance.numberNode((long) v) : JsonNodeFactory.instance.numberNode(v);
    }

    private static ArrayNode strings(List<String> l) {
        ArrayNode a = JsonNodeFactory.instance.arrayNode();
        l.forEach(a::add);
        return a;
    }

    /** Reads a LoRA adapter_config.json tree; {@code file} is for messages. */
    public static Parsed fromJson(JsonNode n, Path file) {
        if (n == null || !n.isObject()) throw new FileFormatException(file, "adapter config is not a JSON object");
        String type = text(n, "peft_type", file);
        if (!"LORA".equals(type)) throw new FileFormatException(file, "peft_type is '" + type + "', expected \"LORA\"");
        List<String> unknown = new ArrayList<>();
        for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (MUST_BE_OFF.contains(k)) {
                JsonNode v = n.get(k);
                boolean off = v.isNull() || (v.isBoolean() && !v.asBoolean()) || (v.isContainerNode() && v.size() == 0);
                if (!off) throw new FileFormatException(file, "'" + k + "' = " + v + " is not supported by peft4j (only null/false/empty, i.e. the feature switched off)");
            } else if (!INFORMATIONAL.contains(k) && !READ.contains(k)) unknown.add(k);
        }
        String task = n.path("task_type").asText("SEQ_2_SEQ_LM");
        if (!n.path("task_type").isNull() && !TASK_TYPES.contains(task))
            throw new FileFormatException(file, "task_type is '" + task + "'; peft4j reads \"SEQ_2_SEQ_LM\" (T5) and \"CAUSAL_LM\" (decoder-only) adapters");
        JsonNode fifo = n.get("fan_in_fan_out");
        if (fifo != null && !fifo.isNull() && !fifo.isBoolean())
            throw new FileFormatException(file, "fan_in_fan_out must be true or false, got " + fifo);
        try {
            int r = intValue(n, "r", 8, file);
            double alpha = n.has("lora_alpha") && !n.get("lora_alpha").isNull() ? num(n, "lora_alpha", file) : 8;
            double dropout = n.has("lora_dropout") && !n.get("lora_dropout").isNull() ? num(n, "lora_dropout", file) : 0;
            JsonNode tm = n.get("target_modules");
            Targets targets;
            if (tm == null || tm.isNull()) targets = Targets.of("q", "v");           // PEFT's T5 default
            else if (tm.isTextual()) targets = Targets.fromPeftString(tm.asText());
            else if (tm.isArray()) targets = Targets.of(stringList(tm, "target_modules", file));
            else throw new FileFormatException(file, "target_modules must be a list of names or a regex string, got " + tm);
            LoraInit init = LoraInit.KAIMING;
            JsonNode iw = n.get("init_lora_weights");
            if (iw != null && !iw.isNull()) init = LoraInit.fromPeft(iw.asText());
            List<Integer> layers = new ArrayList<>();
            JsonNode lt = n.get("layers_to_transform");
            if (lt != null && !lt.isNull()) {
                if (lt.isInt()) layers.add(lt.asInt());
                else if (lt.isArray()) for (JsonNode x : lt) {
                    if (!x.isInt()) throw new FileFormatException(file, "layers_to_transform entries must be integers, got " + x);
                    layers.add(x.asInt());
                } else throw new FileFormatException(file, "layers_to_transform must be an integer or a list of integers, got " + lt);
            }
            List<String> pattern = new ArrayList<>();
            JsonNode lp = n.get("layers_pattern");
            if (lp != null && !lp.isNull()) {
                if (lp.isTextual()) pattern.add(lp.asText());
                else if (lp.isArray()) pattern.addAll(stringList(lp, "layers_pattern", file));
                else throw new FileFormatException(file, "layers_pattern must be a string or a list, got " + lp);
            }
            Map<String, Integer> rp = new LinkedHashMap<>();
            JsonNode rpn = n.get("rank_pattern");
            if (rpn != null && !rpn.isNull()) {
                if (!rpn.isObject()) throw new FileFormatException(file, "rank_pattern must be an object, got " + rpn);
                rpn.fields().forEachRemaining(e -> {
                    if (!e.getValue().isInt()) throw new FileFormatException(file, "rank_pattern['" + e.getKey() + "'] must be an integer, got " + e.getValue());
                    rp.put(e.getKey(), e.getValue().asInt());
                });
            }
            Map<String, Double> ap = new LinkedHashMap<>();
            JsonNode apn = n.get("alpha_pattern");
            if (apn != null && !apn.isNull()) {
                if (!apn.isObject()) throw new FileFormatException(file, "alpha_pattern must be an object, got " + apn);
                apn.fields().forEachRemaining(e -> {
                    if (!e.getValue().isNumber()) throw new FileFormatException(file, "alpha_pattern['" + e.getKey() + "'] must be a number, got " + e.getValue());
                    ap.put(e.getKey(), e.getValue().asDouble());
                });
            }
            JsonNode ms = n.get("modules_to_save");
            List<String> save = ms == null || ms.isNull() ? List.of() : stringList(ms, "modules_to_save", file);
            JsonNode b = n.get("bias");
            String bias = b == null || b.isNull() ? "none" : b.asText();
            JsonNode rs = n.get("use_rslora");
            if (rs != null && !rs.isNull() && !rs.isBoolean()) throw new FileFormatException(file, "use_rslora must be true or false, got " + rs);
            JsonNode dora = n.get("use_dora");
            if (dora != null && !dora.isNull() && !dora.isBoolean()) throw new FileFormatException(file, "use_dora must be true or false, got " + dora);
            LoraConfig c = new LoraConfig(r, alpha, dropout, targets, init, rs != null && rs.asBoolean(), layers, pattern, rp, ap, bias, save,
                dora != null && dora.asBoolean());
            JsonNode base = n.get("base_model_name_or_path");
            return new Parsed(c, base == null || base.isNull() ? null : base.asText(), unknown);
        } catch (IllegalArgumentException e) {
            throw new FileFormatException(file, e.getMessage(), e);
        }
    }

    private static String text(JsonNode n, String k, Path file) {
        JsonNode v = n.get(k);
        if (v == null || !v.isTextual()) throw new FileFormatException(file, "'" + k + "' must be a string, got " + v);
        return v.asText();
    }

    private static int intValue(JsonNode n, String k, int dflt, Path file) {
        JsonNode v = n.get(k);
        if (v == null || v.isNull()) return dflt;
        if (!v.isInt()) throw new FileFormatException(file, "'" + k + "' must be an integer, got " + v);
        return v.asInt();
    }

    private static double num(JsonNode n, String k, Path file) {
        JsonNode v = n.get(k);
        if (!v.isNumber()) throw new FileFormatException(file, "'" + k + "' must be a number, got " + v);
        return v.asDouble();
    }

    static List<String> stringList(JsonNode a, String k, Path file) {
        if (!a.isArray()) throw new FileFormatException(file, "'" + k + "' must be a list of strings, got " + a);
        List<String> out = new ArrayList<>();
        for (JsonNode x : a) {
            if (!x.isTextual()) throw new FileFormatException(file, "'" + k + "' entries must be strings, got " + x);
            out.add(x.asText());
        }
        return out;
    }
}
