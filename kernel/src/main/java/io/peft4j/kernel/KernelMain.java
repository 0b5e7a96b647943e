package io.peft4j.kernel;

import io.github.spencerpark.jupyter.kernel.KernelConnectionProperties;

import java.nio.file.Path;
import java.util.List;

/**
 * {@code bin/peft4j kernel ...}:
 * <pre>
 *   kernel install [--user | --prefix DIR]   write the peft4j kernelspec (default --user)
 *   kernel run CONNECTION_FILE               serve Jupyter on that connection file
 * </pre>
 */
public final class KernelMain {
    private KernelMain() {}

    static final String USAGE = String.join("\n",
            "usage: peft4j kernel install [--user | --prefix DIR]",
            "       peft4j kernel run CONNECTION_FILE");

    public static void main(String[] args) {
        int rc;
        try {
            rc = run(args);
        } catch (IllegalArgumentException e) {
            System.err.println("peft4j kernel: " + e.getMessage());
            System.err.println(USAGE);
            rc = 2;
        } catch (Exception e) {
            System.err.println("peft4j kernel: " + e);
            rc = 1;
        }
        System.exit(rc);
    }

    static int run(String[] args) throws Exception {
        if (args.length == 0 || args[0].equals("--help") || args[0].equals("-h")) {
            System.out.println(USAGE);
            return args.length == 0 ? 2 : 0;
        }
        switch (args[0]) {
            case "install": return install(List.of(args).subList(1, args.length));
            case "run":
                if (args.length != 2) throw new IllegalArgumentException("run needs exactly one CONNECTION_FILE");
                return serve(Path.of(args[1]));
            default:
                throw new IllegalArgumentException("unknown subcommand '" + args[0] + "'; valid: install, run");
        }
    }

    static Path installDir(List<String> opts) {
        Path dir = KernelSpecInstaller.userDir();
        for (int i = 0; i < opts.size(); i++) {
            String o = opts.get(i);
            switch (o) {
                case "--user" -> dir = KernelSpecInstaller.userDir();
                case "--prefix" -> {
                    if (i + 1 >= opts.size()) throw new IllegalArgumentException("--prefix needs a DIR");
                    dir = KernelSpecInstaller.prefixDir(Path.of(opts.get(++i)).toAbsolutePath());
                }
                default -> throw new IllegalArgumentException("unknown option '" + o + "'; valid: --user, --prefix DIR");
            }
        }
        return dir;
    }

    private static int install(List<String> opts) throws Exception {
        Path dir = installDir(opts);
        List<String> classpath = KernelSpecInstaller.relocate(KernelClasspath.entries(), dir);
        Path written = KernelSpecInstaller.install(dir, KernelSpecInstaller.spec(
                classpath, KernelSpecInstaller.inheritedJvmOptions(), KernelSpecInstaller.nativeEnv()));
        System.out.println("installed kernelspec '" + KernelSpecInstaller.NAME + "' in " + written.getParent()
                + " (the project's classes copied into lib/, Maven repository jars named in place)");
        return 0;
    }

    private static int serve(Path connectionFile) throws Exception {
        // a kernelspec whose jars or class folders were deleted must fail clearly, never start half-working
        String broken = KernelSpecInstaller.missingRequiredClass();
        if (broken != null) {
            List<String> missing = KernelSpecInstaller.missingEntries(
                    List.of(System.getProperty("java.class.path", "").split(java.io.File.pathSeparator)));
            System.err.println("peft4j kernel: cannot start: " + broken + " is not on the class path"
                    + (missing.isEmpty() ? "" : " (missing: " + String.join(", ", missing.subList(0, Math.min(3, missing.size()))) + ")")
                    + "; the kernelspec is stale: run `bin/peft4j kernel install` again");
            return 1;
        }
        KernelConnectionProperties props = KernelServer.readConnectionFile(connectionFile);
        KernelServer server = KernelServer.start(props);
        ParentWatchdog.watch(System.getenv("JPY_PARENT_PID"), () -> {
            server.close();
            System.exit(0);
        });
        server.awaitShutdown();
        return 0;
    }
}
