package io.peft4j.kernel;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import java.io.File;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes the {@code peft4j} kernelspec ({@code kernel.json}) itself, so no Jupyter installation is
 * needed to install it. The spec launches this JVM's {@code java} with the current classpath and
 * the memory/system-property options of the installing JVM, runs {@link KernelMain} {@code run
 * {connection_file}}, asks for message-mode interrupts and sets the native-math environment.
 */
public final class KernelSpecInstaller {
    public static final String NAME = "peft4j";
    public static final String DISPLAY_NAME = "Java (peft4j)";

    private KernelSpecInstaller() {}

    /** {@code DIR/share/jupyter/kernels/peft4j}. */
    public static Path prefixDir(Path prefix) { return prefix.resolve("share/jupyter/kernels").resolve(NAME); }

    /** {@code $JUPYTER_DATA_DIR/kernels/peft4j}, default {@code ~/.local/share/jupyter/kernels/peft4j}. */
    public static Path userDir() {
        String data = System.getenv("JUPYTER_DATA_DIR");
        Path base = data != null && !data.isBlank() ? Path.of(data)
                : Path.of(System.getProperty("user.home"), ".local", "share", "jupyter");
        return base.resolve("kernels").resolve(NAME);
    }

    public static Map<String, Object> spec(List<String> classpath, List<String> jvmOptions, Map<String, String> env) {
        List<String> argv = new ArrayList<>();
        argv.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        argv.addAll(jvmOptions);
        argv.add("-cp");
        argv.add(String.join(File.pathSeparator, classpath));
        argv.add(KernelMain.class.getName());
        argv.add("run");
        argv.add("{connection_file}");
        Map<String, Object> spec = new LinkedHashMap<>();
        spec.put("argv", argv);
        spec.put("display_name", DISPLAY_NAME);
        spec.put("language", "java");
        spec.put("interrupt_mode", "message");
        spec.put("env", env);
        spec.put("metadata", Map.of("debugger", false));
        return spec;
    }

    /** JVM options of this process worth passing on (heap, system properties, -XX flags). */
    static List<String> inheritedJvmOptions() {
        List<String> out = new ArrayList<>();
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if ((a.startsWith("-Xm") || a.startsWith("-Xss") || a.startsWith("-XX:") || a.startsWith("-D"))
                    && !a.contains("jdwp") && !a.startsWith("-Djava.class.path")) {
                out.add(a);
            }
        }
        if (out.stream().noneMatch(a -> a.startsWith("-Xmx"))) out.add(0, "-Xmx8g");
        return out;
    }

    /** OPENBLAS_CORETYPE, OPENBLAS_THREAD_TIMEOUT and OMP_NUM_THREADS from this environment, or detected / defaults. */
    static Map<String, String> nativeEnv() {
        Map<String, String> env = new LinkedHashMap<>();
        String core = System.getenv("OPENBLAS_CORETYPE");
        if (core == null || core.isBlank()) core = detectCoreType();
        if (core != null) env.put("OPENBLAS_CORETYPE", core);
        String timeout = System.getenv("OPENBLAS_THREAD_TIMEOUT");
        env.put("OPENBLAS_THREAD_TIMEOUT", timeout != null && !timeout.isBlank() ? timeout : "10");
        String omp = System.getenv("OMP_NUM_THREADS");
        env.put("OMP_NUM_THREADS", omp != null && !omp.isBlank() ? omp : String.valueOf(Runtime.getRuntime().availableProcessors()));
        String home = System.getenv("PEFT4J_HOME");
        if (home != null && !home.isBlank()) env.put("PEFT4J_HOME", home);
        return env;
    }

    private static String detectCoreType() { return io.peft4j.cli.NativeAdvice.detectCoreType(); }

    /** Writes {@code dir/kernel.json} atomically (temp file + rename) and returns its path. */
    public static Path install(Path dir, Map<String, Object> spec) throws IOException {
        Files.createDirectories(dir);
        Path target = dir.resolve("kernel.json");
        byte[] json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsBytes(spec);
        io.peft4j.hf.AtomicFiles.write(target, out -> out.write(json));
        return target;
    }
}
