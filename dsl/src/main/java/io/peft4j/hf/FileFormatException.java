package io.peft4j.hf;

import java.nio.file.Path;

/**
 * A file that cannot be read as what it claims to be (safetensors, config.json, adapter_config.json,
 * tokenizer files). The message always names the file and the problem.
 */
public class FileFormatException extends RuntimeException {
    private final transient Path file;

    public FileFormatException(Path file, String problem) {
        super(file + ": " + problem);
        this.file = file;
    }

    public FileFormatException(Path file, String problem, Throwable cause) {
        super(file + ": " + problem, cause);
        this.file = file;
    }

    /** The offending file. */
    public Path file() { return file; }
}
