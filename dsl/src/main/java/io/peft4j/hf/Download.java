package io.peft4j.hf;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One file from the hub into the cache.
 *
 * <ol>
 *   <li>{@code GET {endpoint}/{id}/resolve/{rev}/{file}}: the answer on the hub's host (the file
 *       itself, or a redirect to the CDN) carries {@code X-Repo-Commit}, the ETag
 *       ({@code X-Linked-Etag}, else {@code ETag}) and the size ({@code X-Linked-Size}, else
 *       {@code Content-Length}).</li>
 *   <li>Already in the cache ({@code snapshots/<commit>/<file>}, or the blob {@code blobs/<etag>} of
 *       another snapshot): linked, nothing transferred.</li>
 *   <li>Otherwise, under the blob's lock, the bytes go to {@code blobs/<etag>.incomplete}; where that
 *       file exists from an interrupted transfer, the request asks {@code Range: bytes=<n>-} and a
 *       {@code 206} answer is appended to it (a {@code 200} starts over).</li>
 *   <li>Sizes are checked against what the hub said (a body longer than announced is cut off and
 *       refused); an LFS file (64-hex ETag) is checked against its sha256. A mismatch deletes the
 *       partial file; an interrupted transfer keeps it for the next attempt.</li>
 *   <li>The complete file is renamed to {@code blobs/<etag>} and linked from the snapshot.</li>
 * </ol>
 */
final class Download {
    private static final Pattern CONTENT_RANGE = Pattern.compile("bytes (\\d+)-(\\d+)/(\\d+|\\*)");
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");

    private final HubClient client;
    private final HubCache cache;
    private final HubRepo repo;
    private final String revision;      // as asked (for messages and events)
    private final String file;
    private final HubListing.Sibling listed;  // may be null
    private final DownloadListener listener;

    /** What the download found: the commit it belongs to, and whether bytes were transferred. */
    record Result(String commit, Path pointer, boolean transferred) {}

    Download(HubClient client, HubCache cache, HubRepo repo, String revision, String file, HubListing.Sibling listed,
             DownloadListener listener) {
        if (PickleCheckpoints.isPickle(file)) throw new IllegalStateException("refusing to request the pickle file " + file);
        this.client = client;
        this.cache = cache;
        this.repo = repo;
        this.revision = revision;
        this.file = file;
        this.listed = listed;
        this.listener = listener;
    }

    /**
     * Brings the file into the cache.
     *
     * @param commit the commit to fetch (from the listing), or null to ask for {@code revision} and
     *               learn the commit from {@code X-Repo-Commit}
     */
    Result run(String commit) throws HubException {
        HubClient.Context ctx = new HubClient.Context(repo, revision, file);
        if (commit != null) {
            Path pointer = cache.pointer(commit, file);
            if (HubCache.usable(pointer)) return new Result(commit, pointer, false);
        }
        URI url = client.resolveUrl(repo, commit != null ? commit : revision, file);
        HubClient.Hop first = client.onHub(url, -1, ctx);
        boolean ok = false;
        try {
            String c = first.header("X-Repo-Commit");
            if (c == null && commit == null)
                throw protocol(url + " answered without X-Repo-Commit, so the commit of " + file + " is unknown (is HF_ENDPOINT a hub?)");
            if (c != null && !HubRepo.COMMIT.matcher(c).matches())
                throw protocol(url + " answered X-Repo-Commit \"" + HubListing.abbreviate(c) + "\", not a 40-hex commit id");
            if (c != null && commit != null && !c.equals(commit))
                throw protocol(url + " answered X-Repo-Commit " + c + " for a request pinned to commit " + commit);
            String theCommit = c != null ? c : commit;
            String etag = normalizeEtag(first.header("X-Linked-Etag") != null ? first.header("X-Linked-Etag") : first.header("ETag"));
            if (etag == null) throw protocol(url + " answered without an ETag, so " + file + " cannot be stored as huggingface_hub stores it");
            if (!HubCache.isValidEtag(etag)) throw protocol(url + " answered the ETag \"" + HubListing.abbreviate(etag) + "\", which is not a blob name");
            long size = parseSize(first.header("X-Linked-Size"), url, "X-Linked-Size");
            if (size < 0 && !first.isRedirect()) size = first.contentLength() == -2 ? badLength(url) : first.contentLength();
            if (listed != null) {
                if (listed.size() >= 0 && size >= 0 && listed.size() != size)
                    throw protocol(url + " gives " + file + " a size of " + size + " bytes but the file list says " + listed.size());
                if (listed.sha256() != null && SHA256.matcher(etag).matches() && !listed.sha256().equals(etag))
                    throw protocol(url + " gives " + file + " the sha256 " + etag + " but the file list says " + listed.sha256());
                if (size < 0) size = listed.size();
            }
            Path pointer = cache.pointer(theCommit, file);
            if (HubCache.usable(pointer)) { first.abort(); ok = true; return new Result(theCommit, pointer, false); }
            cache.tag();
            Path blob = cache.blob(etag);
            try (HubCache.Held lock = cache.lock(etag)) {
                if (!Files.isRegularFile(blob)) transfer(first, url, etag, size, blob, ctx);
                else first.abort();
                cache.link(blob, pointer, false);
            } catch (HubException e) {
                throw e;
            } catch (IOException e) {
                throw new HubException(HubException.Kind.OTHER, "cannot write " + file + " of " + repo + " into the cache at "
                    + cache.repoDir() + ": " + e, e);
            }
            ok = true;
            return new Result(theCommit, pointer, true);
        } finally {
            if (!ok) first.abort();
        }
    }

