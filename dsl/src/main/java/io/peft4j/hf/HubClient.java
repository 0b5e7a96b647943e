package io.peft4j.hf;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.HttpURLConnection;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * The HTTP side of the hub: the two requests peft4j makes ({@code GET api/<type>s/<id>/revision/<rev>}
 * for the file list, {@code GET <id>/resolve/<rev>/<file>} for a file) and nothing else of the hub's API.
 *
 * <p>Redirects are followed by hand, as huggingface_hub does: redirects that stay on the hub's host
 * (relative ones, e.g. a renamed repository) are followed at once; the first redirect to another
 * host (the CDN of LFS files) ends the "hub" part of the chain, and its headers carry the file's
 * metadata ({@code X-Repo-Commit}, {@code X-Linked-Etag}, {@code X-Linked-Size}); where that answer
 * lacks one of them, the earlier same-host redirect that had it supplies it. The bearer token
 * ({@code HF_TOKEN}) goes to the hub's host only, never to another host. At most
 * {@value #MAX_REDIRECTS} redirects, and a chain that comes back to a URL it has visited is a loop:
 * both are errors. HTTP errors become {@link HubException}s that say what to do (a gated model: accept
 * its licence and set HF_TOKEN; a missing file: which one).
 */
final class HubClient {
    static final int MAX_REDIRECTS = 20;
    /** The file metadata the hub sends on its own answers. */
    static final List<String> METADATA = List.of("X-Repo-Commit", "ETag", "X-Linked-Etag", "X-Linked-Size");
    static final String USER_AGENT = "peft4j/" + io.peft4j.Version.VERSION + "; java/" + System.getProperty("java.version");

    private final HubEnvironment env;
    private final URI endpoint;
    private final int connectTimeoutMillis, readTimeoutMillis;

    HubClient(HubEnvironment env) { this(env, 1000 * Math.max(env.timeoutSeconds(), 10), 1000 * env.timeoutSeconds()); }

    HubClient(HubEnvironment env, int connectTimeoutMillis, int readTimeoutMillis) {
        this.env = Objects.requireNonNull(env, "env");
        this.endpoint = URI.create(env.endpoint() + "/");
        this.connectTimeoutMillis = connectTimeoutMillis;
        this.readTimeoutMillis = readTimeoutMillis;
    }

    HubEnvironment env() { return env; }

    /** What a request is about, for messages. */
    record Context(HubRepo repo, String revision, String file) {
        String what() {
            return (file == null ? "" : file + " of ") + (repo.type() == HubRepo.Type.MODEL ? "model " : "dataset ") + repo.id()
                + " (revision " + revision + ")";
        }
    }

    /** One HTTP response of a chain; the caller closes it. */
    static final class Hop implements AutoCloseable {
        final URI url;
        final int status;
        private final HttpURLConnection conn;
        private InputStream body;

        Hop(URI url, int status, HttpURLConnection conn) { this.url = url; this.status = status; this.conn = conn; }

        /** Metadata headers of earlier same-host redirects of this chain (used where this answer lacks them). */
        final Map<String, String> earlier = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);

        /** A header of this answer, else (for the hub's metadata headers) of an earlier same-host redirect. */
        String header(String name) {
            String v = own(name);
            return v != null ? v : earlier.get(name);
        }

        String own(String name) {
            String v = conn.getHeaderField(name);
            return v == null || v.isBlank() ? null : v.trim();
        }

        boolean isRedirect() { return status == 301 || status == 302 || status == 303 || status == 307 || status == 308; }

        /** Content-Length, or -1. */
        long contentLength() {
            String v = header("Content-Length");
            if (v == null) return -1;
            try { return Long.parseLong(v); } catch (NumberFormatException e) { return -2; }
        }

        InputStream body() throws IOException {
            if (body == null) body = conn.getInputStream();
            return body;
        }

        /** Closes after a complete read (the connection may be reused). */
        @Override public void close() {
            try { if (body != null) body.close(); } catch (IOException ignored) { }
        }

        /** Drops the connection without reading the rest of the body. */
        void abort() {
            conn.disconnect();
        }
    }

    // ------------------------------------------------------------------ the listing

    HubListing listing(HubRepo repo, String revision) throws HubException {
        URI url = endpoint.resolve(repo.apiPath(revision));
        Context ctx = new Context(repo, revision, null);
        Hop hop = onHub(url, -1, ctx);
        if (hop.isRedirect()) {
            hop.abort();
            throw new HubException(HubException.Kind.PROTOCOL, "the file list of " + ctx.what() + " at " + url
                + " redirected to another host (" + hop.header("Location") + "); the hub answers it itself");
        }
        String what = "the file list of " + ctx.what() + " (" + url + ")";
        if (hop.status != 200) {
            hop.abort();
            throw new HubException(HubException.Kind.PROTOCOL, what + " answered HTTP " + hop.status + " instead of 200");
        }
        long len = hop.contentLength();
        if (len > HubListing.MAX_BYTES) {
            hop.abort();
            throw HubListing.protocol(what, "announces " + len + " bytes (more than " + (HubListing.MAX_BYTES >> 20) + " MiB); refusing it");
        }
        try {
            HubListing l = HubListing.parse(hop.body(), what);
            hop.close();
            return l;
        } catch (HubException e) {
            hop.abort();
            throw e;
        } catch (IOException e) {
            hop.abort();
            throw network(url, e);
        }
    }

    // ------------------------------------------------------------------ files

    /** {@code {endpoint}/{[datasets/]id}/resolve/{rev}/{file}}. */
    URI resolveUrl(HubRepo repo, String revision, String file) { return endpoint.resolve(repo.resolvePath(revision, file)); }

    /**
     * GETs {@code url}, following redirects that stay on the hub's host, and returns the first answer
     * that is not such a redirect: the file itself (2xx) or a redirect to another host. Errors (4xx,
     * 5xx) are thrown as {@link HubException}s.
     *
     * @param rangeStart first byte wanted ({@code Range: bytes=N-}), or -1 for the whole file
     */
    Hop onHub(URI url, long rangeStart, Context ctx) throws HubException {
        Set<URI> seen = new HashSet<>();
        URI u = url;
        Map<String, String> earlier = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        for (int i = 0; ; i++) {
            if (!seen.add(u)) throw redirectError(url, "a redirect loop (back to " + u + ")");
            if (i > MAX_REDIRECTS) throw redirectError(url, "more than " + MAX_REDIRECTS + " redirects");
            Hop hop = send(u, rangeStart, ctx);
            hop.earlier.putAll(earlier);
            if (!hop.isRedirect()) return hop;
            URI next = location(hop, ctx);
            if (!sameOrigin(next, endpoint)) return hop;
            for (String h : METADATA) if (hop.own(h) != null) earlier.putIfAbsent(h, hop.own(h));
            hop.abort();
            u = next;
        }
    }

    /** Follows a redirect (from {@link #onHub}) to its end, on any host; returns the 2xx answer. */
    Hop follow(Hop redirect, long rangeStart, Context ctx) throws HubException {
        Set<URI> seen = new HashSet<>();
        seen.add(redirect.url);
        URI start = redirect.url;
        Hop hop = redirect;
        for (int i = 0; hop.isRedirect(); i++) {
            URI next = location(hop, ctx);
            hop.abort();
            if (!seen.add(next)) throw redirectError(start, "a redirect loop (back to " + next + ")");
            if (i >= MAX_REDIRECTS) throw redirectError(start, "more than " + MAX_REDIRECTS + " redirects");
            hop = send(next, rangeStart, ctx);
        }
        return hop;
    }

    private URI location(Hop hop, Context ctx) throws HubException {
        String loc = hop.header("Location");
        if (loc == null) {
            hop.abort();
            throw new HubException(HubException.Kind.PROTOCOL, hop.url + " answered HTTP " + hop.status + " without a Location header ("
                + ctx.what() + ")");
        }
        try {
            URI next = hop.url.resolve(new URI(loc));
            String scheme = next.getScheme() == null ? "" : next.getScheme().toLowerCase(Locale.ROOT);
            if (!scheme.equals("http") && !scheme.equals("https") || next.getHost() == null)
                throw new URISyntaxException(loc, "not an http(s) URL");
            return next;
        } catch (URISyntaxException | IllegalArgumentException e) {
            hop.abort();
            throw new HubException(HubException.Kind.PROTOCOL, hop.url + " redirected to \"" + HubListing.abbreviate(loc)
                + "\", which is not an http(s) URL (" + ctx.what() + ")");
        }
    }

    private static HubException redirectError(URI url, String what) {
        return new HubException(HubException.Kind.PROTOCOL, "following " + url + " ran into " + what + "; giving up");
    }

    static boolean sameOrigin(URI a, URI b) {
        return a.getHost() != null && a.getHost().equalsIgnoreCase(b.getHost()) && port(a) == port(b)
            && a.getScheme().equalsIgnoreCase(b.getScheme());
    }

    private static int port(URI u) {
        return u.getPort() >= 0 ? u.getPort() : "https".equalsIgnoreCase(u.getScheme()) ? 443 : 80;
    }

    /** One request, no redirect followed. */
    private Hop send(URI u, long rangeStart, Context ctx) throws HubException {
        HttpURLConnection c;
        int status;
        try {
            URL url = u.toURL();
            c = (HttpURLConnection) url.openConnection();
            c.setInstanceFollowRedirects(false);
            c.setConnectTimeout(connectTimeoutMillis);
            c.setReadTimeout(readTimeoutMillis);
            c.setUseCaches(false);
            c.setRequestMethod("GET");
            c.setRequestProperty("User-Agent", USER_AGENT);
            c.setRequestProperty("Accept", "*/*");
            c.setRequestProperty("Accept-Encoding", "identity");
            if (env.token() != null && sameOrigin(u, endpoint)) c.setRequestProperty("Authorization", "Bearer " + env.token());
            if (rangeStart > 0) c.setRequestProperty("Range", "bytes=" + rangeStart + "-");
            status = c.getResponseCode();
        } catch (SocketTimeoutException e) {
            throw new HubException(HubException.Kind.NETWORK, "no answer from " + u + " within " + readTimeoutMillis / 1000
                + " s (" + ctx.what() + "); try again (HF_HUB_DOWNLOAD_TIMEOUT sets the wait), or set HF_HUB_OFFLINE=1 to use the cache only", e);
        } catch (IOException | IllegalArgumentException | UncheckedIOException e) {
            throw network(u, e);
        }
        Hop hop = new Hop(u, status, c);
        if (status >= 400) {
            HubException e = httpError(hop, ctx);
            drain(c);
            throw e;
        }
        if (status < 200 || status >= 400 || (status >= 300 && !hop.isRedirect())) {
            hop.abort();
            throw new HubException(HubException.Kind.PROTOCOL, u + " answered HTTP " + status + " (" + ctx.what() + "); expected 200, 206 or a redirect");
        }
        return hop;
    }

    private HubException network(URI u, Exception e) {
        return new HubException(HubException.Kind.NETWORK, "cannot reach " + u.getScheme() + "://" + u.getAuthority() + " (" + e
            + "); check the network and HF_ENDPOINT (" + env.endpoint() + "), or set HF_HUB_OFFLINE=1 to use the cache only", e);
    }

    private static void drain(HttpURLConnection c) {
        try (InputStream err = c.getErrorStream()) {
            if (err != null) err.readNBytes(64 * 1024);
        } catch (IOException ignored) { }
        c.disconnect();
    }

    /** The message for a 4xx/5xx answer: what it means and what to do. */
    private HubException httpError(Hop hop, Context ctx) {
        String code = hop.header("X-Error-Code");
        String hubMsg = hop.header("X-Error-Message");
        String detail = hubMsg == null ? "" : " (hub: \"" + HubListing.abbreviate(hubMsg) + "\")";
        HubRepo repo = ctx.repo();
        String page = repo.page(env.endpoint());
        boolean tok = env.token() != null;
        int s = hop.status;
        String http = "HTTP " + s + " from " + hop.url;
        String licence = "open " + page + " while logged in, accept its licence (or request access) there, then set HF_TOKEN to an "
            + "access token of that account (" + env.endpoint() + "/settings/tokens)";
        if ("GatedRepo".equals(code) || (s == 401 || s == 403) && code == null) {
            String head = "GatedRepo".equals(code) ? repo + " is a gated " + repo.type().singular() + ": " : "";
            String why = s == 401 && !tok ? "the hub asked for a token and none is set (HF_TOKEN)"
                : s == 401 ? "the token in HF_TOKEN was refused (expired or revoked?)"
                : "the token in HF_TOKEN has no access to it";
            String todo = "GatedRepo".equals(code) || !tok ? licence
                : "check that the token in HF_TOKEN is valid and can read " + repo + "; for a gated model " + licence;
            return new HubException(HubException.Kind.ACCESS_DENIED, "cannot download " + ctx.what() + ": " + head + why + " (" + http + ")"
                + detail + ". To get access: " + todo + ".");
        }
        if ("RepoNotFound".equals(code) || s == 404 && ctx.file() == null && code == null) {
            return new HubException(HubException.Kind.REPO_NOT_FOUND, repo.type().singular() + " " + repo.id() + " was not found on "
                + env.endpoint() + " (" + http + ")" + detail + ": check the id"
                + (tok ? " and that the token in HF_TOKEN can read it" : "; if it is private or gated, set HF_TOKEN to a token with access"));
        }
        if ("RevisionNotFound".equals(code)) {
            return new HubException(HubException.Kind.REVISION_NOT_FOUND, "revision \"" + ctx.revision() + "\" was not found in " + repo
                + " (" + http + ")" + detail + ": use a branch, a tag, refs/pr/N or a commit id of " + page);
        }
        if ("EntryNotFound".equals(code) || s == 404) {
            return new HubException(HubException.Kind.FILE_NOT_FOUND, (ctx.file() == null ? "the requested file" : ctx.file())
                + " was not found in " + repo + " at revision " + ctx.revision() + " (" + http + ")" + detail);
        }
        if (s == 429 || s >= 500) {
            return new HubException(HubException.Kind.NETWORK, "the hub could not serve " + ctx.what() + " (" + http + ")" + detail
                + "; try again later, or set HF_HUB_OFFLINE=1 to use the cache only");
        }
        return new HubException(HubException.Kind.PROTOCOL, "cannot download " + ctx.what() + ": " + http + detail);
    }

}
