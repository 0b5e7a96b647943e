package io.peft4j.hf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Finds a model's (an adapter's, a dataset's) files: a local folder, else the Hugging Face cache,
 * else a download from the hub into that cache, the way huggingface_hub's {@code snapshot_download}
 * does, so that Python and peft4j share one cache.
 *
 * <h2>Order</h2>
 * <ol>
 *   <li>{@code idOrPath} names an existing folder: that folder, as it is (the loaders say what is missing).</li>
 *   <li>Otherwise it is a hub id ({@code org/name}, or {@code name}) with a revision (a branch, tag,
 *       {@code refs/pr/N} or commit; default {@code main}).</li>
 *   <li>{@code HF_HUB_OFFLINE=1}: the cache only ({@code refs/<revision>} gives the commit,
 *       {@code snapshots/<commit>/} the files); a miss names the id, the cache folder and what is missing.</li>
 *   <li>Online: {@code GET {HF_ENDPOINT}/api/models/{id}/revision/{rev}} lists the repository's files and
 *       the commit; a {@link FileSelection} picks what is needed from that list (never a pickle file);
 *       each file not yet in the snapshot is fetched by {@link Download} from
 *       {@code {HF_ENDPOINT}/{id}/resolve/{commit}/{file}}; a weight index is read and its shards fetched;
 *       then {@code refs/<rev>} records the commit. When the hub cannot be reached, a complete cached
 *       snapshot of the revision is used instead (with a warning), as huggingface_hub does.</li>
 * </ol>
 * A 40-hex commit that is complete in the cache is used without asking the hub (a commit never changes).
 *
 * <p>Downloads report to the {@link DownloadListener} given, else to the listeners registered with
 * {@code Peft.onDownload} ({@link DownloadListeners}), else to a terminal {@link DownloadProgressBar}.
 * The environment ({@link HubEnvironment}) is injectable; the no-argument constructor reads the
 * process environment overlaid by system properties of the same names.
 */
public final class HubResolver {
    public static final String DEFAULT_ENDPOINT = HubEnvironment.DEFAULT_ENDPOINT;
    /** Largest weight index accepted. */
    static final long MAX_INDEX_BYTES = 64L << 20;

    private final HubEnvironment env;
    private final HubClient client;
    private final DownloadListener listener;

    /** The process environment (and system properties of the same names); downloads shown as {@link DownloadListeners} say. */
    public HubResolver() { this(HubEnvironment.fromProcess()); }

    /** Explicit variables ({@code HF_ENDPOINT}, {@code HF_HUB_CACHE}, ...; see {@link HubEnvironment}). */
    public HubResolver(Map<String, String> env) { this(HubEnvironment.of(env)); }

    public HubResolver(HubEnvironment env) { this(env, null); }

    /** @param listener where downloads report; null for the default ({@link DownloadListeners}) */
    public HubResolver(HubEnvironment env, DownloadListener listener) {
        this(env, new HubClient(env), listener);
    }

    HubResolver(HubEnvironment env, HubClient client, DownloadListener listener) {
        this.env = Objects.requireNonNull(env, "env");
        this.client = Objects.requireNonNull(client, "client");
        this.listener = DownloadListeners.safe(listener != null ? listener : DownloadListeners.defaultFor(env));
    }

    public HubEnvironment environment() { return env; }
    /** The hub cache folder this resolver uses. */
    public Path cacheDir() { return env.cacheDir(); }
    public String endpoint() { return env.endpoint(); }
    public boolean offline() { return env.offline(); }

    /** Cache folder of a model repository: {@code models--org--name}. */
    public Path repoCacheDir(String repoId) { return cacheDir().resolve(HubRepo.model(repoId).cacheFolderName()); }

    // ------------------------------------------------------------------ entry points

    /** A model folder: config, weights (index + shards, else the single file), generation config, tokenizer files. */
    public Path resolveModel(String idOrPath, String revision) throws HubException {
        return resolve(HubRepo.Type.MODEL, idOrPath, revision, FileSelection.model());
    }

    /** A PEFT adapter folder ({@code adapter_config.json}, {@code adapter_model.safetensors}). */
    public Path resolveAdapter(String idOrPath, String revision) throws HubException {
        return resolve(HubRepo.Type.MODEL, idOrPath, revision, FileSelection.adapter());
    }

    /** Files of a dataset repository ({@code datasets--org--name} in the cache). */
    public Path resolveDataset(String idOrPath, String revision, FileSelection files) throws HubException {
        return resolve(HubRepo.Type.DATASET, idOrPath, revision, files);
    }

    /** A model repository's files as {@code files} selects them. */
    public Path resolve(String idOrPath, String revision, FileSelection files) throws HubException {
        return resolve(HubRepo.Type.MODEL, idOrPath, revision, files);
    }