    /** Streams the file into {@code blobs/<etag>.incomplete} (resuming it), verifies it, renames it to the blob. */
    private void transfer(HubClient.Hop first, URI url, String etag, long expected, Path blob, HubClient.Context ctx)
            throws IOException {
        Path partial = cache.incomplete(etag);
        Files.createDirectories(partial.getParent());
        long have = Files.isRegularFile(partial) ? Files.size(partial) : 0;
        // a partial as long as the file (or longer) was never verified: start over rather than ask for an empty range
        if (expected >= 0 && have >= expected) { Files.delete(partial); have = 0; }
        HubClient.Hop body;
        try {
            if (first.isRedirect()) {
                body = client.follow(first, have, ctx);
            } else if (have > 0) {
                first.abort();
                HubClient.Hop again = client.onHub(url, have, ctx);
                body = again.isRedirect() ? client.follow(again, have, ctx) : again;
            } else {
                body = first;
            }
        } catch (HubException e) {
            // a range the server refuses (416) or any error on resuming: the next attempt starts from zero
            if (have > 0 && !e.isTransient()) Files.deleteIfExists(partial);
            throw e;
        }
        long start = 0;
        boolean complete = false;
        try {
            if (body.status == 206) {
                Matcher m = CONTENT_RANGE.matcher(String.valueOf(body.header("Content-Range")));
                if (!m.matches() || Long.parseLong(m.group(1)) != have
                    || expected >= 0 && !m.group(3).equals("*") && Long.parseLong(m.group(3)) != expected) {
                    Files.deleteIfExists(partial);
                    throw protocol(body.url + " answered the range request for " + file + " (from byte " + have + ") with Content-Range \""
                        + body.header("Content-Range") + "\"" + (expected >= 0 ? " (file size " + expected + ")" : ""));
                }
                start = have;
            } else if (body.status != 200) {
                throw protocol(body.url + " answered HTTP " + body.status + " for " + file + "; expected 200 or 206");
            }
            long len = body.contentLength();
            if (len == -2) badLength(body.url);
            if (len >= 0 && expected >= 0 && start + len != expected) {
                Files.deleteIfExists(partial);
                throw protocol(body.url + " announces " + len + " bytes (Content-Length" + (start > 0 ? ", from byte " + start : "")
                    + ") for " + file + ", but the hub says the file has " + expected + " bytes; refusing it");
            }
            if (expected < 0 && len >= 0) expected = start + len;
            long need = expected >= 0 ? expected - start : -1;
            long free = Files.getFileStore(partial.getParent()).getUsableSpace();
            if (need > free)
                throw new HubException(HubException.Kind.OTHER, file + " of " + repo + " needs " + DownloadProgressBar.size(need)
                    + " but only " + DownloadProgressBar.size(free) + " are free in " + cache.root() + " (set HF_HUB_CACHE to a larger disk)");
            copy(body, partial, start, expected, etag);
            complete = true;
        } finally {
            if (complete) body.close(); else body.abort();
        }
        HubCache.move(partial, blob);
    }

