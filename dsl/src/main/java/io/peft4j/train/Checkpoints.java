package io.peft4j.train;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.peft4j.hf.AtomicFiles;
import io.peft4j.hf.SafeTensors;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Training checkpoints on disk. A run's checkpoint folder holds {@code checkpoint-<step>} folders,
 * each with
 * <ul>
 *   <li>{@code model.safetensors}: the trainable parameters' values (F32, Hugging Face names);</li>
 *   <li>{@code optimizer.safetensors}: AdamW moments {@code <name>.exp_avg}, {@code <name>.exp_avg_sq};</li>
 *   <li>{@code best.safetensors}: the trainable values at the best evaluation (when kept);</li>
 *   <li>{@code trainer_state.json}: step, epoch, position in the epoch, batch order, scheduler,
 *       losses and metrics so far, trajectory settings and the sizes of the files above.</li>
 * </ul>
 * Each file is written atomically (temporary file + rename) and {@code trainer_state.json} is written
 * last: its presence marks a complete checkpoint. Older checkpoints are deleted only after a newer
 * one is complete (deleting {@code trainer_state.json} first), so a crash at any moment leaves the
 * newest complete checkpoint intact.
 */
public final class Checkpoints {
    private Checkpoints() {}

    public static final String STATE = "trainer_state.json";
    public static final String MODEL = "model.safetensors";
    public static final String OPTIMIZER = "optimizer.safetensors";
    public static final String BEST = "best.safetensors";
    private static final Pattern NAME = Pattern.compile("checkpoint-(\\d+)");

    static final ObjectMapper JSON = new ObjectMapper()
        .enable(SerializationFeature.INDENT_OUTPUT)
        .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    /** A checkpoint read back from disk. */
    record Loaded(Path folder, TrainerState state, Map<String, INDArray> model, Map<String, INDArray> optimizer,
                  Map<String, INDArray> best) {}

    /** Writes {@code checkpoint-<step>} under {@code root}, then deletes all but the newest {@code keep} complete ones. */
    static Path save(Path root, TrainerState state, Map<String, INDArray> model, Map<String, INDArray> optimizer,
                     long optimizerStep, Map<String, INDArray> best, int keep) {
        Path dir = root.resolve("checkpoint-" + state.step);
        try {
            Files.createDirectories(dir);
            Files.deleteIfExists(dir.resolve(STATE));   // an earlier checkpoint of this step becomes incomplete while rewritten
            state.files = new LinkedHashMap<>();
            SafeTensors.write(dir.resolve(MODEL), model, Map.of("format", "pt"), SafeTensors.Dtype.F32);
            state.files.put(MODEL, Files.size(dir.resolve(MODEL)));
            SafeTensors.write(dir.resolve(OPTIMIZER), optimizer, Map.of("format", "pt", "step", Long.toString(optimizerStep)), SafeTensors.Dtype.F32);
            state.files.put(OPTIMIZER, Files.size(dir.resolve(OPTIMIZER)));
            if (best != null) {
                SafeTensors.write(dir.resolve(BEST), best, Map.of("format", "pt"), SafeTensors.Dtype.F32);
                state.files.put(BEST, Files.size(dir.resolve(BEST)));
            } else {
                Files.deleteIfExists(dir.resolve(BEST));
            }
            byte[] json = JSON.writeValueAsBytes(state);
            AtomicFiles.write(dir.resolve(STATE), out -> out.write(json));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write checkpoint " + dir + ": " + e.getMessage(), e);
        }
        rotate(root, keep, dir);
        return dir;
    }

    /** Complete checkpoints under {@code root}, newest (highest step) first. */
    public static List<Path> complete(Path root) {
        List<Path> out = new ArrayList<>();
        for (Path p : stepFolders(root)) if (Files.isRegularFile(p.resolve(STATE))) out.add(p);
        return out;
    }

    /**
     * The newest checkpoint under {@code root} that loads completely (a folder whose files are
     * damaged is skipped), or empty when there is none.
     */
    public static Optional<Path> latest(Path root) {
        for (Path p : complete(root)) {
            try {
                load(p);
                return Optional.of(p);
            } catch (RuntimeException e) {
                // incomplete or damaged: try the next older one
            }
        }
        return Optional.empty();
    }

    /** The step recorded in a checkpoint folder's {@code trainer_state.json}. */
    public static long step(Path checkpoint) { return readState(checkpoint).step; }

    static Loaded load(Path dir) {
        TrainerState s = readState(dir);
        for (Map.Entry<String, Long> f : s.files.entrySet()) {
            Path p = dir.resolve(f.getKey());
            long size;
            try { size = Files.size(p); } catch (IOException e) {
                throw new CheckpointException(dir, "file " + f.getKey() + " is missing");
            }
            if (size != f.getValue()) throw new CheckpointException(dir, "file " + f.getKey() + " has " + size + " bytes, expected " + f.getValue());
        }
        Map<String, INDArray> model = SafeTensors.read(dir.resolve(MODEL));
        Map<String, INDArray> opt = SafeTensors.read(dir.resolve(OPTIMIZER));
        Map<String, INDArray> best = s.files.containsKey(BEST) ? SafeTensors.read(dir.resolve(BEST)) : null;
        return new Loaded(dir, s, model, opt, best);
    }

    static TrainerState readState(Path dir) {
        Path f = dir.resolve(STATE);
        try {
            return JSON.readValue(f.toFile(), TrainerState.class);
        } catch (NoSuchFileException | java.io.FileNotFoundException e) {
            throw new CheckpointException(dir, "no " + STATE + " (not a complete checkpoint)");
        } catch (IOException e) {
            throw new CheckpointException(dir, STATE + " is unreadable: " + e.getMessage());
        }
    }

    private static List<Path> stepFolders(Path root) {
        if (!Files.isDirectory(root)) return List.of();
        try (Stream<Path> s = Files.list(root)) {
            return s.filter(p -> Files.isDirectory(p) && NAME.matcher(p.getFileName().toString()).matches())
                .sorted(Comparator.comparingLong(Checkpoints::folderStep).reversed())
                .toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + root + ": " + e.getMessage(), e);
        }
    }

    private static long folderStep(Path p) {
        Matcher m = NAME.matcher(p.getFileName().toString());
        if (!m.matches()) return -1;
        try { return Long.parseLong(m.group(1)); } catch (NumberFormatException e) { return -1; }
    }

    /** Keeps the newest {@code keep} complete checkpoints and {@code current}; deletes older and incomplete ones. */
    private static void rotate(Path root, int keep, Path current) {
        int kept = 0;
        for (Path p : stepFolders(root)) {
            boolean complete = Files.isRegularFile(p.resolve(STATE));
            if (p.equals(current) || (complete && kept < keep)) { if (complete) kept++; continue; }
            deleteFolder(p);
        }
    }

    private static void deleteFolder(Path p) {
        try {
            Files.deleteIfExists(p.resolve(STATE));  // first: the folder stops counting as complete
            try (Stream<Path> s = Files.walk(p)) {
                for (Path q : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(q);
            }
        } catch (IOException e) {
            // best effort: an undeletable old checkpoint is harmless (it is older than the newest)
        }
    }
}