    /**
     * The folder holding all of {@code files} (each required) of a model id or local folder.
     *
     * @throws IllegalArgumentException for a pickle file or a name that is not a relative path
     */
    public Path resolve(String idOrPath, String revision, List<String> files) throws HubException {
        FileSelection sel = FileSelection.files(files);
        Optional<Path> local = localFolder(idOrPath);
        if (local.isPresent()) {
            List<String> missing = files.stream().filter(f -> !Files.isRegularFile(local.get().resolve(f))).toList();
            if (!missing.isEmpty())
                throw new HubException(HubException.Kind.FILE_NOT_FOUND, "local folder " + local.get() + " lacks " + String.join(", ", missing));
            return local.get();
        }
        return resolve(HubRepo.Type.MODEL, idOrPath, revision, sel);
    }

    /**
     * The general form: a local folder as it is, else the hub repository {@code idOrPath} of
     * {@code type} at {@code revision} (null: {@code main}), with the files {@code sel} picks.
     */
    public Path resolve(HubRepo.Type type, String idOrPath, String revision, FileSelection sel) throws HubException {
        Objects.requireNonNull(idOrPath, "idOrPath");
        Objects.requireNonNull(sel, "file selection");
        Optional<Path> local = localFolder(idOrPath);
        if (local.isPresent()) return local.get();
        if (!HubRepo.isValidId(idOrPath)) {
            boolean pathLike = idOrPath.startsWith("/") || idOrPath.startsWith(".") || idOrPath.startsWith("~") || idOrPath.contains("\\")
                || idOrPath.chars().filter(c -> c == '/').count() > 1;
            throw new HubException(pathLike ? HubException.Kind.FILE_NOT_FOUND : HubException.Kind.INVALID_REFERENCE,
                "\"" + idOrPath + "\" is neither an existing folder nor a hub id like org/name"
                    + (pathLike ? " (no folder " + Path.of("").toAbsolutePath().resolve(idOrPath).normalize() + ")" : ""));
        }
        HubRepo repo = new HubRepo(type, idOrPath);
        String rev = HubRepo.checkRevision(revision);
        try {
            return resolveHub(repo, rev, sel);
        } catch (HubException e) {
            if (e.kind() != HubException.Kind.REPO_NOT_FOUND && e.kind() != HubException.Kind.OFFLINE) throw e;
            HubException w = new HubException(e.kind(), "\"" + idOrPath + "\" is not a local folder, so it was looked up as a hub id: "
                + e.getMessage(), e.getCause());
            for (Throwable s : e.getSuppressed()) w.addSuppressed(s);
            throw w;
        }
    }

    /** Whether {@code s} has the form of a hub id (whether or not a folder of that name exists). */
    public static boolean isHubId(String s) { return HubRepo.isValidId(s); }

    private static Optional<Path> localFolder(String idOrPath) {
        try {
            String s = idOrPath.equals("~") || idOrPath.startsWith("~/") ? System.getProperty("user.home") + idOrPath.substring(1) : idOrPath;
            if (s.isBlank()) return Optional.empty();
            Path p = Path.of(s);
            return Files.isDirectory(p) ? Optional.of(p) : Optional.empty();
        } catch (InvalidPathException e) {
            return Optional.empty();
        }
    }

    // ------------------------------------------------------------------ hub and cache

    private Path resolveHub(HubRepo repo, String rev, FileSelection sel) throws HubException {
        HubCache cache = new HubCache(env.cacheDir(), repo);
        if (env.offline()) return fromCache(cache, repo, rev, sel, true);
        if (HubRepo.COMMIT.matcher(rev).matches()) {
            try {
                return fromCache(cache, repo, rev, sel, false);
            } catch (HubException notComplete) {
                // fetch below
            }
        }
        try {
            return online(cache, repo, rev, sel);
        } catch (HubException e) {
            if (!e.isTransient() && e.kind() != HubException.Kind.INCOMPLETE) throw e;
            try {
                Path p = fromCache(cache, repo, rev, sel, false);
                System.err.println("peft4j: warning: " + e.getMessage() + "\npeft4j: using the cached snapshot " + p);
                return p;
            } catch (HubException miss) {
                e.addSuppressed(miss);
                throw e;
            }
        }
    }

    private Path online(HubCache cache, HubRepo repo, String rev, FileSelection sel) throws HubException {
        HubListing listing = client.listing(repo, rev);
        String where = repo + " (revision " + rev + ")";
        FileSelection.Plan plan = sel.plan(listing.names(), where);
        Tracking track = new Tracking(listener);
        String commit = listing.commit();
        String outcome = "done";
        try {
            for (String f : plan.files()) commit = fetch(cache, repo, rev, f, listing, commit, track);
            if (plan.index() != null) {
                for (String shard : shards(cache.pointer(commit, plan.index()), listing.names(), where))
                    commit = fetch(cache, repo, rev, shard, listing, commit, track);
            }
            try {
                cache.writeRef(rev, commit);
            } catch (IOException e) {
                throw new HubException(HubException.Kind.OTHER, "cannot write refs/" + rev + " in " + cache.repoDir() + ": " + e, e);
            }
        } catch (HubException e) {
            outcome = e.getMessage();
            throw e;
        } finally {
            if (track.started) listener.onEnd(repo.toString(), outcome);
        }
        return cache.snapshot(commit);
    }

