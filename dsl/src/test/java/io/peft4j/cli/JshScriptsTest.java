package io.peft4j.cli;

import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.Assumptions;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * {@code bin/peft4j run}: the runner's exit status reflects snippet failures, and every
 * {@code notebooks/*.jsh} runs to the end in CI size ({@code PEFT4J_CI=1}) in a JVM of its own,
 * started the way the launcher starts it.
 */
class JshScriptsTest {
    static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

    record Run(int exit, String output) {}

    static Run run(Path script, long timeoutSeconds) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-Xmx2g", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
            "-cp", String.join(File.pathSeparator, JshRunner.classpathEntries()),
            JshRunner.class.getName(), script.toString()));
        Path log = Files.createTempFile("peft4j-jsh", ".log");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).directory(ROOT.toFile());
        pb.environment().put("PEFT4J_CI", "1");
        pb.environment().put("PEFT4J_HOME", ROOT.toString());
        pb.environment().putIfAbsent("OPENBLAS_CORETYPE", "Haswell");
        Process p = pb.start();
        try {
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                fail(script + " did not finish in " + timeoutSeconds + " s:\n" + Files.readString(log));
            }
            return new Run(p.exitValue(), Files.readString(log));
        } finally {
            Files.deleteIfExists(log);
        }
    }

    private static Path script(String body) throws Exception {
        Path f = Files.createTempFile("peft4j-test", ".jsh");
        Files.writeString(f, body);
        return f;
    }

    @Test
    void exitStatusReflectsSnippetsThatFailToCompileOrThrow() throws Exception {
        Run ok = run(script("// a comment\nint a = 20;\nint b = 22;\na + b\nvar t = loraArithmetic(512, 64,\n    8, 16);\n/* block */ t.rowCount()\nint c = 1; int d = 2;\nc + d\n/exit\n"), 120);
        assertEquals(0, ok.exit(), ok.output());
        assertTrue(ok.output().contains("==> 42") && ok.output().contains("==> 2") && ok.output().contains("==> 3"), ok.output());

        Run compile = run(script("int a = 1;\nint b = \"two\";\nSystem.out.println(\"not reached\");\n"), 120);
        assertEquals(1, compile.exit(), compile.output());
        assertTrue(compile.output().contains(":2: does not compile") && !compile.output().contains("not reached"), compile.output());

        Run thrown = run(script("int a = 1;\n\nlora(null)\n"), 120);
        assertEquals(1, thrown.exit(), thrown.output());
        assertTrue(thrown.output().contains(":3: threw") && thrown.output().contains("base model"), thrown.output());

        Run undefined = run(script("void f() { g(); }\n"), 120);
        assertEquals(1, undefined.exit(), undefined.output());
        assertTrue(undefined.output().contains("undefined"), undefined.output());

        Run usage = run(ROOT.resolve("no-such-script.jsh"), 60);
        assertEquals(2, usage.exit(), usage.output());
    }

    @TestFactory
    Stream<DynamicTest> everyNotebookScriptRunsInCiSize() throws Exception {
        Path nb = ROOT.resolve("notebooks");
        Assumptions.assumeTrue(T5DemoPresent.present(), "the embedded demo model is not on the class path (bin/peft4j pretrain-demo)");
        List<Path> scripts;
        try (Stream<Path> s = Files.list(nb)) {
            scripts = s.filter(p -> p.toString().endsWith(".jsh")).sorted().toList();
        }
        assertFalse(scripts.isEmpty(), "no notebooks/*.jsh");
        return scripts.stream().map(sc -> DynamicTest.dynamicTest(sc.getFileName().toString(), () -> {
            long t0 = System.nanoTime();
            Run r = run(sc, 600);
            assertEquals(0, r.exit(), r.output());
            System.out.printf("%s: ok in %.0f s%n", sc.getFileName(), (System.nanoTime() - t0) / 1e9);
        }));
    }

    /** Whether {@code T5.demo()} can load. */
    static final class T5DemoPresent {
        static boolean present() { return JshScriptsTest.class.getResource("/io/peft4j/demo/model/config.json") != null; }
    }
}
