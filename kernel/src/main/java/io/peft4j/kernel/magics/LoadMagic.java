package io.peft4j.kernel.magics;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * {@code %load FILE.jsh}: runs a JShell script's snippets as part of this cell (its definitions stay
 * defined for later cells). Relative paths resolve against the kernel's working directory (the
 * notebook's folder under Jupyter). JShell commands ({@code /open} ...) are not supported in the file.
 */
final class LoadMagic implements LineMagic {
    @Override public List<String> names() { return List.of("load"); }

    @Override public String help() { return "%load FILE.jsh: run a JShell script's snippets in this cell (its definitions stay)"; }

    @Override public String run(String args, MagicContext ctx) throws MagicException {
        String arg = args.strip();
        if (arg.isEmpty()) throw new MagicException("%load needs a FILE, e.g. %load helpers.jsh");
        if (arg.length() > 1 && (arg.startsWith("\"") && arg.endsWith("\"") || arg.startsWith("'") && arg.endsWith("'"))) {
            arg = arg.substring(1, arg.length() - 1);
        }
        Path file = Path.of(arg.startsWith("~/") ? System.getProperty("user.home") + arg.substring(1) : arg);
        if (!Files.isRegularFile(file)) {
            throw new MagicException("%load: no such file: " + file.toAbsolutePath().normalize());
        }
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException | RuntimeException e) {
            throw new MagicException("%load: cannot read " + file + ": " + e.getMessage(), e);
        }
        for (String line : text.lines().toList()) {
            String t = line.strip();
            if (t.matches("/[A-Za-z!?].*") && !t.startsWith("//") && !t.startsWith("/*")) {
                throw new MagicException("%load: " + file + " contains the JShell command '" + t + "', which cells do not support");
            }
        }
        return text;
    }
}
