package io.peft4j;

import io.peft4j.hf.SafeTensors;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * A trained adapter (LoRA, IA3, prompt tuning) ready to save in Hugging Face PEFT's own layout
 * ({@code adapter_config.json} + {@code adapter_model.safetensors}), which Python PEFT loads.
 */
public final class Adapter {
    private final FineTuned owner;
    private final FineTuned.Saver saver;

    Adapter(FineTuned owner, FineTuned.Saver saver) { this.owner = owner; this.saver = saver; }

    /** Saves in float32; returns the folder. */
    public Path save(String dir) { return save(Path.of(dir), SafeTensors.Dtype.F32); }

    public Path save(Path dir) { return save(dir, SafeTensors.Dtype.F32); }

    /** Saves with the given storage type (F32, F16 or BF16). */
    public Path save(Path dir, SafeTensors.Dtype dtype) {
        saver.save(dir, dtype);
        return dir;
    }

    public FineTuned owner() { return owner; }
    public long parameters() { return owner.trainableParameters(); }

    /** Bytes on disk of a saved adapter folder. */
    public static long sizeOnDisk(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override public String toString() {
        return owner.method().label() + " adapter of " + owner.model().id() + ": " + String.format("%,d", parameters()) + " parameters";
    }
}
