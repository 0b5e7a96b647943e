package io.peft4j.hf;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Finds a model's files: a local folder, else the Hugging Face cache, else a download from the hub
 * into that cache.
 *
 * <h2>Order</h2>
 * <ol>
 *   <li>{@code modelIdOrPath} names an existing folder: that folder (the files must be in it).</li>
 *   <li>The cache ({@code HF_HUB_CACHE}, else {@code HF_HOME/hub}, else
 *       {@code ~/.cache/huggingface/hub}), laid out as huggingface_hub does:
 *       {@code models--org--name/refs/<revision>} holds the commit,
 *       {@code models--org--name/snapshots/<commit>/<file>} the files. A 40-hex revision is a commit.</li>
 *   <li>Unless {@code HF_HUB_OFFLINE} is 1/true/yes: {@code GET HF_ENDPOINT/<id>/resolve/<revision>/<file>}
 *       (default endpoint {@code https://huggingface.co}; redirects followed; {@code Authorization:
 *       Bearer $HF_TOKEN} when set, or {@code HUGGING_FACE_HUB_TOKEN}). The commit comes from the
 *       {@code X-Repo-Commit} response header (else the revision itself). Each file is written to a
 *       temporary file next to its target and renamed into place; {@code refs/<revision>} is
 *       written the same way. Files are stored in the snapshot folder directly (no blob symlinks,
 *       as huggingface_hub does where symlinks are unavailable).</li>
 * </ol>
 * The environment is injectable for tests; nothing here reads {@code System.getenv} except the
 * no-argument constructor.
 */
