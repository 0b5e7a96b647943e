package io.peft4j.train;

import java.nio.file.Path;

/** A checkpoint folder that cannot be used: names the folder and the problem. */
public final class CheckpointException extends RuntimeException {
    private final Path folder;

    public CheckpointException(Path folder, String problem) {
        super("checkpoint " + folder + ": " + problem);
        this.folder = folder;
    }

    public Path folder() { return folder; }
}
