package io.peft4j.model.llama;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.List;

/**
 * Rotary position embedding settings of a Llama-shaped model, as transformers standardizes them
 * from either config style: 4.x writes {@code rope_theta} at the top level and the scaling in
 * {@code rope_scaling} ({@code "type"} or {@code "rope_type"}); 5.x writes one
 * {@code rope_parameters} object holding {@code rope_type}, {@code rope_theta} and the scaling keys.
 * A {@code rope_scaling} object takes precedence over {@code rope_parameters}; a theta inside the
 * object over the top-level one; the default theta is 10000.
 *
 * <p>Supported types: {@code default}; {@code linear} (positions divided by {@code factor});
 * {@code llama3} (Llama 3.1 / 3.2: with L = {@code original_max_position_embeddings}, wavelengths
 * shorter than L / {@code high_freq_factor} stay, longer than L / {@code low_freq_factor} are
 * divided by {@code factor}, those between are interpolated).
 */
public record RopeConfig(String type, double theta, double factor, double lowFreqFactor, double highFreqFactor,
                         int originalMaxPositionEmbeddings) {
    public static final List<String> TYPES = List.of("default", "linear", "llama3");
    public static final double DEFAULT_THETA = 10_000.0;

    public RopeConfig {
        if (type == null || !TYPES.contains(type))
            throw new IllegalArgumentException("rope type '" + type + "' is not supported; supported rope types are " + TYPES);
        if (!(theta > 0) || Double.isInfinite(theta)) throw new IllegalArgumentException("rope_theta must be > 0, got " + theta);
        if (!type.equals("default") && !(factor > 0 && Double.isFinite(factor)))
            throw new IllegalArgumentException(type + " rope scaling needs a factor > 0, got " + factor);
        if (type.equals("llama3")) {
            if (!(lowFreqFactor > 0) || !(highFreqFactor > lowFreqFactor))
                throw new IllegalArgumentException("llama3 rope scaling needs 0 < low_freq_factor < high_freq_factor, got "
                    + lowFreqFactor + " and " + highFreqFactor);
            if (originalMaxPositionEmbeddings < 1)
                throw new IllegalArgumentException("llama3 rope scaling needs original_max_position_embeddings >= 1, got "
                    + originalMaxPositionEmbeddings);
        }
    }

    public static RopeConfig unscaled(double theta) { return new RopeConfig("default", theta, 1.0, 0, 0, 0); }

    /** Reads the rope settings of a config.json object (either style). */
    static RopeConfig fromJson(JsonNode n) {
        JsonNode scaling = nonNull(n.get("rope_scaling"));
        JsonNode params = scaling != null ? scaling : nonNull(n.get("rope_parameters"));
        if (params != null && !params.isObject())
            throw new IllegalArgumentException((scaling != null ? "rope_scaling" : "rope_parameters") + " must be an object, got " + params);
        double theta = LlamaConfig.d(n, "rope_theta", DEFAULT_THETA);
        if (params == null) return unscaled(theta);
        theta = LlamaConfig.d(params, "rope_theta", theta);
        JsonNode t = nonNull(params.get("rope_type"));
        if (t == null) t = nonNull(params.get("type"));
        String type = t == null ? "default" : t.asText();
        return new RopeConfig(type, theta, LlamaConfig.d(params, "factor", type.equals("default") ? 1.0 : Double.NaN),
            LlamaConfig.d(params, "low_freq_factor", 0), LlamaConfig.d(params, "high_freq_factor", 0),
            LlamaConfig.i(params, "original_max_position_embeddings", 0));
    }

    private static JsonNode nonNull(JsonNode v) { return v == null || v.isNull() ? null : v; }

    /** Writes the transformers-4.x form ({@code rope_theta}, {@code rope_scaling}), which 4.x and 5.x both read. */
    void writeJson(ObjectNode o) {
        o.put("rope_theta", theta);
        if (type.equals("default")) { o.putNull("rope_scaling"); return; }
        ObjectNode s = o.putObject("rope_scaling");
        s.put("rope_type", type);
        s.put("factor", factor);
        if (type.equals("llama3")) {
            s.put("low_freq_factor", lowFreqFactor);
            s.put("high_freq_factor", highFreqFactor);
            s.put("original_max_position_embeddings", originalMaxPositionEmbeddings);
        }
    }

    /**
     * The inverse frequencies [headDim / 2] computed in float32 as transformers does
     * ({@code 1 / theta^(2i/dim)}, then the type's scaling), returned as the exact float values.
     */
    public double[] inverseFrequencies(int headDim) {
        int half = headDim / 2;
        float[] inv = new float[half];
        for (int i = 0; i < half; i++) {
            float exponent = (float) (2 * i) / (float) headDim;
            inv[i] = 1f / (float) Math.pow(theta, exponent);
        }
        if (type.equals("linear")) for (int i = 0; i < half; i++) inv[i] = inv[i] / (float) factor;
        else if (type.equals("llama3")) {
            // float32 tensor arithmetic with Python scalars cast to float, as transformers' _compute_llama3_parameters
            float f = (float) factor, lo = (float) lowFreqFactor, span = (float) (highFreqFactor - lowFreqFactor);
            float old = originalMaxPositionEmbeddings;
            float lowWavelen = (float) (originalMaxPositionEmbeddings / lowFreqFactor);
            float highWavelen = (float) (originalMaxPositionEmbeddings / highFreqFactor);
            for (int i = 0; i < half; i++) {
                float wavelen = (float) (2 * Math.PI) / inv[i];
                float scaled = wavelen > lowWavelen ? inv[i] / f : inv[i];
                if (!(wavelen < highWavelen) && !(wavelen > lowWavelen)) {
                    float smooth = (old / wavelen - lo) / span;
                    scaled = (1 - smooth) * scaled / f + smooth * scaled;
                }
                inv[i] = scaled;
            }
        }
        double[] out = new double[half];
        for (int i = 0; i < half; i++) out[i] = inv[i];
        return out;
    }
}
