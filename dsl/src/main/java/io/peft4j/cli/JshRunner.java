package io.peft4j.cli;

import jdk.jshell.Diag;
import jdk.jshell.JShell;
import jdk.jshell.Snippet;
import jdk.jshell.SnippetEvent;
import jdk.jshell.SourceCodeAnalysis;
import jdk.jshell.UnresolvedReferenceException;

import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.jar.JarFile;
import java.util.jar.Manifest;

/**
 * {@code bin/peft4j run FILE.jsh}: runs a JShell script non-interactively, in this JVM (JShell's
 * local execution engine, so ND4J's native state and the class path are the launcher's), after
 * peft4j's startup imports ({@link StartupImports}; {@code --no-default-imports} leaves them out)
 * and the snippets of each {@code --startup FILE}. Snippets run in order; the first one that does
 * not compile, throws, or refers to something undefined stops the run with exit status 1 and a
 * message naming the snippet's line. Bare expressions print their value ({@code $1 ==> value})
 * as JShell does (PrintStream results of {@code printf} excepted). JShell commands ({@code /exit}, {@code /open} ...) are not supported, except a
 * final {@code /exit}.
 * <pre>
 *   java -cp CP io.peft4j.cli.JshRunner [--no-default-imports] [--startup FILE]... SCRIPT.jsh
 * </pre>
 * Exit status: 0 all snippets ran; 1 a snippet failed; 2 bad arguments or unreadable files.
 */
public final class JshRunner {
    private final PrintStream out;
    private final PrintStream err;

    JshRunner(PrintStream out, PrintStream err) { this.out = out; this.err = err; }

    /** A snippet that failed: where, and why. */
    static final class SnippetFailure extends Exception {
        SnippetFailure(String message) { super(message); }
    }

    public static void main(String[] args) {
        System.exit(new JshRunner(System.out, System.err).run(args));
    }

