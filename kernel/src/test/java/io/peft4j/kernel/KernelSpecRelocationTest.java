package io.peft4j.kernel;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A relocatable kernelspec: install copies the project's class folders (as jars) and stray jars into
 * the kernelspec, names Maven-repository jars in place, so deleting the checkout's target/ leaves a
 * working kernel; and a kernel whose classes are gone refuses to start with a clear message.
 */
class KernelSpecRelocationTest {
    @TempDir Path tmp;

    @Test void classFoldersAndStrayJarsAreCopiedRepositoryJarsNamedInPlace() throws Exception {
        Path classes = tmp.resolve("checkout/dsl/target/classes");
        Files.createDirectories(classes.resolve("x"));
        Files.write(classes.resolve("x/Y.class"), new byte[]{(byte) 0xca, (byte) 0xfe});
        Path stray = tmp.resolve("checkout/lib/extra.jar");
        Files.createDirectories(stray.getParent());
        Files.write(stray, new byte[]{'P', 'K'});
        Path repoJar = tmp.resolve("home/.m2/repository/g/a/1/a-1.jar");
        Files.createDirectories(repoJar.getParent());
        Files.write(repoJar, new byte[]{'P', 'K'});
        Path spec = tmp.resolve("prefix/share/jupyter/kernels/peft4j");

        List<String> cp = KernelSpecInstaller.relocate(List.of(classes.toString(), stray.toString(), repoJar.toString(),
                tmp.resolve("gone.jar").toString()), spec);
        assertEquals(List.of(spec.resolve("lib/01-dsl-classes.jar").toString(), spec.resolve("lib/02-extra.jar").toString(),
                repoJar.toString()), cp, "a missing entry is dropped");
        try (JarFile j = new JarFile(cp.get(0))) { assertNotNull(j.getEntry("x/Y.class")); }
        // the checkout's target/ and lib/ deleted: every entry the kernelspec names is still there
        deleteTree(tmp.resolve("checkout"));
        assertEquals(List.of(), KernelSpecInstaller.missingEntries(cp));
    }

    @Test void kernelWithoutItsClassesRefusesToStartClearly() throws Exception {
        List<String> cp = new ArrayList<>();
        for (String e : KernelClasspath.entries()) {
            if (e.replace(File.separatorChar, '/').contains("/dsl/target/classes") || e.contains("peft4j-dsl")) continue;
            cp.add(e);
        }
        Path conn = tmp.resolve("conn.json");
        Files.writeString(conn, "{}");
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                String.join(File.pathSeparator, cp), KernelMain.class.getName(), "run", conn.toString())
                .redirectErrorStream(true).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        String out = new String(p.getInputStream().readAllBytes());
        assertEquals(1, p.exitValue(), out);
        assertTrue(out.contains("io.peft4j.Peft is not on the class path") && out.contains("kernelspec is stale"), out);
    }

    private static void deleteTree(Path p) throws Exception {
        try (var s = Files.walk(p)) { for (Path q : s.sorted(java.util.Comparator.reverseOrder()).toList()) Files.delete(q); }
    }
}
