package io.peft4j.kernel.magics;

import java.io.File;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * {@code %maven groupId:artifactId:version...}: resolves each artifact and its runtime dependencies
 * with {@link MavenResolver} (the local repository, then Maven Central) and adds the jars to the cell
 * class path. Jars of an artifact the kernel already has (same groupId and artifactId, any version)
 * are left out, so a cell never sees two versions of, say, slf4j-api or Jackson.
 */
final class MavenMagic implements LineMagic {
    private final MavenResolver resolver;
    private final List<String> kernelClasspath;

    MavenMagic(MavenResolver resolver, List<String> kernelClasspath) {
        this.resolver = resolver;
        this.kernelClasspath = List.copyOf(kernelClasspath);
    }

    @Override public List<String> names() { return List.of("maven"); }

    @Override public String help() {
        return "%maven GROUP:ARTIFACT:VERSION...: resolve artifacts and their runtime dependencies (local repository "
            + resolver.localRepository() + (resolver.offline() ? ", offline" : ", then " + String.join(", ", resolver.remotes()))
            + ") and add the jars to the cell class path";
    }

    @Override public String run(String args, MagicContext ctx) throws MagicException {
        List<String> coords = new ArrayList<>();
        for (String c : args.strip().split("\\s+")) if (!c.isEmpty()) coords.add(c);
        if (coords.isEmpty()) throw new MagicException("%maven needs coordinates, e.g. %maven org.apache.commons:commons-math3:3.6.1");
        Set<File> added = new LinkedHashSet<>();
        List<String> skipped = new ArrayList<>();
        for (String c : coords) {
            for (MavenResolver.Resolved r : resolver.resolve(c)) {
                if (onKernelClasspath(r.coordinates())) { skipped.add(r.coordinates()); continue; }
                if (added.add(r.file())) ctx.addToClasspath(r.file().getAbsolutePath());
            }
        }
        StringBuilder msg = new StringBuilder("%maven: added " + added.size() + " jar" + (added.size() == 1 ? "" : "s"));
        for (File f : added) msg.append("\n  ").append(f.getName());
        if (!skipped.isEmpty()) msg.append("\n  already provided by the kernel: ").append(String.join(", ", skipped));
        System.out.println(msg);
        return null;
    }

    /** Whether the kernel's class path has a jar of {@code groupId:artifactId} (in a Maven repository layout). */
    boolean onKernelClasspath(String coordinates) {
        String[] p = coordinates.split(":");
        if (p.length < 3) return false;
        String dir = File.separator + p[0].replace('.', File.separatorChar) + File.separator + p[1] + File.separator;
        for (String e : kernelClasspath) {
            Path path = Path.of(e);
            if (e.contains(dir) && path.getFileName() != null && path.getFileName().toString().startsWith(p[1] + "-")) return true;
        }
        return false;
    }
}