    private void copy(HubClient.Hop body, Path partial, long start, long expected, String etag) throws IOException {
        MessageDigest sha = SHA256.matcher(etag).matches() ? sha256() : null;
        if (sha != null && start > 0) {
            try (InputStream old = Files.newInputStream(partial)) {
                byte[] b = new byte[1 << 16];
                long left = start;
                for (int r; left > 0 && (r = old.read(b, 0, (int) Math.min(b.length, left))) > 0; left -= r) sha.update(b, 0, r);
            }
        }
        long t0 = System.nanoTime();
        long done = start;
        String repoName = repo.toString();
        listener.onFileStart(new DownloadListener.Event(repoName, revision, file, done, expected, start, 0));
        String outcome = "done";
        try (FileChannel ch = FileChannel.open(partial, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                 start == 0 ? StandardOpenOption.TRUNCATE_EXISTING : StandardOpenOption.APPEND);
             OutputStream out = Channels.newOutputStream(ch)) {
            InputStream in;
            try {
                in = body.body();
            } catch (IOException e) {
                throw interrupted(done, expected, partial, e);
            }
            byte[] buf = new byte[1 << 18];
            while (true) {
                int r;
                try {
                    r = in.read(buf);
                } catch (IOException e) {
                    out.flush();
                    throw interrupted(done, expected, partial, e);
                }
                if (r < 0) break;
                if (expected >= 0 && done + r > expected) {
                    out.close();
                    Files.deleteIfExists(partial);
                    throw protocol(body.url + " sent more than the " + expected + " bytes announced for " + file + "; nothing of it was kept");
                }
                out.write(buf, 0, r);
                if (sha != null) sha.update(buf, 0, r);
                done += r;
                listener.onFileProgress(new DownloadListener.Event(repoName, revision, file, done, expected, start, System.nanoTime() - t0));
            }
            out.flush();
            ch.force(true);
            if (expected >= 0 && done < expected) throw interrupted(done, expected, partial, null);
            if (sha != null) {
                String got = HexFormat.of().formatHex(sha.digest());
                if (!got.equals(etag)) {
                    out.close();
                    Files.deleteIfExists(partial);
                    throw new HubException(HubException.Kind.INTEGRITY, file + " of " + repo + " (revision " + revision + ") failed its "
                        + "checksum: the hub's ETag says sha256 " + etag + " but the " + done + " bytes received hash to " + got
                        + "; nothing of it was kept in the cache. Try again; if it persists, the hub or a proxy serves a wrong file");
                }
            }
        } catch (HubException e) {
            outcome = e.getMessage();
            throw e;
        } finally {
            DownloadListener.Event end = new DownloadListener.Event(repoName, revision, file, done, expected, start, System.nanoTime() - t0);
            listener.onFileEnd(end, outcome);
        }
    }

    private HubException interrupted(long done, long expected, Path partial, Exception cause) {
        return new HubException(HubException.Kind.INCOMPLETE, "the download of " + file + " of " + repo + " (revision " + revision
            + ") stopped after " + done + (expected >= 0 ? " of " + expected : "") + " bytes" + (cause == null ? "" : " (" + cause + ")")
            + "; the partial file is kept at " + partial + " and the next attempt resumes it", cause);
    }

    private HubException protocol(String msg) { return new HubException(HubException.Kind.PROTOCOL, msg); }

    private long badLength(URI url) throws HubException { throw protocol(url + " answered a Content-Length that is not a number"); }

    private long parseSize(String v, URI url, String header) throws HubException {
        if (v == null) return -1;
        try {
            long n = Long.parseLong(v.trim());
            if (n < 0) throw new NumberFormatException();
            return n;
        } catch (NumberFormatException e) {
            throw protocol(url + " answered " + header + ": \"" + HubListing.abbreviate(v) + "\", not a size");
        }
    }

    /** As huggingface_hub: drop a weak {@code W/} prefix and the quotes. */
    static String normalizeEtag(String etag) {
        if (etag == null) return null;
        String e = etag.trim();
        if (e.startsWith("W/")) e = e.substring(2);
        if (e.length() >= 2 && e.startsWith("\"") && e.endsWith("\"")) e = e.substring(1, e.length() - 1);
        e = e.trim();
        return e.isEmpty() ? null : (SHA256.matcher(e.toLowerCase(Locale.ROOT)).matches() ? e.toLowerCase(Locale.ROOT) : e);
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
