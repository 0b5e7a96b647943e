package io.peft4j.hf;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A tokenizer file is missing, unreadable or malformed. The message always names the file and
 * what was wrong with it (and, where useful, what would be valid).
 */
public final class TokenizerFileException extends IOException {
    private final Path file;

    public TokenizerFileException(Path file, String problem) {
        super(file + ": " + problem);
        this.file = file;
    }

    public TokenizerFileException(Path file, String problem, Throwable cause) {
        super(file + ": " + problem, cause);
        this.file = file;
    }

    /** The file (or folder) the problem is about. */
    public Path file() { return file; }
}
