package io.peft4j.testutil;

import org.junit.jupiter.api.Assumptions;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Locates the read-only reference folder {@code ../shared} (override with the environment variable
 * {@code PEFT4J_SHARED}). Tests that need a file call {@link #require(String)}: where it is absent
 * the test is skipped with a message naming the missing path.
 */
public final class Shared {
    private Shared() {}

    public static Path root() {
        String env = System.getenv("PEFT4J_SHARED");
        if (env != null && !env.isBlank()) return Path.of(env).toAbsolutePath().normalize();
        // tests run with the module folder (dsl/ or kernel/) as working directory
        Path cwd = Path.of("").toAbsolutePath();
        for (Path p = cwd; p != null; p = p.getParent()) {
            Path candidate = p.resolveSibling("shared");
            if (Files.isDirectory(candidate.resolve("fixtures")) || Files.isDirectory(candidate.resolve("models"))) return candidate;
        }
        return cwd.resolve("../../shared").normalize();
    }

    /** The path under the shared folder; skips the calling test when it does not exist. */
    public static Path require(String relative) {
        Path p = root().resolve(relative);
        Assumptions.assumeTrue(Files.exists(p),
            "skipped: reference data " + p + " is absent (set PEFT4J_SHARED to the shared folder)");
        return p;
    }
}
