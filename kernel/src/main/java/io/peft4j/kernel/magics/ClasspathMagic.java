package io.peft4j.kernel.magics;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code %classpath PATH...} and its alias {@code %jars PATH...}: add jars or class folders (globs such
 * as {@code lib/*.jar} allowed in the file name; entries separated by spaces or the path separator).
 */
final class ClasspathMagic implements LineMagic {
    @Override public List<String> names() { return List.of("classpath", "jars"); }

    @Override public String help() {
        return "%classpath PATH... (alias %jars): add jars or class folders (globs such as lib/*.jar allowed) to the cell class path";
    }

    @Override public String run(String args, MagicContext ctx) throws MagicException {
        if (args.isBlank()) throw new MagicException("%classpath needs at least one jar, folder or glob");
        List<Path> found = new ArrayList<>();
        for (String arg : args.split("[\\s" + File.pathSeparator + "]+")) {
            if (!arg.isEmpty()) found.addAll(expand(arg));
        }
        for (Path p : found) ctx.addToClasspath(p.toAbsolutePath().toString());
        System.out.println("%classpath: added " + found.size() + " entr" + (found.size() == 1 ? "y" : "ies"));
        return null;
    }

    static List<Path> expand(String arg) throws MagicException {
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
