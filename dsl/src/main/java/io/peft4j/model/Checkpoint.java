package io.peft4j.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.peft4j.hf.FileFormatException;
import io.peft4j.hf.PickleCheckpoints;
import io.peft4j.hf.SafeTensors;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;

/**
 * Reading a Hugging Face-layout checkpoint into a model's named parameters, for every family:
 * finding the weight files ({@code model.safetensors}, or the shards a
 * {@code model.safetensors.index.json} names), refusing a config that describes far more
 * parameters than the files hold (before anything is allocated), and copying tensors into
 * {@link Parameter}s by state-dict name with every name and shape checked first.
 *
 * <p>Floating tensors may be stored as F32, F16, BF16 (or F64); they are widened exactly and cast
 * to the parameter's type. A tensor whose shape disagrees with the config is an error naming the
 * tensor, its shape in the file and the shape the config needs; a required tensor absent from every
 * file is an error naming it and its expected shape. Tensors the model does not use are returned
 * (for a warning) unless {@code ignorable} accepts them (legacy buffers such as
 * {@code rotary_emb.inv_freq}, a tied model's redundant {@code lm_head.weight}).
 */
public final class Checkpoint {
    private Checkpoint() {}

    private static final Set<SafeTensors.Dtype> FLOATING =
        EnumSet.of(SafeTensors.Dtype.F32, SafeTensors.Dtype.F16, SafeTensors.Dtype.BF16, SafeTensors.Dtype.F64);

    /** {@code dir/model.safetensors}, else the shards of {@code dir/model.safetensors.index.json} (sorted, each once). */
    public static List<Path> weightFiles(Path dir) {
        Path single = dir.resolve("model.safetensors");
        if (Files.isRegularFile(single)) return List.of(single);
        Path index = dir.resolve("model.safetensors.index.json");
        if (!Files.isRegularFile(index))
            throw PickleCheckpoints.missing(single, " (and no model.safetensors.index.json in " + dir + ")");
        try {
            JsonNode root = new ObjectMapper().readTree(index.toFile());
            JsonNode map = root == null ? null : root.get("weight_map");
            if (map == null || !map.isObject()) throw new FileFormatException(index, "has no 'weight_map' object");
            TreeSet<String> shards = new TreeSet<>();
            map.fields().forEachRemaining(e -> shards.add(e.getValue().asText()));
            if (shards.isEmpty()) throw new FileFormatException(index, "'weight_map' names no shard files");
            List<Path> out = new ArrayList<>();
            for (String s : shards) {
                Path p = dir.resolve(s).normalize();
                if (!p.startsWith(dir.normalize())) throw new FileFormatException(index, "shard '" + s + "' points outside the folder");
                if (!Files.isRegularFile(p)) throw new FileFormatException(index, "shard '" + s + "' is missing");
                out.add(p);
            }
            return out;
        } catch (IOException e) {
            throw new FileFormatException(index, "cannot read: " + e.getMessage(), e);
        }
    }

    /**
     * Refuses a config whose dimensions need far more values than the weight files hold, before
     * anything is allocated (a hostile config.json could otherwise ask for terabytes).
     *
     * @param needed the parameter count the config describes; a supplier may throw ArithmeticException on overflow
     */
    public static void checkSize(Path cfg, java.util.function.LongSupplier needed, List<Path> files) {
        long available = 0;
        for (Path f : files)
            for (SafeTensors.Entry e : SafeTensors.header(f).entries().values()) available += e.elements();
        long n;
        try {
            n = needed.getAsLong();
        } catch (ArithmeticException e) {
            throw new FileFormatException(cfg, "dimensions describe more than 2^63 parameters");
        }
        // small differences fall through to the per-tensor checks, which name the missing tensor; this
        // only stops configs far out of line with their weights (allocation stays within 2x the file + 4 MiB)
        if (n > 2 * available + (1L << 20))
            throw new FileFormatException(cfg, "describes a model of " + n + " parameters but the weight files "
                + files + " hold only " + available + " values (config and weights do not belong together)");
    }

    /**
     * Copies every tensor of {@code files} that names a parameter of {@code params} into it. Every
     * name, shape and dtype is checked against the headers before any tensor data is read.
     *
     * @param ignorable names not in {@code params} that are expected and skipped silently
     * @return names in the files that are neither parameters nor ignorable (the caller may warn)
     * @throws FileFormatException for a mis-shaped or non-floating tensor, or a parameter no file holds
     */
    public static List<String> load(List<Path> files, Map<String, Parameter> params, Predicate<String> ignorable) {
        Map<String, Path> where = new LinkedHashMap<>();
        List<String> unexpected = new ArrayList<>();
        for (Path f : files) {
            for (SafeTensors.Entry e : SafeTensors.header(f).entries().values()) {
                String k = e.name();
                Parameter p = params.get(k);
                if (p == null) {
                    if (!ignorable.test(k)) unexpected.add(k);
                    continue;
                }
                if (!Arrays.equals(e.shape(), p.value().shape()))
                    throw new FileFormatException(f, "tensor '" + k + "' has shape " + Arrays.toString(e.shape())
                        + " but the config needs " + Arrays.toString(p.value().shape()));
                if (!FLOATING.contains(e.dtype()))
                    throw new FileFormatException(f, "tensor '" + k + "' is stored as " + e.dtype()
                        + "; weights must be F32, F16, BF16 or F64");
                if (where.containsKey(k))
                    throw new FileFormatException(f, "tensor '" + k + "' is also in " + where.get(k));
                where.put(k, f);
            }
        }
        for (Parameter p : params.values())
            if (!where.containsKey(p.name()))
                throw new FileFormatException(files.get(0), "required tensor '" + p.name() + "' (shape "
                    + Arrays.toString(p.value().shape()) + ") is missing" + (files.size() > 1 ? " from every shard" : ""));
        Map<Path, List<String>> byFile = new LinkedHashMap<>();
        where.forEach((k, f) -> byFile.computeIfAbsent(f, x -> new ArrayList<>()).add(k));
        for (Map.Entry<Path, List<String>> e : byFile.entrySet()) {
            Set<String> wanted = Set.copyOf(e.getValue());
            SafeTensors.read(e.getKey(), wanted::contains).forEach((k, v) -> {
                Parameter p = params.get(k);
                DataType dt = p.value().dataType();
                p.value().assign(v.dataType() == dt ? v : v.castTo(dt));
            });
        }
        return unexpected;
    }
}
