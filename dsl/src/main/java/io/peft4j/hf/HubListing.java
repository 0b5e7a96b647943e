package io.peft4j.hf;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * What {@code GET {HF_ENDPOINT}/api/models/{id}/revision/{rev}} says of a repository: the commit the
 * revision points to ({@code sha}) and the repository's files ({@code siblings[].rfilename}, with
 * {@code size} and {@code lfs.sha256} where the hub includes them). Nothing else of the answer is
 * read. The answer is parsed as a stream under hard limits (bytes, number of files), and every file
 * name is checked before anything is built from it.
 *
 * @param commit   40-hex commit, or null where the answer has no {@code sha}
 * @param files    file name -> what the listing says of it, in the hub's order
 */
public record HubListing(String commit, Map<String, Sibling> files) {
    /** Most files accepted in one listing. */
    public static final int MAX_FILES = 100_000;
    /** Most bytes accepted for one listing. */
    public static final long MAX_BYTES = 64L << 20;

    /**
     * One file of the listing.
     *
     * @param size   bytes, or -1 where the listing does not say
     * @param sha256 the LFS object's sha256 (64 hex), or null
     */
    public record Sibling(String name, long size, String sha256) {}

    public HubListing {
        files = Collections.unmodifiableMap(new LinkedHashMap<>(files));
    }

    public Set<String> names() { return files.keySet(); }

    public boolean has(String name) { return files.containsKey(name); }

    public Optional<Sibling> get(String name) { return Optional.ofNullable(files.get(name)); }

    /** Parses a listing answer; {@code what} names the request in error messages. */
    static HubListing parse(InputStream raw, String what) throws HubException {
        String commit = null;
        Map<String, Sibling> files = new LinkedHashMap<>();
        try (InputStream in = new Bounded(raw, MAX_BYTES, what);
             JsonParser p = new JsonFactory().createParser(in)) {
            if (p.nextToken() != JsonToken.START_OBJECT) throw protocol(what, "is not a JSON object");
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken t = p.nextToken();
                if (field.equals("sha") && t == JsonToken.VALUE_STRING) {
                    commit = p.getText();
                    if (!HubRepo.COMMIT.matcher(commit).matches())
                        throw protocol(what, "names commit \"" + abbreviate(commit) + "\", not a 40-hex commit id");
                } else if (field.equals("siblings") && t == JsonToken.START_ARRAY) {
                    while (p.nextToken() == JsonToken.START_OBJECT) {
                        Sibling s = sibling(p, what);
                        if (s == null) continue;
                        if (files.size() >= MAX_FILES && !files.containsKey(s.name()))
                            throw protocol(what, "lists more than " + MAX_FILES + " files; peft4j reads repositories of at most "
                                + MAX_FILES + " files");
                        files.putIfAbsent(s.name(), s);
                    }
                } else {
                    p.skipChildren();
                }
            }
        } catch (HubException e) {
            throw e;
        } catch (IOException e) {
            if (e.getCause() instanceof HubException h) throw h;
            throw new HubException(HubException.Kind.PROTOCOL, what + " is not valid JSON: " + e.getMessage(), e);
        }
        return new HubListing(commit, files);
    }

    private static Sibling sibling(JsonParser p, String what) throws IOException {
        String name = null, sha = null;
        long size = -1, lfsSize = -1;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String f = p.currentName();
            JsonToken t = p.nextToken();
            if (f.equals("rfilename") && t == JsonToken.VALUE_STRING) name = p.getText();
            else if (f.equals("size") && t == JsonToken.VALUE_NUMBER_INT) size = p.getLongValue();
            else if (f.equals("lfs") && t == JsonToken.START_OBJECT) {
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String g = p.currentName();
                    JsonToken u = p.nextToken();
                    if (g.equals("sha256") && u == JsonToken.VALUE_STRING) sha = p.getText().toLowerCase(java.util.Locale.ROOT);
                    else if (g.equals("size") && u == JsonToken.VALUE_NUMBER_INT) lfsSize = p.getLongValue();
                    else p.skipChildren();
                }
            } else p.skipChildren();
        }
        if (name == null) return null;
        if (!HubRepo.isSafeFileName(name))
            throw protocol(what, "lists the file name \"" + abbreviate(name) + "\", which is not a relative path inside the "
                + "repository (absolute, '..', backslash or control characters); refusing the whole listing");
        if (sha != null && !sha.matches("[0-9a-f]{64}"))
            throw protocol(what, "gives \"" + abbreviate(sha) + "\" as the sha256 of " + name + ", not 64 hex digits");
        long sz = lfsSize >= 0 ? lfsSize : size;
        return new Sibling(name, sz < 0 ? -1 : sz, sha);
    }

    static HubException protocol(String what, String msg) {
        return new HubException(HubException.Kind.PROTOCOL, what + " " + msg);
    }

    static String abbreviate(String s) {
        String t = s.replaceAll("\\p{Cntrl}", "?");
        return t.length() <= 120 ? t : t.substring(0, 117) + "...";
    }

    /** Fails once more than {@code limit} bytes have been read. */
    static final class Bounded extends FilterInputStream {
        private final long limit;
        private final String what;
        private long n;

        Bounded(InputStream in, long limit, String what) { super(in); this.limit = limit; this.what = what; }

        @Override public int read() throws IOException {
            int b = super.read();
            if (b >= 0) count(1);
            return b;
        }

        @Override public int read(byte[] b, int off, int len) throws IOException {
            int r = super.read(b, off, len);
            if (r > 0) count(r);
            return r;
        }

        private void count(long k) throws IOException {
            n += k;
            if (n > limit) throw new IOException(protocol(what, "is larger than " + (limit >> 20) + " MiB; refusing it"));
        }
    }

    /** The names of {@code files} (for messages), the first {@code max} of them. */
    static String sample(Set<String> files, int max) {
        List<String> l = new ArrayList<>();
        for (String f : files) { if (l.size() == max) { l.add("... (" + files.size() + " files)"); break; } l.add(f); }
        return l.isEmpty() ? "no files" : String.join(", ", l);
    }
}
