package io.peft4j.kernel.magics;

import org.apache.maven.repository.internal.MavenRepositorySystemUtils;
import org.eclipse.aether.DefaultRepositorySystemSession;
import org.eclipse.aether.RepositorySystem;
import org.eclipse.aether.artifact.Artifact;
import org.eclipse.aether.artifact.DefaultArtifact;
import org.eclipse.aether.collection.CollectRequest;
import org.eclipse.aether.graph.Dependency;
import org.eclipse.aether.repository.LocalRepository;
import org.eclipse.aether.repository.RemoteRepository;
import org.eclipse.aether.resolution.ArtifactResult;
import org.eclipse.aether.resolution.DependencyRequest;
import org.eclipse.aether.resolution.DependencyResolutionException;
import org.eclipse.aether.supplier.RepositorySystemSupplier;
import org.eclipse.aether.util.artifact.JavaScopes;
import org.eclipse.aether.util.filter.DependencyFilterUtils;

import java.io.File;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Resolves Maven coordinates with their runtime dependencies through Maven Resolver, as Maven itself
 * would: the local repository first, then the remote repositories (Maven Central by default).
 *
 * <p>Settings (system properties of the kernel JVM, e.g. in the kernelspec's argv):
 * <ul>
 *   <li>{@code maven.repo.local}: the local repository (default {@code ~/.m2/repository});</li>
 *   <li>{@code peft4j.maven.remotes}: comma-separated repository URLs (default Maven Central);</li>
 *   <li>{@code peft4j.maven.offline=true}: the local repository only.</li>
 * </ul>
 */
public final class MavenResolver {
    public static final String CENTRAL = "https://repo.maven.apache.org/maven2/";

    private final Path localRepository;
    private final List<String> remotes;
    private final boolean offline;
    private RepositorySystem system;

    public MavenResolver(Path localRepository, List<String> remotes, boolean offline) {
        this.localRepository = Objects.requireNonNull(localRepository, "localRepository");
        this.remotes = List.copyOf(remotes);
        this.offline = offline;
    }

    /** Settings from the system properties above. */
    public static MavenResolver fromSystemProperties() {
        String local = System.getProperty("maven.repo.local");
        Path repo = local != null && !local.isBlank() ? Path.of(local)
            : Path.of(System.getProperty("user.home"), ".m2", "repository");
        String r = System.getProperty("peft4j.maven.remotes", CENTRAL);
        List<String> remotes = new ArrayList<>();
        for (String u : r.split(",")) if (!u.isBlank()) remotes.add(u.strip());
        return new MavenResolver(repo, remotes, Boolean.getBoolean("peft4j.maven.offline"));
    }

    public Path localRepository() { return localRepository; }
    public List<String> remotes() { return remotes; }
    public boolean offline() { return offline; }

    /** One resolved jar: its coordinates and file. */
    public record Resolved(String coordinates, File file) {}

    /**
     * The artifact {@code groupId:artifactId[:extension[:classifier]]:version} and its runtime
     * dependencies, the requested one first.
     */
    public List<Resolved> resolve(String coordinates) throws MagicException {
        Artifact artifact;
        try {
            artifact = new DefaultArtifact(coordinates);
        } catch (IllegalArgumentException e) {
            throw new MagicException("'" + coordinates + "' is not Maven coordinates: use groupId:artifactId:version "
                + "(or groupId:artifactId:extension[:classifier]:version)");
        }
        RepositorySystem sys = system();
        DefaultRepositorySystemSession session = MavenRepositorySystemUtils.newSession();
        session.setLocalRepositoryManager(sys.newLocalRepositoryManager(session, new LocalRepository(localRepository.toFile())));
        session.setOffline(offline);
        List<RemoteRepository> repos = new ArrayList<>();
        for (int i = 0; i < remotes.size(); i++) {
            repos.add(new RemoteRepository.Builder(i == 0 ? "central" : "remote" + i, "default", remotes.get(i)).build());
        }
        CollectRequest collect = new CollectRequest(new Dependency(artifact, JavaScopes.RUNTIME), repos);
        DependencyRequest request = new DependencyRequest(collect, DependencyFilterUtils.classpathFilter(JavaScopes.RUNTIME));
        try {
            List<Resolved> out = new ArrayList<>();
            for (ArtifactResult r : sys.resolveDependencies(session, request).getArtifactResults()) {
                Artifact a = r.getArtifact();
                if (a != null && a.getFile() != null) out.add(new Resolved(a.toString(), a.getFile()));
            }
            return out;
        } catch (DependencyResolutionException e) {
            Throwable root = e;
            while (root.getCause() != null && root.getCause() != root) root = root.getCause();
            throw new MagicException("cannot resolve " + coordinates + " (local repository " + localRepository
                + (offline ? ", offline" : ", remotes " + remotes) + "): " + root.getMessage(), e);
        }
    }

    private synchronized RepositorySystem system() {
        if (system == null) system = new RepositorySystemSupplier().get();
        return system;
    }
}
