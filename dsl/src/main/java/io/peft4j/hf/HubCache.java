package io.peft4j.hf;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileVisitOption;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * One repository's folder in the Hugging Face cache, laid out exactly as huggingface_hub lays it out,
 * so that Python and peft4j share one cache:
 * <pre>
 * {cache}/CACHEDIR.TAG
 * {cache}/.locks/models--org--name/{etag}.lock
 * {cache}/models--org--name/refs/{revision}            the commit a branch/tag pointed to (no newline)
 * {cache}/models--org--name/blobs/{etag}               the file's bytes (etag = sha256 for LFS files, git sha1 otherwise)
 * {cache}/models--org--name/blobs/{etag}.incomplete    a transfer in progress (resumed with a Range request)
 * {cache}/models--org--name/snapshots/{commit}/{file}  a relative symlink to ../../blobs/{etag}
 * </pre>
 * Where the file system has no symbolic links the snapshot holds the file itself (huggingface_hub does
 * the same). Every name that comes from the hub (etag, commit, file) is checked before it becomes a
 * path, and every path is checked to stay inside the repository folder.
 */
final class HubCache {
    static final String CACHEDIR_TAG = "Signature: 8a477f597d28d172789f06886806bc55\n"
        + "# This file is a cache directory tag created by huggingface_hub.\n"
        + "# For information about cache directory tags, see:\n"
        + "#\thttps://bford.info/cachedir/\n";
    private static final Pattern ETAG = Pattern.compile("[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}");
    private static final ConcurrentHashMap<Path, ReentrantLock> JVM_LOCKS = new ConcurrentHashMap<>();

    private final Path root;
    private final HubRepo repo;
    private final Path dir;

    HubCache(Path root, HubRepo repo) {
        this.root = root.toAbsolutePath().normalize();
        this.repo = Objects.requireNonNull(repo, "repo");
        this.dir = this.root.resolve(repo.cacheFolderName());
    }

    Path root() { return root; }
    Path repoDir() { return dir; }

    /** The commit for {@code revision}: the revision itself when it is a commit, else {@code refs/<revision>}. */
    Optional<String> commitFor(String revision) {
        if (HubRepo.COMMIT.matcher(revision).matches()) return Optional.of(revision);
        Path ref = inside(dir.resolve("refs"), revision);
        try {
            if (!Files.isRegularFile(ref) || Files.size(ref) > 256) return Optional.empty();
            String c = Files.readString(ref, StandardCharsets.UTF_8).trim();
            return HubRepo.COMMIT.matcher(c).matches() ? Optional.of(c) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    Path snapshot(String commit) {
        if (!HubRepo.COMMIT.matcher(commit).matches()) throw new IllegalArgumentException("not a commit: " + commit);
        return dir.resolve("snapshots").resolve(commit);
    }

    /** {@code snapshots/<commit>/<file>}, checked to stay in the snapshot. */
    Path pointer(String commit, String file) { return inside(snapshot(commit), file); }

    Path blob(String etag) { return dir.resolve("blobs").resolve(etag); }

    Path incomplete(String etag) { return dir.resolve("blobs").resolve(etag + ".incomplete"); }

    static boolean isValidEtag(String etag) { return etag != null && ETAG.matcher(etag).matches() && !etag.equals("..") && !etag.equals("."); }

    /** Whether a snapshot entry is usable (a regular file, or a link to one). */
    static boolean usable(Path p) { return Files.isRegularFile(p); }

    /** The files of a snapshot ('/'-separated names relative to it), following links; at most {@code max}. */
    Set<String> snapshotFiles(String commit, int max) throws IOException {
        Path snap = snapshot(commit);
        Set<String> out = new TreeSet<>();
        if (!Files.isDirectory(snap)) return out;
        try (Stream<Path> s = Files.walk(snap, 16, FileVisitOption.FOLLOW_LINKS)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                if (!Files.isRegularFile(p)) continue;
                if (out.size() >= max) break;
                out.add(snap.relativize(p).toString().replace('\\', '/'));
            }
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        return out;
    }

    /** Writes {@code refs/<revision>} (atomically) when the revision is a branch or tag and its commit changed. */
    void writeRef(String revision, String commit) throws IOException {
        if (revision.equals(commit)) return;
        Path ref = inside(dir.resolve("refs"), revision);
        if (Files.isRegularFile(ref) && commit.equals(Files.readString(ref, StandardCharsets.UTF_8))) return;
        Files.createDirectories(ref.getParent());
        Path tmp = ref.resolveSibling(ref.getFileName() + "." + UUID.randomUUID().toString().substring(0, 8) + ".tmp");
        try {
            Files.writeString(tmp, commit, StandardCharsets.UTF_8);
            move(tmp, ref);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Tags the cache folder for backup tools, as huggingface_hub does (best effort). */
    void tag() {
        Path t = root.resolve("CACHEDIR.TAG");
        if (Files.exists(t)) return;
        try {
            Files.createDirectories(root);
            Files.writeString(t, CACHEDIR_TAG, StandardCharsets.UTF_8);
        } catch (IOException ignored) { }
    }

    /**
     * Puts {@code pointer} in place for {@code blob}: a relative symbolic link, created under a
     * temporary name and renamed over the pointer. Without symbolic links, the blob is moved there
     * when it is new ({@code newBlob}) and copied otherwise, as huggingface_hub does.
     */
    void link(Path blob, Path pointer, boolean newBlob) throws IOException {
        Files.createDirectories(pointer.getParent());
        Path tmp = pointer.resolveSibling("." + pointer.getFileName() + "." + UUID.randomUUID().toString().substring(0, 8) + ".tmp");
        try {
            try {
                Files.createSymbolicLink(tmp, pointer.getParent().relativize(blob));
            } catch (UnsupportedOperationException | IOException noLinks) {
                Files.deleteIfExists(tmp);
                if (newBlob) {
                    move(blob, pointer);
                    return;
                }
                Files.copy(blob, tmp, StandardCopyOption.REPLACE_EXISTING);
            }
            move(tmp, pointer);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Renames atomically where the file system can. */
    static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** Holds the lock of one blob: other threads of this JVM and other processes wait. */
    interface Held extends AutoCloseable { @Override void close() throws IOException; }

    Held lock(String etag) throws IOException {
        Path lockFile = root.resolve(".locks").resolve(repo.cacheFolderName()).resolve(etag + ".lock");
        Files.createDirectories(lockFile.getParent());
        ReentrantLock jvm = JVM_LOCKS.computeIfAbsent(lockFile, k -> new ReentrantLock());
        jvm.lock();
        FileChannel ch = null;
        try {
            ch = FileChannel.open(lockFile, EnumSet.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE));
            FileLock fl = ch.lock();
            FileChannel channel = ch;
            return () -> {
                try { fl.release(); } finally { try { channel.close(); } finally { jvm.unlock(); } }
            };
        } catch (IOException | RuntimeException e) {
            if (ch != null) try { ch.close(); } catch (IOException ignored) { }
            jvm.unlock();
            throw e;
        }
    }

    /** {@code base/<relative>}, refusing anything that would leave {@code base}. */
    private static Path inside(Path base, String relative) {
        if (!HubRepo.isSafeFileName(relative)) throw new IllegalArgumentException("unsafe name inside the cache: \"" + relative + "\"");
        Path p = base.resolve(relative).normalize();
        if (!p.startsWith(base) || p.equals(base)) throw new IllegalArgumentException("\"" + relative + "\" leaves " + base);
        return p;
    }
}
