package io.peft4j.testutil;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * A local stand-in for the Hugging Face hub on 127.0.0.1, answering the way the hub does:
 * <ul>
 *   <li>{@code GET /api/models/{id}/revision/{rev}} (and {@code /api/datasets/...}): {@code {"id", "sha", "siblings": [{"rfilename"}]}};</li>
 *   <li>{@code GET /{id}/resolve/{rev}/{file}} (and {@code /datasets/{id}/resolve/...}): small files directly
 *       (ETag = git blob sha1), LFS files (safetensors, spiece.model, anything over 64 kB) as a 302 to a second
 *       server, the "CDN", on another port, with {@code X-Linked-Etag} (sha256) and {@code X-Linked-Size};
 *       {@code X-Repo-Commit} on the hub's answers; Range requests answered with 206;</li>
 *   <li>errors with {@code X-Error-Code}: RepoNotFound (401 anonymous, 404 with a token), RevisionNotFound,
 *       EntryNotFound (404), GatedRepo (401 without a token, 403 with a wrong one);</li>
 *   <li>renamed repositories: a relative 307 from the old id to the new one.</li>
 * </ul>
 * Every request is logged ({@link #requests()}); faults can be injected per file ({@link #fault}).
 */
public final class FakeHub implements AutoCloseable {
    /** One logged request. */
    public record Request(String server, String method, String path, String range, String authorization) {
        @Override public String toString() { return server + " " + method + " " + path + (range == null ? "" : " [" + range + "]"); }
    }

    /** What the CDN does with one file's body. */
    public enum Fault {
        /** Announce the full length, send half, drop the connection (once; later requests are served). */
        TRUNCATE_ONCE,
        /** Announce the full length, send half, then send nothing for 3 s and drop the connection (once). */
        STALL_ONCE,
        /** Serve the body with one byte flipped (the ETag stays the real sha256). */
        CORRUPT,
        /** Announce a Content-Length 1000x the real size. */
        HUGE_LENGTH,
        /** Redirect back and forth between two CDN URLs. */
        REDIRECT_LOOP,
        /** Ignore Range and answer 200 with the whole file. */
        IGNORE_RANGE
    }

    public static final class Repo {
        final String type, id;
        final Map<String, String> refs = new LinkedHashMap<>();                       // branch/tag -> commit
        final Map<String, Map<String, byte[]>> commits = new LinkedHashMap<>();       // commit -> file -> bytes
        final List<String> extraSiblings = new ArrayList<>();
        String token;            // gated: only this token may download
        boolean gated;
        int millionFiles;        // listing padded with this many extra names (streamed)

        Repo(String type, String id) { this.type = type; this.id = id; }

        /** Adds a commit with these files and points {@code branch} at it; returns the commit id. */
        public String commit(String branch, Map<String, byte[]> files) {
            String c = sha1Hex((id + "@" + commits.size() + files.keySet()).getBytes(StandardCharsets.UTF_8));
            commits.put(c, new LinkedHashMap<>(files));
            if (branch != null) refs.put(branch, c);
            return c;
        }

        public Repo tag(String tag, String commit) { refs.put(tag, commit); return this; }

        /** Only requests with {@code Authorization: Bearer <token>} may download files (the listing stays public, as on the hub). */
        public Repo gated(String token) { this.gated = true; this.token = token; return this; }

        /** Names added to the listing only (never served): hostile names, pickle files, ... */
        public Repo listAlso(String... names) { extraSiblings.addAll(List.of(names)); return this; }

        public Repo withListingPaddedTo(int n) { this.millionFiles = n; return this; }
    }

    private final HttpServer hub, cdn;
    private final Map<String, Repo> repos = new ConcurrentHashMap<>();
    private final Map<String, String> renamed = new ConcurrentHashMap<>();
    private final Map<String, byte[]> blobs = new ConcurrentHashMap<>();       // sha256 -> bytes
    private final Map<String, Fault> faults = new ConcurrentHashMap<>();       // file name -> fault
    private final List<Request> log = new CopyOnWriteArrayList<>();
    private Function<HttpExchange, Boolean> override = ex -> false;
    private volatile String cdnHost = "127.0.0.1";
    private volatile boolean resolveCache;

    public FakeHub() throws IOException {
        hub = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        cdn = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        hub.setExecutor(Executors.newCachedThreadPool(r -> { Thread t = new Thread(r, "fake-hub"); t.setDaemon(true); return t; }));
        cdn.setExecutor(Executors.newCachedThreadPool(r -> { Thread t = new Thread(r, "fake-cdn"); t.setDaemon(true); return t; }));
        hub.createContext("/", ex -> handle("hub", ex));
        cdn.createContext("/", ex -> handle("cdn", ex));
        hub.start();
        cdn.start();
    }

    public String endpoint() { return "http://127.0.0.1:" + hub.getAddress().getPort(); }
    public String cdnEndpoint() { return "http://" + cdnHost + ":" + cdn.getAddress().getPort(); }

    /**
     * Small files behind a relative redirect, as the hub serves some today: a 307 carrying only
     * {@code X-Repo-Commit} to {@code /api/resolve-cache/models/{id}/{commit}/{file}}, which serves the
     * file with its ETag (and no X-Repo-Commit: the client must keep the first answer's).
     */
    public void resolveCache(boolean on) { this.resolveCache = on; }

    /** The host name redirects to the CDN use (default 127.0.0.1, the hub's own host with another port). */
    public void cdnHost(String host) { this.cdnHost = host; }

    public Repo model(String id) { return repos.computeIfAbsent("model:" + id, k -> new Repo("model", id)); }
    public Repo dataset(String id) { return repos.computeIfAbsent("dataset:" + id, k -> new Repo("dataset", id)); }

    /** Requests to {@code oldId} are redirected (relative 307) to {@code newId}. */
    public void rename(String oldId, String newId) { renamed.put(oldId, newId); }

    public void fault(String file, Fault f) { if (f == null) faults.remove(file); else faults.put(file, f); }

    /** A handler run before the normal ones; returns true when it answered. */
    public void override(Function<HttpExchange, Boolean> f) { this.override = f; }

    public List<Request> requests() { return List.copyOf(log); }
    public void clearLog() { log.clear(); }

    @Override public void close() {
        hub.stop(0);
        cdn.stop(0);
    }

    // ------------------------------------------------------------------ helpers for tests

    /** The files of a folder (recursively), as a repository's content. */
    public static Map<String, byte[]> folder(Path dir) throws IOException {
        Map<String, byte[]> m = new LinkedHashMap<>();
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) s.sorted()::iterator)
                if (Files.isRegularFile(p)) m.put(dir.relativize(p).toString().replace('\\', '/'), Files.readAllBytes(p));
        }
        return m;
    }

    public static boolean isLfs(String name, byte[] body) {
        return name.endsWith(".safetensors") || name.endsWith(".model") || name.endsWith(".bin") || body.length > 64 * 1024;
    }

    public static String sha256Hex(byte[] b) {
        try { return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b)); } catch (Exception e) { throw new IllegalStateException(e); }
    }

    static String sha1Hex(byte[] b) {
        try { return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(b)); } catch (Exception e) { throw new IllegalStateException(e); }
    }

    /** git's blob id: sha1("blob <len>\0" + content), the hub's ETag of a non-LFS file. */
    public static String gitBlobSha(byte[] b) {
        byte[] head = ("blob " + b.length + "\0").getBytes(StandardCharsets.US_ASCII);
        byte[] all = new byte[head.length + b.length];
        System.arraycopy(head, 0, all, 0, head.length);
        System.arraycopy(b, 0, all, head.length, b.length);
        return sha1Hex(all);
    }

    // ------------------------------------------------------------------ serving

    private void handle(String server, HttpExchange ex) throws IOException {
        try {
            String raw = ex.getRequestURI().getRawPath();
            log.add(new Request(server, ex.getRequestMethod(), raw, ex.getRequestHeaders().getFirst("Range"),
                ex.getRequestHeaders().getFirst("Authorization")));
            if (override.apply(ex)) return;
            if (server.equals("cdn")) { cdn(ex, raw); return; }
            String[] seg = raw.substring(1).split("/", -1);
            if (seg.length >= 1 && seg[0].equals("api")) { api(ex, seg); return; }
            String type = "model";
            int i = 0;
            if (seg[0].equals("datasets")) { type = "dataset"; i = 1; }
            // {org}/{name}/resolve/{rev}/{file...} or {name}/resolve/...
            int r = -1;
            for (int k = i; k < seg.length; k++) if (seg[k].equals("resolve")) { r = k; break; }
            if (r < 0 || r + 2 >= seg.length) { error(ex, 404, null); return; }
            String id = String.join("/", java.util.Arrays.copyOfRange(seg, i, r));
            String rev = dec(seg[r + 1]);
            String file = dec(String.join("/", java.util.Arrays.copyOfRange(seg, r + 2, seg.length)));
            if (renamed.containsKey(id)) {
                String to = raw.replace("/" + id + "/resolve/", "/" + renamed.get(id) + "/resolve/");
                ex.getResponseHeaders().add("Location", to);
                ex.sendResponseHeaders(307, -1);
                ex.close();
                return;
            }
            resolve(ex, type, id, rev, file);
        } catch (RuntimeException e) {
            e.printStackTrace();
            error(ex, 500, null);
        }
    }

    private void api(HttpExchange ex, String[] seg) throws IOException {
        if (seg.length > 4 && seg[1].equals("resolve-cache")) {
            // api/resolve-cache/{models|datasets}/{id...}/{commit}/{file...}: find the commit segment
            String type = seg[2].equals("datasets") ? "dataset" : "model";
            for (int k = 3; k < seg.length - 1; k++) {
                Repo repo = repos.get(type + ":" + String.join("/", java.util.Arrays.copyOfRange(seg, 3, k)));
                if (repo != null && repo.commits.containsKey(seg[k])) {
                    byte[] body = repo.commits.get(seg[k]).get(dec(String.join("/", java.util.Arrays.copyOfRange(seg, k + 1, seg.length))));
                    if (body == null) break;
                    ex.getResponseHeaders().add("ETag", "\"" + gitBlobSha(body) + "\"");
                    ranged(ex, body, "", false);
                    return;
                }
            }
            error(ex, 404, "EntryNotFound");
            return;
        }
        // api/{models|datasets}/{id...}/revision/{rev}
        String type = seg.length > 1 && seg[1].equals("datasets") ? "dataset" : "model";
        int r = -1;
        for (int k = 2; k < seg.length; k++) if (seg[k].equals("revision")) r = k;
        if (r < 0 || r + 1 >= seg.length) { error(ex, 404, null); return; }
        String id = String.join("/", java.util.Arrays.copyOfRange(seg, 2, r));
        String rev = dec(String.join("/", java.util.Arrays.copyOfRange(seg, r + 1, seg.length)));
        if (renamed.containsKey(id)) {
            ex.getResponseHeaders().add("Location", ex.getRequestURI().getRawPath().replace("/" + id + "/", "/" + renamed.get(id) + "/"));
            ex.sendResponseHeaders(307, -1);
            ex.close();
            return;
        }
        Repo repo = repos.get(type + ":" + id);
        if (repo == null) { error(ex, auth(ex) == null ? 401 : 404, "RepoNotFound"); return; }
        String commit = commitOf(repo, rev);
        if (commit == null) { error(ex, 404, "RevisionNotFound"); return; }
        Map<String, byte[]> files = repo.commits.get(commit);
        StringBuilder sb = new StringBuilder("{\"_id\":\"x\",\"id\":\"").append(id).append("\",\"sha\":\"").append(commit)
            .append("\",\"private\":false,\"gated\":").append(repo.gated ? "\"manual\"" : "false").append(",\"siblings\":[");
        boolean first = true;
        List<String> names = new ArrayList<>(files.keySet());
        names.addAll(repo.extraSiblings);
        for (String n : names) {
            if (!first) sb.append(',');
            first = false;
            sb.append("{\"rfilename\":").append(jsonString(n)).append('}');
        }
        if (repo.millionFiles > 0) {
            // streamed: the listing of a huge repository
            ex.getResponseHeaders().add("Content-Type", "application/json");
            ex.sendResponseHeaders(200, 0);
            try (OutputStream os = ex.getResponseBody()) {
                os.write(sb.toString().getBytes(StandardCharsets.UTF_8));
                byte[] chunk;
                for (int k = 0; k < repo.millionFiles; k += 1000) {
                    StringBuilder c = new StringBuilder();
                    for (int j = k; j < Math.min(repo.millionFiles, k + 1000); j++) c.append(",{\"rfilename\":\"data/part-").append(j).append(".json\"}");
                    chunk = c.toString().getBytes(StandardCharsets.UTF_8);
                    os.write(chunk);
                }
                os.write("]}".getBytes(StandardCharsets.UTF_8));
            } catch (IOException clientGaveUp) {
                // expected: the client stops reading at its limit
            }
            return;
        }
        sb.append("]}");
        send(ex, 200, sb.toString().getBytes(StandardCharsets.UTF_8), "application/json");
    }

    private void resolve(HttpExchange ex, String type, String id, String rev, String file) throws IOException {
        Repo repo = repos.get(type + ":" + id);
        String a = auth(ex);
        if (repo == null) { error(ex, a == null ? 401 : 404, "RepoNotFound"); return; }
        String commit = commitOf(repo, rev);
        if (commit == null) { error(ex, 404, "RevisionNotFound"); return; }
        if (repo.gated && !("Bearer " + repo.token).equals(a)) { error(ex, a == null ? 401 : 403, "GatedRepo"); return; }
        byte[] body = repo.commits.get(commit).get(file);
        ex.getResponseHeaders().add("X-Repo-Commit", commit);
        if (body == null) { error(ex, 404, "EntryNotFound"); return; }
        if (isLfs(file, body)) {
            String sha = sha256Hex(body);
            blobs.put(sha, body);
            ex.getResponseHeaders().add("ETag", "\"" + gitBlobSha(("version https://git-lfs.github.com/spec/v1\noid sha256:" + sha).getBytes(StandardCharsets.UTF_8)) + "\"");
            ex.getResponseHeaders().add("X-Linked-Etag", "\"" + sha + "\"");
            ex.getResponseHeaders().add("X-Linked-Size", Long.toString(body.length));
            ex.getResponseHeaders().add("Location", cdnEndpoint() + "/repos/" + sha + "?file=" + java.net.URLEncoder.encode(file, StandardCharsets.UTF_8));
            ex.sendResponseHeaders(302, -1);
            ex.close();
            return;
        }
        if (resolveCache) {
            ex.getResponseHeaders().add("Location", "/api/resolve-cache/" + type + "s/" + id + "/" + commit + "/"
                + java.net.URLEncoder.encode(file, StandardCharsets.UTF_8).replace("%2F", "/"));
            ex.sendResponseHeaders(307, -1);
            ex.close();
            return;
        }
        ex.getResponseHeaders().add("ETag", "\"" + gitBlobSha(body) + "\"");
        ranged(ex, body, file, false);
    }

    private void cdn(HttpExchange ex, String raw) throws IOException {
        if (!raw.startsWith("/repos/")) { error(ex, 404, null); return; }
        String sha = raw.substring("/repos/".length());
        String q = ex.getRequestURI().getRawQuery();
        String file = q != null && q.startsWith("file=") ? dec(q.substring(5)) : "";
        if (faults.get(file) == Fault.REDIRECT_LOOP) {
            String other = raw.endsWith("-b") ? raw.substring(0, raw.length() - 2) : raw + "-b";
            ex.getResponseHeaders().add("Location", other + "?" + q);
            ex.sendResponseHeaders(302, -1);
            ex.close();
            return;
        }
        byte[] body = blobs.get(sha);
        if (body == null) { error(ex, 404, null); return; }
        ranged(ex, body, file, true);
    }

    private void ranged(HttpExchange ex, byte[] body, String file, boolean cdn) throws IOException {
        Fault f = cdn ? faults.get(file) : null;
        if (f == Fault.CORRUPT) { body = body.clone(); body[body.length / 2] ^= 0x5a; }
        ex.getResponseHeaders().add("Accept-Ranges", "bytes");
        String range = ex.getRequestHeaders().getFirst("Range");
        int from = 0;
        if (range != null && f != Fault.IGNORE_RANGE && range.startsWith("bytes=") && range.endsWith("-")) {
            from = Integer.parseInt(range.substring(6, range.length() - 1));
            if (from >= body.length) { error(ex, 416, null); return; }
            ex.getResponseHeaders().add("Content-Range", "bytes " + from + "-" + (body.length - 1) + "/" + body.length);
        }
        int status = from > 0 ? 206 : 200;
        int len = body.length - from;
        if (f == Fault.TRUNCATE_ONCE) {
            faults.remove(file);
            ex.sendResponseHeaders(status, len);
            OutputStream os = ex.getResponseBody();
            os.write(body, from, len / 2);
            os.flush();
            throw new IOException("truncated on purpose");   // the server drops the connection
        }
        if (f == Fault.STALL_ONCE) {
            faults.remove(file);
            ex.sendResponseHeaders(status, len);
            OutputStream os = ex.getResponseBody();
            os.write(body, from, len / 2);
            os.flush();
            try { Thread.sleep(3000); } catch (InterruptedException e) { Thread.currentThread().interrupt(); }
            throw new IOException("stalled on purpose");
        }
        if (f == Fault.HUGE_LENGTH) {
            ex.sendResponseHeaders(status, (long) len * 1000);
            try (OutputStream os = ex.getResponseBody()) { os.write(body, from, len); } catch (IOException ignored) { }
            return;
        }
        ex.sendResponseHeaders(status, len == 0 ? -1 : len);
        try (OutputStream os = ex.getResponseBody()) { os.write(body, from, len); }
    }

    private static String commitOf(Repo repo, String rev) {
        if (repo.commits.containsKey(rev)) return rev;
        return repo.refs.get(rev);
    }

    private static String auth(HttpExchange ex) { return ex.getRequestHeaders().getFirst("Authorization"); }

    private static void error(HttpExchange ex, int code, String errorCode) throws IOException {
        if (errorCode != null) {
            ex.getResponseHeaders().add("X-Error-Code", errorCode);
            ex.getResponseHeaders().add("X-Error-Message", errorCode.replaceAll("([a-z])([A-Z])", "$1 $2"));
        }
        send(ex, code, ("{\"error\":\"" + (errorCode == null ? "error" : errorCode) + "\"}").getBytes(StandardCharsets.UTF_8), "application/json");
    }

    private static void send(HttpExchange ex, int code, byte[] b, String type) throws IOException {
        ex.getResponseHeaders().add("Content-Type", type);
        ex.sendResponseHeaders(code, b.length == 0 ? -1 : b.length);
        try (OutputStream os = ex.getResponseBody()) { os.write(b); }
    }

    private static String dec(String s) { return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8); }

    private static String jsonString(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') sb.append('\\').append(c);
            else if (c < 0x20) sb.append(String.format("\\u%04x", (int) c));
            else sb.append(c);
        }
        return sb.append('"').toString();
    }

    /** A map of name -> bytes from pairs (tests). */
    public static Map<String, byte[]> files(Object... nameAndContent) {
        Map<String, byte[]> m = new LinkedHashMap<>();
        for (int i = 0; i < nameAndContent.length; i += 2) {
            Object c = nameAndContent[i + 1];
            m.put((String) nameAndContent[i], c instanceof byte[] b ? b : c.toString().getBytes(StandardCharsets.UTF_8));
        }
        return m;
    }
}
