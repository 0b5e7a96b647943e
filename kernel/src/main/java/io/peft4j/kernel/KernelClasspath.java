package io.peft4j.kernel;

import java.util.List;


/**
 * The kernel's own classpath, as the cell compiler must see it: {@code java.class.path} with the
 * {@code Class-Path} manifest entries of its jars expanded (launchers such as Maven Surefire pass
 * the real classpath through a manifest-only jar).
 */
public final class KernelClasspath {
    private KernelClasspath() {}

    public static List<String> entries() {
        return io.peft4j.cli.JshRunner.classpathEntries();
    }
}