    int run(String[] args) {
        List<Path> startups = new ArrayList<>();
        Path script = null;
        boolean defaultImports = true;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--help") || args[i].equals("-h")) {
                out.println(USAGE);
                return 0;
            } else if (args[i].equals("--no-default-imports")) {
                defaultImports = false;
            } else if (args[i].equals("--startup")) {
                if (i + 1 >= args.length) return usage("--startup needs a FILE");
                startups.add(Path.of(args[++i]));
            } else if (args[i].startsWith("-")) {
                return usage("unknown option '" + args[i] + "'; valid: --startup FILE, --no-default-imports, --help");
            } else if (script == null) {
                script = Path.of(args[i]);
            } else {
                return usage("one script only, got '" + script + "' and '" + args[i] + "'");
            }
        }
        if (script == null) return usage("no script given");
        for (Path p : concat(startups, script)) {
            if (!Files.isRegularFile(p)) return usage("cannot read '" + p + "': not a file");
        }
        try (JShell js = JShell.builder().executionEngine("local").out(out).err(err).build()) {
            for (String entry : classpathEntries()) js.addToClasspath(entry);
            if (defaultImports) evalLines(js, "peft4j startup imports (" + StartupImports.RESOURCE + ")", StartupImports.text().lines().toList(), false);
            for (Path s : startups) evalFile(js, s, false);
            evalFile(js, script, true);
            return 0;
        } catch (SnippetFailure f) {
            err.println(f.getMessage());
            return 1;
        } catch (IOException e) {
            return usage("cannot read: " + e.getMessage());
        }
    }

    private static List<Path> concat(List<Path> a, Path b) {
        List<Path> l = new ArrayList<>(a);
        l.add(b);
        return l;
    }

    private int usage(String why) {
        err.println("peft4j run: " + why);
        err.println(USAGE);
        return 2;
    }

    static final String USAGE = "usage: peft4j run FILE.jsh   (java io.peft4j.cli.JshRunner [--no-default-imports] [--startup FILE]... FILE.jsh)\n"
        + "Runs a JShell script after peft4j's startup imports; exit status 1 when a snippet fails to compile or throws.";

    /**
     * Evaluates every snippet of {@code file} in order, reading it line by line as JShell reads a
     * script: a line that completes a snippet ends it (so {@code a + b} alone on a line is an
     * expression), an incomplete one continues on the next line. Stops at the first failure.
     */
    void evalFile(JShell js, Path file, boolean echo) throws IOException, SnippetFailure {
        evalLines(js, file.toString(), Files.readAllLines(file, StandardCharsets.UTF_8), echo);
    }

    void evalLines(JShell js, String file, List<String> lines, boolean echo) throws SnippetFailure {
        SourceCodeAnalysis sca = js.sourceCodeAnalysis();
        StringBuilder buf = new StringBuilder();
        int startLine = 0;
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (buf.toString().isBlank()) {
                buf.setLength(0);
                startLine = i + 1;
                String cmd = line.strip();
                if (cmd.matches("/[A-Za-z!?].*")) {                // a JShell command: only a final /exit is allowed
                    if (cmd.equals("/exit") && lines.subList(i + 1, lines.size()).stream().allMatch(String::isBlank)) return;
                    throw new SnippetFailure(file + ":" + (i + 1) + ": JShell command '" + cmd + "' is not supported by peft4j run");
                }
            }
            buf.append(line).append('\n');
            while (!buf.toString().isBlank()) {
                SourceCodeAnalysis.CompletionInfo ci = sca.analyzeCompletion(buf.toString());
                if (ci.completeness() == SourceCodeAnalysis.Completeness.EMPTY) { buf.setLength(0); break; }
                if (!ci.completeness().isComplete()) break;       // continues on the next line
                for (SnippetEvent e : js.eval(ci.source())) check(js, e, file, startLine, echo);
                buf = new StringBuilder(ci.remaining());
            }
        }
        if (!buf.toString().isBlank()) {
            for (SnippetEvent e : js.eval(buf.toString())) check(js, e, file, startLine, echo);
            throw new SnippetFailure(file + ":" + startLine + ": incomplete snippet at the end of the file: " + firstLine(buf.toString()));
        }
    }

    private void check(JShell js, SnippetEvent e, String file, int line, boolean echo) throws SnippetFailure {
        if (e.causeSnippet() != null) return;
        Snippet s = e.snippet();
        String where = file + ":" + line + ": ";
        String head = firstLine(s.source());
        if (e.status() == Snippet.Status.REJECTED) {
            StringBuilder b = new StringBuilder(where + "does not compile: " + head);
            js.diagnostics(s).filter(Diag::isError).forEach(d -> b.append("\n    ").append(d.getMessage(Locale.ROOT)));
            throw new SnippetFailure(b.toString());
        }
        if (e.exception() != null) {
            StringBuilder b = new StringBuilder(where + "threw ");
            if (e.exception() instanceof UnresolvedReferenceException u) {
                b.append("an unresolved reference in: ").append(head).append("\n    needs ")
                    .append(String.join(", ", js.unresolvedDependencies(u.getSnippet()).toList()));
            } else {
                b.append(e.exception().getMessage()).append(" in: ").append(head);
                for (StackTraceElement el : e.exception().getStackTrace()) b.append("\n    at ").append(el);
            }
            throw new SnippetFailure(b.toString());
        }
        if (e.status() == Snippet.Status.RECOVERABLE_DEFINED || e.status() == Snippet.Status.RECOVERABLE_NOT_DEFINED) {
            throw new SnippetFailure(where + "refers to something undefined: " + head + "\n    needs "
                + String.join(", ", js.unresolvedDependencies((jdk.jshell.DeclarationSnippet) s).toList()));
        }
        // like JShell's feedback for bare expressions ($1 ==> value), except PrintStream results (printf chains)
        if (echo && e.value() != null && s instanceof jdk.jshell.VarSnippet v
                && s.subKind() == Snippet.SubKind.TEMP_VAR_EXPRESSION_SUBKIND && !v.typeName().endsWith("PrintStream")) {
            out.println(v.name() + " ==> " + e.value());
        }
    }

    private static String firstLine(String src) {
        String l = src.strip().lines().findFirst().orElse("");
        return l.length() > 120 ? l.substring(0, 117) + "..." : l;
    }

    /** {@code java.class.path} with manifest {@code Class-Path} entries expanded (as Maven Surefire passes it). */
    public static List<String> classpathEntries() {
        Set<String> out = new LinkedHashSet<>();
        for (String e : System.getProperty("java.class.path", "").split(File.pathSeparator))
            if (!e.isBlank()) add(Path.of(e).toAbsolutePath(), out, 0);
        return new ArrayList<>(out);
    }

    private static void add(Path p, Set<String> out, int depth) {
        if (!out.add(p.toString()) || depth > 2 || !p.toString().endsWith(".jar") || !Files.isRegularFile(p)) return;
        try (JarFile jar = new JarFile(p.toFile())) {
            Manifest mf = jar.getManifest();
            String cp = mf == null ? null : mf.getMainAttributes().getValue("Class-Path");
            if (cp == null) return;
            for (String item : cp.trim().split("\\s+")) {
                if (item.isEmpty()) continue;
                URI uri = p.toUri().resolve(item);
                if ("file".equals(uri.getScheme())) add(Path.of(uri), out, depth + 1);
            }
        } catch (IOException | IllegalArgumentException ignored) {
            // not a readable jar: the entry itself is kept
        }
    }
}