    private String fetch(HubCache cache, HubRepo repo, String rev, String file, HubListing listing, String commit, DownloadListener l)
            throws HubException {
        Download d = new Download(client, cache, repo, rev, file, listing.get(file).orElse(null), l);
        return d.run(commit).commit();
    }

    private Path fromCache(HubCache cache, HubRepo repo, String rev, FileSelection sel, boolean offlineMode) throws HubException {
        String offlineNote = offlineMode ? "; HF_HUB_OFFLINE is set, so nothing is downloaded: run once without HF_HUB_OFFLINE to "
            + "download it, or unset it" : "";
        Optional<String> commit = cache.commitFor(rev);
        if (commit.isEmpty() || !Files.isDirectory(cache.snapshot(commit.get())))
            throw new HubException(HubException.Kind.OFFLINE, repo.type().name().toLowerCase(java.util.Locale.ROOT) + " " + repo.id()
                + " (revision " + rev + ") is not in the Hugging Face cache at " + cache.repoDir()
                + (commit.isEmpty() ? " (no refs/" + rev + ")" : " (no snapshots/" + commit.get() + ")") + offlineNote);
        Path snap = cache.snapshot(commit.get());
        String where = repo + " (revision " + rev + ") in the cache at " + snap;
        try {
            Set<String> names;
            try {
                names = cache.snapshotFiles(commit.get(), HubListing.MAX_FILES);
            } catch (IOException e) {
                throw new HubException(HubException.Kind.OTHER, "cannot list " + snap + ": " + e, e);
            }
            FileSelection.Plan plan = sel.plan(names, where);
            if (plan.index() != null) shards(snap.resolve(plan.index()), names, where);
            return snap;
        } catch (HubException e) {
            if (e.kind() != HubException.Kind.FILE_NOT_FOUND && e.kind() != HubException.Kind.PICKLE_ONLY) throw e;
            throw new HubException(offlineMode ? HubException.Kind.OFFLINE : e.kind(), e.getMessage() + offlineNote, e);
        }
    }

    /**
     * The shards a weight index names ({@code weight_map} values), each a safe relative safetensors
     * name that the repository has.
     */
    static List<String> shards(Path index, Set<String> available, String where) throws HubException {
        JsonNode root;
        try {
            if (Files.size(index) > MAX_INDEX_BYTES)
                throw new HubException(HubException.Kind.PROTOCOL, index.getFileName() + " of " + where + " is larger than "
                    + (MAX_INDEX_BYTES >> 20) + " MiB; refusing it");
            root = new ObjectMapper().readTree(index.toFile());
        } catch (HubException e) {
            throw e;
        } catch (IOException e) {
            throw new HubException(HubException.Kind.PROTOCOL, index.getFileName() + " of " + where + " is not valid JSON: " + e.getMessage(), e);
        }
        JsonNode map = root == null ? null : root.get("weight_map");
        if (map == null || !map.isObject() || map.isEmpty())
            throw new HubException(HubException.Kind.PROTOCOL, index.getFileName() + " of " + where + " has no \"weight_map\" object");
        Set<String> shards = new TreeSet<>();
        for (Iterator<JsonNode> it = map.elements(); it.hasNext(); ) {
            JsonNode v = it.next();
            String s = v.isTextual() ? v.asText() : null;
            if (s == null || !HubRepo.isSafeFileName(s) || !s.endsWith(".safetensors"))
                throw new HubException(HubException.Kind.PROTOCOL, index.getFileName() + " of " + where + " names the shard \""
                    + HubListing.abbreviate(String.valueOf(v)) + "\", which is not a relative .safetensors file name inside the repository");
            shards.add(s);
            if (shards.size() > HubListing.MAX_FILES)
                throw new HubException(HubException.Kind.PROTOCOL, index.getFileName() + " of " + where + " names more than "
                    + HubListing.MAX_FILES + " shards");
        }
        List<String> missing = new ArrayList<>();
        for (String s : shards) if (!available.contains(s)) missing.add(s);
        if (!missing.isEmpty())
            throw new HubException(HubException.Kind.FILE_NOT_FOUND, index.getFileName() + " of " + where + " names the shard(s) "
                + String.join(", ", missing.subList(0, Math.min(10, missing.size()))) + (missing.size() > 10 ? ", ..." : "")
                + ", missing from " + where);
        return new ArrayList<>(shards);
    }

    /** Remembers whether any file started, so that {@link DownloadListener#onEnd} follows only real downloads. */
    private static final class Tracking implements DownloadListener {
        private final DownloadListener inner;
        boolean started;
        Tracking(DownloadListener inner) { this.inner = inner; }
        @Override public void onFileStart(Event e) { started = true; inner.onFileStart(e); }
        @Override public void onFileProgress(Event e) { inner.onFileProgress(e); }
        @Override public void onFileEnd(Event e, String outcome) { inner.onFileEnd(e, outcome); }
    }
}
