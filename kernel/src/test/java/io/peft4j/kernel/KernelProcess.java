package io.peft4j.kernel;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** The kernel as a separate JVM, started the way the kernelspec starts it. */
final class KernelProcess implements AutoCloseable {
    final Process process;
    final Path stderr;
    final long startNanos;

    private KernelProcess(Process p, Path stderr, long startNanos) {
        this.process = p;
        this.stderr = stderr;
        this.startNanos = startNanos;
    }

    static KernelProcess start(Path connectionFile, Map<String, String> env) throws Exception {
        return start(connectionFile, env, List.of());
    }

    static KernelProcess start(Path connectionFile, Map<String, String> env, List<String> jvmOptions) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xmx512m");
        cmd.addAll(jvmOptions);
        cmd.add("-XX:TieredStopAtLevel=1");
        cmd.add("-cp");
        cmd.add(String.join(File.pathSeparator, KernelClasspath.entries()));
        cmd.add(KernelMain.class.getName());
        cmd.add("run");
        cmd.add(connectionFile.toString());
        Path err = Files.createTempFile("peft4j-kernel-", ".log");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(false)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(err.toFile());
        pb.environment().putAll(env);
        long t0 = System.nanoTime();
        return new KernelProcess(pb.start(), err, t0);
    }

    String log() throws Exception { return Files.readString(stderr); }

    boolean waitExit(long ms) throws InterruptedException { return process.waitFor(ms, TimeUnit.MILLISECONDS); }

    @Override public void close() throws Exception {
        if (process.isAlive()) {
            process.destroy();
            if (!process.waitFor(5, TimeUnit.SECONDS)) process.destroyForcibly();
        }
        Files.deleteIfExists(stderr);
    }
}
