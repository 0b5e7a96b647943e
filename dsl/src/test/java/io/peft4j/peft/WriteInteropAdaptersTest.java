package io.peft4j.peft;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;

/** Writes the interop adapters (T5 in DIR, decoder-only models in DIR/causal) when run with {@code -Dpeft4j.interop.out=DIR} (see dsl/src/test/python/README.md); skipped otherwise. */
class WriteInteropAdaptersTest {
    @Test
    void writeAdapters() {
        String out = System.getProperty("peft4j.interop.out");
        Assumptions.assumeTrue(out != null && !out.isBlank(), "set -Dpeft4j.interop.out=DIR to write the interop adapters");
        InteropAdapters.saveAll(Path.of(out));
        CausalInteropAdapters.saveAll(Path.of(out).resolve("causal"));
    }

    @Test
    void writeGpt2Adapters() {
        String out = System.getProperty("peft4j.interop.out");
        Assumptions.assumeTrue(out != null && !out.isBlank(), "set -Dpeft4j.interop.out=DIR to write the interop adapters");
        Gpt2InteropAdapters.saveAll(Path.of(out).resolve("gpt2"));
    }
}
