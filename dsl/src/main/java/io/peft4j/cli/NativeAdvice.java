package io.peft4j.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * The advice {@code bin/peft4j} acts on by itself, for launches without it ({@code java -jar}, an IDE,
 * a user's own program): OpenBLAS 0.3.19 inside ND4J 1.0.0-M2.1 misdetects recent x86 CPUs and runs
 * matrix products up to ~8x slower unless {@code OPENBLAS_CORETYPE} names the core type before the
 * native library loads, which only the environment of the JVM can do.
 */
public final class NativeAdvice {
    private NativeAdvice() {}

    /** {@code SkylakeX} with AVX-512, {@code Haswell} with AVX2, else null (not x86 Linux, or unknown). */
    public static String detectCoreType() {
        try {
            String flags = Files.readString(Path.of("/proc/cpuinfo"));
            if (flags.matches("(?s).*\\bavx512f\\b.*")) return "SkylakeX";
            if (flags.matches("(?s).*\\bavx2\\b.*")) return "Haswell";
        } catch (IOException | RuntimeException ignored) {
            // not Linux: OpenBLAS's own detection applies
        }
        return null;
    }

    /** Lines to print before ND4J loads, or an empty string when the environment is already right. */
    public static String advice(Map<String, String> env, String detected) {
        StringBuilder b = new StringBuilder();
        String core = env.get("OPENBLAS_CORETYPE");
        if ((core == null || core.isBlank()) && detected != null) {
            b.append("peft4j: OPENBLAS_CORETYPE is not set; OpenBLAS 0.3.19 (inside ND4J) misdetects this CPU and multiplies\n")
             .append("        matrices up to ~8x slower. Start the JVM with OPENBLAS_CORETYPE=").append(detected)
             .append(" in its environment, e.g.\n        OPENBLAS_CORETYPE=").append(detected)
             .append(" OPENBLAS_THREAD_TIMEOUT=10 java -jar peft4j-app.jar ...\n");
        }
        return b.toString();
    }
}
