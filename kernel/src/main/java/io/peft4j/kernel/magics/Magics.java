package io.peft4j.kernel.magics;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The magics IJava users expect, at the top of a cell (before its first Java line):
 * <pre>
 *   %%time                          first line: time the whole cell (CPU and wall)
 *   %maven g:a:v ...                resolve artifacts + runtime dependencies onto the class path
 *   %classpath PATH... / %jars      add jars or class folders (globs allowed)
 *   %load FILE.jsh                  run a JShell script's snippets in this cell
 *   %lsmagic                        list the magics
 * </pre>
 * {@link #prepare} runs the line magics and returns the Java source that remains (each magic line
 * replaced by an empty line, or by the text {@code %load} read, so line numbers of the Java code
 * stay those of the cell otherwise).
 */
public final class Magics {
    private final MagicContext context;
    private final Map<String, LineMagic> line = new LinkedHashMap<>();

    public Magics(MagicContext context, MavenResolver maven, List<String> kernelClasspath) {
        this.context = context;
        register(new MavenMagic(maven, kernelClasspath));
        register(new ClasspathMagic());
        register(new LoadMagic());
    }

    private void register(LineMagic m) { for (String n : m.names()) line.put(n, m); }

    /** The cell after its magics ran: the Java source, and whether {@code %%time} asked for timing. */
    public record Prepared(String java, boolean timed) {}

    public Prepared prepare(String code) throws MagicException {
        String[] lines = code.split("\n", -1);
        StringBuilder java = new StringBuilder();
        boolean header = true, timed = false;
        for (int i = 0; i < lines.length; i++) {
            String t = lines[i].strip();
            if (header && t.startsWith("%%")) {
                String name = t.substring(2).strip().split("\\s+", 2)[0];
                if (!name.equals(TimeMagic.NAME)) throw new MagicException("unknown cell magic %%" + name + "; known: %%time");
                if (java.toString().strip().length() > 0 || timed) throw new MagicException("%%time must be the first line of the cell");
                timed = true;
                java.append('\n');
                continue;
            }
            if (header && t.startsWith("%")) {
                String inserted = run(t);
                java.append(inserted == null ? "" : inserted.endsWith("\n") ? inserted : inserted + "\n");
                if (inserted == null) java.append('\n');
                continue;
            }
            if (!t.isEmpty() && !t.startsWith("//")) header = false;
            java.append(lines[i]);
            if (i < lines.length - 1) java.append('\n');
        }
        return new Prepared(java.toString(), timed);
    }

    private String run(String magicLine) throws MagicException {
        String[] parts = magicLine.substring(1).strip().split("\\s+", 2);
        String name = parts[0];
        String args = parts.length > 1 ? parts[1] : "";
        if (name.equals("lsmagic")) {
            System.out.println(list());
            return null;
        }
        LineMagic m = line.get(name);
        if (m == null) throw new MagicException("unknown magic %" + name + "; known: " + known());
        return m.run(args, context);
    }

    private String known() {
        List<String> names = new ArrayList<>();
        for (String n : line.keySet()) names.add("%" + n);
        names.add("%lsmagic");
        names.add("%%time");
        return String.join(", ", names);
    }

    /** What {@code %lsmagic} prints: every magic with its usage. */
    public String list() {
        StringBuilder sb = new StringBuilder("Line magics (at the top of a cell):\n");
        for (LineMagic m : new java.util.LinkedHashSet<>(line.values())) sb.append("  ").append(m.help()).append('\n');
        sb.append("  %lsmagic: list the magics\n");
        sb.append("Cell magics (first line of a cell):\n  ").append(TimeMagic.HELP);
        return sb.toString();
    }
}
