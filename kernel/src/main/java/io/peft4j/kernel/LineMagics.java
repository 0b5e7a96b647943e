package io.peft4j.kernel;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Line magics at the top of a cell: {@code %classpath PATH...} and its alias {@code %jars PATH...}
 * add jars or class folders (globs such as {@code lib/*.jar} allowed; entries separated by spaces or
 * the path separator) to both the cell compiler and the cell class loader.
 */
final class LineMagics {
    private final Consumer<String> addToClasspath;

    LineMagics(Consumer<String> addToClasspath) { this.addToClasspath = addToClasspath; }

    /** Runs the leading magic lines and returns the remaining Java source (line count preserved). */
    String apply(String code) throws MagicException {
        String[] lines = code.split("\n", -1);
        StringBuilder java = new StringBuilder();
        boolean header = true;
        for (String line : lines) {
            String t = line.strip();
            if (header && t.startsWith("%")) {
                run(t);
                java.append('\n');
                continue;
            }
            if (!t.isEmpty()) header = false;
            java.append(line).append('\n');
        }
        return java.toString();
    }

    private void run(String line) throws MagicException {
        String[] parts = line.substring(1).trim().split("\\s+", 2);
        String name = parts[0];
        if (!name.equals("classpath") && !name.equals("jars")) {
            throw new MagicException("unknown magic %" + name + "; known: %classpath, %jars");
        }
        if (parts.length < 2 || parts[1].isBlank()) {
            throw new MagicException("%" + name + " needs at least one jar, folder or glob");
        }
        List<Path> found = new ArrayList<>();
        for (String arg : parts[1].split("[\\s" + File.pathSeparator + "]+")) {
            if (!arg.isEmpty()) found.addAll(expand(arg));
        }
        for (Path p : found) addToClasspath.accept(p.toAbsolutePath().toString());
        System.out.println("%" + name + ": added " + found.size() + " entr" + (found.size() == 1 ? "y" : "ies"));
    }

    private static List<Path> expand(String arg) throws MagicException {
        String expanded = arg.startsWith("~/") ? System.getProperty("user.home") + arg.substring(1) : arg;
        if (!expanded.contains("*") && !expanded.contains("?")) {
            Path p = Path.of(expanded);
            if (!Files.exists(p)) throw new MagicException("no such jar or folder: " + arg);
            return List.of(p);
        }
        Path glob = Path.of(expanded);
        Path dir = glob.getParent() == null ? Path.of(".") : glob.getParent();
        if (dir.toString().contains("*") || dir.toString().contains("?")) {
            throw new MagicException("globs are allowed in the file name only: " + arg);
        }
        List<Path> out = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, glob.getFileName().toString())) {
            ds.forEach(out::add);
        } catch (IOException | UncheckedIOException e) {
            throw new MagicException("cannot list " + dir + " for " + arg + ": " + e.getMessage());
        }
        if (out.isEmpty()) throw new MagicException("no file matches " + arg);
        out.sort(null);
        return out;
    }
}
