package io.peft4j;

import org.nd4j.linalg.factory.Nd4j;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How a result was made, in the manner of Tribuo's provenance: the base model and revision, the
 * method and its configuration, the modules it touched, the seed, a fingerprint of the training
 * data, the machine's threads and backend, the wall time. Renders itself as a two-column table.
 */
public record Provenance(String baseModel, String revision, String method, String config, List<String> targets,
                         long seed, String dataFingerprint, int examples, String training, int threads,
                         String backend, double wallSeconds, Instant created, String version) {

    public Provenance {
        targets = targets == null ? List.of() : List.copyOf(targets);
    }

    static Provenance of(Model base, String method, String config, List<String> targets, long seed, String fingerprint,
                         int examples, String training, double wallSeconds) {
        return new Provenance(base.id(), base.revision(), method, config, targets, seed, fingerprint, examples, training,
            currentThreads(), currentBackend(), wallSeconds, Instant.now(), Version.VERSION);
    }

    static int currentThreads() {
        String omp = System.getenv("OMP_NUM_THREADS");
        try { return omp == null ? Runtime.getRuntime().availableProcessors() : Integer.parseInt(omp.trim()); }
        catch (NumberFormatException e) { return Runtime.getRuntime().availableProcessors(); }
    }

    static String currentBackend() {
        String core = System.getenv("OPENBLAS_CORETYPE");
        return Nd4j.getBackend().getClass().getSimpleName() + (core == null || core.isBlank() ? "" : " (OpenBLAS " + core + ")");
    }

    /** Key/value pairs in display order. */
    public Map<String, String> asMap() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("base model", baseModel);
        m.put("revision", revision);
        m.put("method", method);
        m.put("config", config);
        m.put("targets", targets.size() <= 6 ? String.join(", ", targets)
            : String.join(", ", targets.subList(0, 6)) + ", ... (" + targets.size() + " modules)");
        m.put("seed", Long.toString(seed));
        m.put("data fingerprint", dataFingerprint);
        m.put("training examples", Integer.toString(examples));
        m.put("training", training);
        m.put("threads", Integer.toString(threads));
        m.put("backend", backend);
        m.put("wall time", String.format("%.1f s", wallSeconds));
        m.put("created", created.toString());
        m.put("peft4j", version);
        return m;
    }

    public Table toTable() {
        Map<String, String> m = asMap();
        return Table.create("provenance: " + method,
            StringColumn.create("property", m.keySet()), StringColumn.create("value", m.values()));
    }
}
