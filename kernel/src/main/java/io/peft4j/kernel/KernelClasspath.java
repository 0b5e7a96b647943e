package io.peft4j.kernel;

import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.jar.JarFile;
import java.util.jar.Manifest;

/**
 * The kernel's own classpath, as the cell compiler must see it: {@code java.class.path} with the
 * {@code Class-Path} manifest entries of its jars expanded (launchers such as Maven Surefire pass
 * the real classpath through a manifest-only jar).
 */
final class KernelClasspath {
    private KernelClasspath() {}

    static List<String> entries() {
        Set<String> out = new LinkedHashSet<>();
        for (String e : System.getProperty("java.class.path", "").split(File.pathSeparator)) {
            if (!e.isBlank()) addWithManifest(Path.of(e).toAbsolutePath(), out, 0);
        }
        return new ArrayList<>(out);
    }

    private static void addWithManifest(Path p, Set<String> out, int depth) {
        if (!out.add(p.toString()) || depth > 2 || !p.toString().endsWith(".jar") || !Files.isRegularFile(p)) return;
        try (JarFile jar = new JarFile(p.toFile())) {
            Manifest mf = jar.getManifest();
            String cp = mf == null ? null : mf.getMainAttributes().getValue("Class-Path");
            if (cp == null) return;
            for (String item : cp.trim().split("\\s+")) {
                if (item.isEmpty()) continue;
                URI uri = p.toUri().resolve(item);
                if ("file".equals(uri.getScheme())) addWithManifest(Path.of(uri), out, depth + 1);
            }
        } catch (IOException | IllegalArgumentException ignored) {
            // not a readable jar: keep the entry itself
        }
    }
}
