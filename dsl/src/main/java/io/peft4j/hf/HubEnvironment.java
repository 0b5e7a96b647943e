package io.peft4j.hf;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The hub settings of huggingface_hub, read from the same environment variables:
 * <ul>
 *   <li>{@code HF_ENDPOINT}: the hub (default {@code https://huggingface.co});</li>
 *   <li>{@code HF_HUB_CACHE}, else {@code HF_HOME/hub}, else {@code $XDG_CACHE_HOME/huggingface/hub}, else
 *       {@code ~/.cache/huggingface/hub}: the cache ({@code HUGGINGFACE_HUB_CACHE} is honoured as the legacy name);</li>
 *   <li>{@code HF_HUB_OFFLINE} (or {@code TRANSFORMERS_OFFLINE}) = 1/true/yes/on: use the cache only;</li>
 *   <li>{@code HF_TOKEN} (or the legacy {@code HUGGING_FACE_HUB_TOKEN}), else the token file written by
 *       {@code hf auth login} ({@code HF_TOKEN_PATH}, else {@code HF_HOME/token}): sent as a bearer token;</li>
 *   <li>{@code HF_HUB_DISABLE_PROGRESS_BARS} = 1: no terminal progress bar;</li>
 *   <li>{@code HF_HUB_DOWNLOAD_TIMEOUT}: seconds without a byte before a transfer counts as stalled (default 10,
 *       as huggingface_hub); a stalled transfer keeps its partial file and the next attempt resumes it.</li>
 * </ul>
 * {@link #fromProcess()} reads the process environment, overlaid by Java system properties of the same
 * names (a property that is set, even to "", wins), so a notebook or a test can say
 * {@code System.setProperty("HF_TOKEN", ...)} without restarting the JVM.
 *
 * @param endpoint     hub base URL without a trailing slash
 * @param cacheDir     the hub cache folder (holds {@code models--org--name}, {@code datasets--org--name})
 * @param offline      whether to use only the cache
 * @param token        bearer token, or null
 * @param progressBars whether a terminal progress bar is drawn when no listener is registered
 * @param timeoutSeconds seconds to wait for a connection or for the next bytes of an answer, in [1, 3600]
 */
public record HubEnvironment(String endpoint, Path cacheDir, boolean offline, String token, boolean progressBars, int timeoutSeconds) {
    public static final String DEFAULT_ENDPOINT = "https://huggingface.co";

    /** Names read by {@link #fromProcess()} from system properties, overriding the environment. */
    static final String[] NAMES = {"HF_ENDPOINT", "HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE", "HF_HOME", "XDG_CACHE_HOME",
        "HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_TOKEN_PATH",
        "HF_HUB_DISABLE_PROGRESS_BARS", "HF_HUB_DOWNLOAD_TIMEOUT", "HOME"};

    public HubEnvironment {
        if (endpoint == null || endpoint.isBlank())
            throw new IllegalArgumentException("endpoint is blank: need a URL like " + DEFAULT_ENDPOINT);
        try {
            URI u = new URI(endpoint);
            if (!"http".equalsIgnoreCase(u.getScheme()) && !"https".equalsIgnoreCase(u.getScheme()) || u.getHost() == null)
                throw new IllegalArgumentException("endpoint = \"" + endpoint + "\" is invalid: need an http(s) URL like " + DEFAULT_ENDPOINT);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("endpoint = \"" + endpoint + "\" is not a URL: " + e.getMessage(), e);
        }
        while (endpoint.endsWith("/")) endpoint = endpoint.substring(0, endpoint.length() - 1);
        if (cacheDir == null) throw new IllegalArgumentException("cacheDir is null");
        cacheDir = cacheDir.toAbsolutePath().normalize();
        if (token != null && token.isBlank()) token = null;
        if (token != null && token.chars().anyMatch(c -> c < 0x21 || c > 0x7e))
            throw new IllegalArgumentException("the hub token (HF_TOKEN) contains spaces or non-ASCII characters: copy it again from the hub's settings");
        if (timeoutSeconds < 1 || timeoutSeconds > 3600)
            throw new IllegalArgumentException("timeoutSeconds (HF_HUB_DOWNLOAD_TIMEOUT) = " + timeoutSeconds + " is invalid: allowed 1..3600");
    }

    /** The process environment overlaid with system properties of the same names. */
    public static HubEnvironment fromProcess() {
        Map<String, String> m = new HashMap<>(System.getenv());
        for (String n : NAMES) {
            String p = System.getProperty(n);
            if (p != null) m.put(n, p);
        }
        return of(m);
    }

    /** Settings from explicit variables (tests, embedding applications). Unset or blank = absent. */
    public static HubEnvironment of(Map<String, String> env) {
        String ep = get(env, "HF_ENDPOINT").orElse(DEFAULT_ENDPOINT).trim();
        Path home = get(env, "HF_HOME").map(HubEnvironment::expand)
            .orElseGet(() -> Path.of(get(env, "XDG_CACHE_HOME").orElseGet(() -> userHome(env) + "/.cache"), "huggingface"));
        Path cache = get(env, "HF_HUB_CACHE").or(() -> get(env, "HUGGINGFACE_HUB_CACHE")).map(HubEnvironment::expand)
            .orElse(home.resolve("hub"));
        boolean offline = isTrue(get(env, "HF_HUB_OFFLINE").or(() -> get(env, "TRANSFORMERS_OFFLINE")).orElse(null));
        String token = get(env, "HF_TOKEN").or(() -> get(env, "HUGGING_FACE_HUB_TOKEN")).map(String::trim)
            .orElseGet(() -> readTokenFile(get(env, "HF_TOKEN_PATH").map(HubEnvironment::expand).orElse(home.resolve("token"))));
        boolean bars = !isTrue(get(env, "HF_HUB_DISABLE_PROGRESS_BARS").orElse(null));
        int timeout = 10;
        Optional<String> t = get(env, "HF_HUB_DOWNLOAD_TIMEOUT");
        if (t.isPresent()) {
            try {
                timeout = (int) Math.ceil(Double.parseDouble(t.get().trim()));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("HF_HUB_DOWNLOAD_TIMEOUT = \"" + t.get() + "\" is not a number of seconds (allowed 1..3600)");
            }
        }
        return new HubEnvironment(ep, cache, offline, token, bars, timeout);
    }

    public HubEnvironment withOffline(boolean off) { return new HubEnvironment(endpoint, cacheDir, off, token, progressBars, timeoutSeconds); }

    public Optional<String> tokenValue() { return Optional.ofNullable(token); }

    /** As huggingface_hub: 1, ON, YES, TRUE (any case). */
    static boolean isTrue(String v) {
        return v != null && switch (v.trim().toUpperCase(Locale.ROOT)) { case "1", "ON", "YES", "TRUE" -> true; default -> false; };
    }

    private static Optional<String> get(Map<String, String> env, String name) {
        String v = env.get(name);
        return v == null || v.isBlank() ? Optional.empty() : Optional.of(v);
    }

    private static String userHome(Map<String, String> env) {
        return get(env, "HOME").orElse(System.getProperty("user.home"));
    }

    private static Path expand(String p) {
        String s = p.trim();
        if (s.equals("~") || s.startsWith("~/")) s = System.getProperty("user.home") + s.substring(1);
        return Path.of(s);
    }

    private static String readTokenFile(Path f) {
        try {
            if (!Files.isRegularFile(f) || Files.size(f) > 4096) return null;
            String t = Files.readString(f, StandardCharsets.UTF_8).trim();
            return t.isEmpty() ? null : t;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    @Override public String toString() {
        return "HubEnvironment[endpoint=" + endpoint + ", cacheDir=" + cacheDir + ", offline=" + offline
            + ", token=" + (token == null ? "none" : "set") + ", progressBars=" + progressBars + ", timeoutSeconds=" + timeoutSeconds + "]";
    }
}
