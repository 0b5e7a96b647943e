package io.peft4j.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The imports every interactive peft4j session starts with ({@code bin/peft4j jshell}, {@code bin/peft4j
 * run FILE.jsh}, the Jupyter kernel): the resource {@value #RESOURCE}, one import per line. Keeping one
 * list stops the shells from drifting apart (a class that moves package breaks all of them at once, and
 * a test, instead of one silently).
 */
public final class StartupImports {
    /** Class-path resource holding the list (also the file {@code bin/peft4j jshell} passes to JShell). */
    public static final String RESOURCE = "/io/peft4j/startup.jsh";

    private StartupImports() {}

    /** The whole resource, comments included. */
    public static String text() {
        try (InputStream in = StartupImports.class.getResourceAsStream(RESOURCE)) {
            if (in == null) throw new IllegalStateException("startup imports " + RESOURCE + " are missing from the class path");
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + RESOURCE, e);
        }
    }

    /** The import lines, in order (blank lines and {@code //} comments left out). */
    public static List<String> lines() {
        return text().lines().map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("//")).toList();
    }
}
