package io.peft4j.hf;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * The refusal of pickle-based checkpoints. PyTorch's {@code .bin} / {@code .pt} / {@code .pth} /
 * {@code .ckpt} files are Python pickles, and unpickling can run arbitrary code, so peft4j never
 * opens them, not even to look inside: it loads weights from safetensors only. Where a folder has a
 * pickle checkpoint instead of the expected safetensors file, the error says so and how to convert.
 */
public final class PickleCheckpoints {
    private PickleCheckpoints() {}

    /** File-name endings of pickle-based checkpoints. */
    public static final List<String> SUFFIXES = List.of(".bin", ".pt", ".pth", ".ckpt", ".pkl", ".pickle");

    /** Whether {@code fileName} names a pickle-based checkpoint (by its ending). */
    public static boolean isPickle(String fileName) {
        String n = fileName.toLowerCase(Locale.ROOT);
        return SUFFIXES.stream().anyMatch(n::endsWith);
    }

    /**
     * Returns when {@code safetensors} is a regular file; otherwise throws a FileFormatException
     * naming it, and, where its folder holds pickle checkpoints, naming them and saying that they
     * are refused and how to convert them.
     */
    public static void requireSafetensors(Path safetensors) {
        if (Files.isRegularFile(safetensors)) return;
        throw missing(safetensors, "");
    }

    /** The error for a missing safetensors file (with {@code extra} appended to the plain case). */
    public static FileFormatException missing(Path safetensors, String extra) {
        Path dir = safetensors.toAbsolutePath().getParent();
        List<String> pickles = List.of();
        if (dir != null && Files.isDirectory(dir)) {
            try (Stream<Path> s = Files.list(dir)) {
                pickles = s.map(p -> p.getFileName().toString()).filter(PickleCheckpoints::isPickle).sorted().toList();
            } catch (IOException ignored) {
                // the plain message below still names the missing file
            }
        }
        if (pickles.isEmpty()) return new FileFormatException(safetensors, "missing" + extra);
        return new FileFormatException(safetensors, "missing; the folder has " + String.join(", ", pickles)
            + ", a pickle checkpoint, which peft4j refuses to load (unpickling can run arbitrary code). Convert it to "
            + "safetensors, e.g. in Python: from_pretrained(folder) then save_pretrained(out, safe_serialization=True)");
    }
}
