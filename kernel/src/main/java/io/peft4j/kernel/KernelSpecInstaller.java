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

    /**
     * Makes {@code classpath} independent of the checkout: class folders (a build's
     * {@code target/classes}) and jars outside a Maven repository are copied into {@code dir/lib}
     * (folders as jars); jars inside a Maven repository ({@code .../repository/GROUP/ARTIFACT/VERSION/}),
     * a stable location, are named in place. Deleting the checkout's {@code target/} after
     * {@code kernel install} then leaves a working kernel.
     */
    public static List<String> relocate(List<String> classpath, Path dir) throws IOException {
        Path lib = dir.resolve("lib");
        Files.createDirectories(lib);
        List<String> out = new ArrayList<>();
        int i = 0;
        for (String e : classpath) {
            Path p = Path.of(e).toAbsolutePath().normalize();
            i++;
            if (Files.isDirectory(p)) {
                Path jar = lib.resolve(String.format("%02d-%s.jar", i, label(p)));
                jarFolder(p, jar);
                out.add(jar.toString());
            } else if (Files.isRegularFile(p) && !inMavenRepository(p)) {
                Path copy = lib.resolve(String.format("%02d-%s", i, p.getFileName()));
                Files.copy(p, copy, StandardCopyOption.REPLACE_EXISTING);
                out.add(copy.toString());
            } else if (Files.isRegularFile(p)) {
                out.add(p.toString());
            }
        }
        return out;
    }

    static boolean inMavenRepository(Path jar) {
        String s = jar.toString().replace(File.separatorChar, '/');
        String local = System.getProperty("maven.repo.local");
        return s.contains("/.m2/repository/") || (local != null && !local.isBlank()
                && jar.startsWith(Path.of(local).toAbsolutePath().normalize()));
    }

    private static String label(Path classes) {
        // .../dsl/target/classes -> dsl-classes
        Path target = classes.getParent();
        Path module = target == null ? null : target.getParent();
        String name = module == null || module.getFileName() == null ? "classes" : module.getFileName() + "-" + classes.getFileName();
        return name.replaceAll("[^A-Za-z0-9._-]", "_");
    }

    private static void jarFolder(Path folder, Path jar) throws IOException {
        List<Path> files;
        try (java.util.stream.Stream<Path> s = Files.walk(folder)) { files = s.filter(Files::isRegularFile).sorted().toList(); }
        io.peft4j.hf.AtomicFiles.write(jar, out -> {
            java.util.jar.JarOutputStream j = new java.util.jar.JarOutputStream(out);   // finished, not closed: AtomicFiles syncs and closes
            for (Path f : files) {
                j.putNextEntry(new java.util.jar.JarEntry(folder.relativize(f).toString().replace(File.separatorChar, '/')));
                Files.copy(f, j);
                j.closeEntry();
            }
            j.finish();
            j.flush();
        });
    }

    /** Classes the kernel cannot work without: the DSL, its startup imports, Tablesaw, ND4J, the protocol. */
    static final List<String> REQUIRED = List.of("io.peft4j.Peft", "io.peft4j.cli.StartupImports", "tech.tablesaw.api.Table",
            "org.nd4j.linalg.factory.Nd4j", "io.github.spencerpark.jupyter.kernel.BaseKernel", "org.slf4j.LoggerFactory");

    /** The first {@link #REQUIRED} class this JVM cannot load, or null. */
    public static String missingRequiredClass() {
        for (String c : REQUIRED) {
            try {
                Class.forName(c, false, KernelSpecInstaller.class.getClassLoader());
            } catch (ClassNotFoundException | LinkageError e) {
                return c;
            }
        }
        return null;
    }

    /** Class path entries that do not exist (reported with a stale kernelspec; manifest expansions may list some harmlessly). */
    public static List<String> missingEntries(List<String> classpath) {
        List<String> missing = new ArrayList<>();
        for (String e : classpath) if (!e.isBlank() && !Files.exists(Path.of(e))) missing.add(e);
        return missing;
    }

    /** Writes {@code dir/kernel.json} atomically (temp file + rename) and returns its path. */
    public static Path install(Path dir, Map<String, Object> spec) throws IOException {
        Files.createDirectories(dir);
        Path target = dir.resolve("kernel.json");
        byte[] json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsBytes(spec);
        io.peft4j.hf.AtomicFiles.write(target, out -> out.write(json));
        return target;
    }
}