public final class HubResolver {
    public static final String DEFAULT_ENDPOINT = "https://huggingface.co";
    private static final Pattern REPO_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)?");
    private static final Pattern COMMIT = Pattern.compile("[0-9a-f]{40}");

    private final Map<String, String> env;
    private final HttpClient http;

    /** Uses the process environment. */
    public HubResolver() { this(System.getenv()); }

    public HubResolver(Map<String, String> env) {
        this(env, HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NORMAL)
            .connectTimeout(Duration.ofSeconds(20)).build());
    }

    public HubResolver(Map<String, String> env, HttpClient http) {
        this.env = Map.copyOf(Objects.requireNonNull(env, "env"));
        this.http = Objects.requireNonNull(http, "http");
    }

    /** The hub cache folder this resolver uses. */
    public Path cacheDir() {
        String c = env.get("HF_HUB_CACHE");
        if (c != null && !c.isBlank()) return Path.of(c);
        String home = env.get("HF_HOME");
        if (home != null && !home.isBlank()) return Path.of(home, "hub");
        String xdg = env.get("XDG_CACHE_HOME");
        if (xdg != null && !xdg.isBlank()) return Path.of(xdg, "huggingface", "hub");
        return Path.of(env.getOrDefault("HOME", System.getProperty("user.home")), ".cache", "huggingface", "hub");
    }

    public String endpoint() {
        String e = env.get("HF_ENDPOINT");
        e = e == null || e.isBlank() ? DEFAULT_ENDPOINT : e.trim();
        return e.endsWith("/") ? e.substring(0, e.length() - 1) : e;
    }

    public boolean offline() {
        String v = env.getOrDefault("HF_HUB_OFFLINE", "").trim().toLowerCase();
        return v.equals("1") || v.equals("true") || v.equals("yes") || v.equals("on");
    }

    private Optional<String> token() {
        for (String k : List.of("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN")) {
            String t = env.get(k);
            if (t != null && !t.isBlank()) return Optional.of(t.trim());
        }
        return Optional.empty();
    }

    /** Cache folder of a repository: {@code models--org--name}. */
    public Path repoCacheDir(String repoId) {
        return cacheDir().resolve("models--" + repoId.replace("/", "--"));
    }

    /**
     * The folder holding all of {@code files} for a model id or local path.
     *
     * @param revision branch, tag or commit; null means {@code main}
     * @throws HubException naming the id, the file and the cache path when a file cannot be found
     */
    public Path resolve(String modelIdOrPath, String revision, List<String> files) throws IOException {
        Objects.requireNonNull(modelIdOrPath, "modelIdOrPath");
        for (String f : files) validateFile(f);
        Path local = Path.of(modelIdOrPath);
        if (Files.isDirectory(local)) {
            List<String> missing = files.stream().filter(f -> !Files.isRegularFile(local.resolve(f))).toList();
            if (!missing.isEmpty()) throw new HubException("local model folder " + local + " lacks " + String.join(", ", missing));
            return local;
        }
        String rev = revision == null || revision.isBlank() ? "main" : revision;
        if (!REPO_ID.matcher(modelIdOrPath).matches() || modelIdOrPath.contains(".."))
            throw new HubException("\"" + modelIdOrPath + "\" is neither an existing folder nor a model id like org/name");
        if (rev.contains("..") || rev.startsWith("/"))
            throw new HubException("invalid revision \"" + rev + "\"");
        Path repo = repoCacheDir(modelIdOrPath);
        Optional<Path> snapshot = cachedSnapshot(repo, rev);
        List<String> missing = new ArrayList<>();
        for (String f : files) if (snapshot.isEmpty() || !Files.isRegularFile(snapshot.get().resolve(f))) missing.add(f);
        if (missing.isEmpty() && snapshot.isPresent()) return snapshot.get();
        if (offline())
            throw new HubException("model " + modelIdOrPath + " (revision " + rev + ") is not in the Hugging Face cache at " + repo
                + " (missing " + String.join(", ", missing) + ") and HF_HUB_OFFLINE is set; download it first or unset HF_HUB_OFFLINE");
        Path snap = snapshot.orElse(null);
        for (String f : missing) snap = download(modelIdOrPath, rev, f, repo, snap);
        return snap;
    }

    /** Like {@link #resolve} for one file that may not exist in the repository: empty on HTTP 404. */
    public Optional<Path> resolveOptional(String modelIdOrPath, String revision, String file) throws IOException {
        try {
            return Optional.of(resolve(modelIdOrPath, revision, List.of(file)).resolve(file));
        } catch (NotFound e) {
            return Optional.empty();
        } catch (HubException e) {
            Path local = Path.of(modelIdOrPath);
            if (Files.isDirectory(local)) return Optional.empty();
            throw e;
        }
    }

    private static void validateFile(String f) {
        if (f == null || f.isBlank() || f.startsWith("/") || f.contains("..") || f.contains("\\"))
            throw new IllegalArgumentException("invalid repository file name \"" + f + "\" (a relative path inside the repository)");
        if (PickleCheckpoints.isPickle(f))
            throw new IllegalArgumentException("\"" + f + "\" is a pickle checkpoint, which peft4j refuses to load (unpickling can run "
                + "arbitrary code); request the safetensors file (model.safetensors, adapter_model.safetensors) instead");
    }

    private static Optional<Path> cachedSnapshot(Path repo, String rev) throws IOException {
        String commit = rev;
        if (!COMMIT.matcher(rev).matches()) {
            Path ref = repo.resolve("refs").resolve(rev);
            if (!Files.isRegularFile(ref)) return Optional.empty();
            commit = Files.readString(ref, StandardCharsets.UTF_8).trim();
            if (commit.isEmpty()) return Optional.empty();
        }
        Path snap = repo.resolve("snapshots").resolve(commit);
        return Files.isDirectory(snap) ? Optional.of(snap) : Optional.empty();
    }

    /** 404 from the hub. */
    private static final class NotFound extends HubException {
        NotFound(String m) { super(m); }
    }

    private Path download(String id, String rev, String file, Path repo, Path knownSnapshot) throws IOException {
        String url = endpoint() + "/" + id + "/resolve/" + encodePath(rev) + "/" + encodePath(file);
        HttpRequest.Builder rb = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofMinutes(30)).GET()
            .header("User-Agent", "peft4j/" + io.peft4j.Version.VERSION);
        token().ifPresent(t -> rb.header("Authorization", "Bearer " + t));
        HttpResponse<InputStream> resp;
        try {
            resp = http.send(rb.build(), HttpResponse.BodyHandlers.ofInputStream());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HubException("interrupted while downloading " + url, e);
        } catch (IOException e) {
            throw new HubException("cannot download " + file + " of model " + id + " from " + url + ": " + e, e);
        }
        int code = resp.statusCode();
        if (code != 200) {
            try (InputStream body = resp.body()) { body.readAllBytes(); }
            String hint = (code == 401 || code == 403)
                ? (token().isPresent() ? " (the token in HF_TOKEN was refused)" : " (gated or private: set HF_TOKEN)") : "";
            String msg = "downloading " + file + " of model " + id + " (revision " + rev + ") from " + url + " failed: HTTP " + code + hint;
            if (code == 404) throw new NotFound(msg);
            throw new HubException(msg);
        }
        String commit = commitHeader(resp).orElse(null);
        if (commit == null) commit = knownSnapshot != null ? knownSnapshot.getFileName().toString() : rev;
        if (!commit.matches("[A-Za-z0-9._-]+")) throw new HubException("hub answered an invalid X-Repo-Commit \"" + commit + "\" for " + url);
        Path snap = repo.resolve("snapshots").resolve(commit);
        Path target = snap.resolve(file);
        Files.createDirectories(target.getParent());
        Path tmp = Files.createTempFile(target.getParent(), "." + target.getFileName(), ".incomplete");
        try (InputStream body = resp.body()) {
            Files.copy(body, tmp, StandardCopyOption.REPLACE_EXISTING);
            moveAtomic(tmp, target);
        } catch (IOException e) {
            Files.deleteIfExists(tmp);
            throw new HubException("downloading " + url + " into " + target + " failed: " + e.getMessage(), e);
        }
        if (!rev.equals(commit)) {
            Path ref = repo.resolve("refs").resolve(rev);
            Files.createDirectories(ref.getParent());
            Path rtmp = Files.createTempFile(ref.getParent(), "." + ref.getFileName(), ".tmp");
            Files.writeString(rtmp, commit, StandardCharsets.UTF_8);
            moveAtomic(rtmp, ref);
        }
        return snap;
    }

    private static Optional<String> commitHeader(HttpResponse<?> resp) {
        for (HttpResponse<?> r = resp; r != null; r = r.previousResponse().orElse(null)) {
            HttpHeaders h = r.headers();
            Optional<String> c = h.firstValue("X-Repo-Commit");
            if (c.isPresent() && !c.get().isBlank()) return Optional.of(c.get().trim());
        }
        return Optional.empty();
    }

    private static void moveAtomic(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private static String encodePath(String p) {
        StringBuilder sb = new StringBuilder();
        for (String seg : p.split("/", -1)) {
            if (sb.length() > 0) sb.append('/');
            sb.append(URLEncoder.encode(seg, StandardCharsets.UTF_8).replace("+", "%20"));
        }
        return sb.toString();
    }
}
