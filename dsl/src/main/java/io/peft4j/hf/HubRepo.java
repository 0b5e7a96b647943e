package io.peft4j.hf;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A repository on the hub: its type (model or dataset) and id ({@code org/name}, or {@code name}
 * for the few repositories without an owner), with the URL paths and the cache folder name
 * huggingface_hub uses for it. Also the validation of revisions and of file names inside a
 * repository (a name from the hub is input like any other: no {@code ..}, no absolute path).
 */
public record HubRepo(Type type, String id) {
    /** Repository types, with the hub's URL prefixes and the cache folder prefix. */
    public enum Type {
        MODEL("models", ""), DATASET("datasets", "datasets/");
        private final String plural, urlPrefix;
        Type(String plural, String urlPrefix) { this.plural = plural; this.urlPrefix = urlPrefix; }
        /** {@code models} / {@code datasets}: the API path segment and the cache folder prefix. */
        public String plural() { return plural; }
        String urlPrefix() { return urlPrefix; }
        String singular() { return name().toLowerCase(Locale.ROOT); }
    }

    /** huggingface_hub's repo id rule: one optional owner, letters, digits, {@code - _ .}, no {@code --} or {@code ..}, at most 96 chars. */
    private static final Pattern ID = Pattern.compile("(?:[A-Za-z0-9][A-Za-z0-9._-]*/)?[A-Za-z0-9][A-Za-z0-9._-]*");
    private static final Pattern REVISION = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._/-]*");
    public static final Pattern COMMIT = Pattern.compile("[0-9a-f]{40}");
    static final int MAX_FILE_NAME = 1024;

    public HubRepo {
        Objects.requireNonNull(type, "type");
        if (!isValidId(id))
            throw new IllegalArgumentException("\"" + id + "\" is not a hub " + type.singular() + " id: expected org/name or name "
                + "(letters, digits, '-', '_', '.'; no '--' or '..'; at most 96 characters)");
    }

    public static HubRepo model(String id) { return new HubRepo(Type.MODEL, id); }
    public static HubRepo dataset(String id) { return new HubRepo(Type.DATASET, id); }

    public static boolean isValidId(String id) {
        return id != null && id.length() <= 96 && ID.matcher(id).matches() && !id.contains("--") && !id.contains("..")
            && !id.endsWith(".") && !id.endsWith("-");
    }

    /** {@code models--org--name} (huggingface_hub's {@code repo_folder_name}). */
    public String cacheFolderName() { return type.plural() + "--" + id.replace("/", "--"); }

    /** {@code api/models/org/name/revision/<rev>} (the revision percent-encoded as one segment, as huggingface_hub does). */
    String apiPath(String revision) { return "api/" + type.plural() + "/" + id + "/revision/" + encodeSegment(revision); }

    /** {@code [datasets/]org/name/resolve/<rev>/<file>}. */
    String resolvePath(String revision, String file) {
        return type.urlPrefix() + id + "/resolve/" + encodeSegment(revision) + "/" + encodePath(file);
    }

    /** The repository's page on the hub (for messages). */
    String page(String endpoint) { return endpoint + "/" + type.urlPrefix() + id; }

    @Override public String toString() { return type == Type.MODEL ? id : "dataset " + id; }

    /** A branch, tag, {@code refs/pr/N} or commit; null or blank means {@code main}. */
    public static String checkRevision(String revision) throws HubException {
        String r = revision == null || revision.isBlank() ? "main" : revision.trim();
        if (r.length() > 256 || !REVISION.matcher(r).matches() || r.contains("..") || r.contains("//") || r.endsWith("/"))
            throw new HubException(HubException.Kind.INVALID_REFERENCE, "invalid revision \"" + revision
                + "\": expected a branch, tag, refs/pr/N or 40-hex commit (letters, digits, '.', '_', '-', '/'; no '..')");
        return r;
    }

    /**
     * Whether {@code name} is a safe relative file name inside a repository: non-empty, '/'-separated,
     * no empty, '.' or '..' segment, no backslash, no leading drive letter, no control character.
     */
    public static boolean isSafeFileName(String name) {
        if (name == null || name.isEmpty() || name.length() > MAX_FILE_NAME) return false;
        if (name.startsWith("/") || name.endsWith("/") || name.indexOf('\\') >= 0) return false;
        if (name.length() >= 2 && name.charAt(1) == ':' && Character.isLetter(name.charAt(0))) return false;   // C:...
        for (int i = 0; i < name.length(); i++) if (name.charAt(i) < 0x20 || name.charAt(i) == 0x7f) return false;
        for (String seg : name.split("/", -1)) if (seg.isEmpty() || seg.equals(".") || seg.equals("..")) return false;
        return true;
    }

    static String encodeSegment(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    static String encodePath(String p) {
        StringBuilder sb = new StringBuilder();
        for (String seg : p.split("/", -1)) {
            if (sb.length() > 0) sb.append('/');
            sb.append(encodeSegment(seg));
        }
        return sb.toString();
    }
}
