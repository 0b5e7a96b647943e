package io.peft4j.hf;

import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.*;

/** Download path against an HTTP server on 127.0.0.1 started by the test; no other network. */
class HubResolverTest {
    static final String COMMIT = "0123456789abcdef0123456789abcdef01234567";
    HttpServer server;
    final List<String> requests = new CopyOnWriteArrayList<>();
    final List<String> auth = new CopyOnWriteArrayList<>();
    @TempDir Path tmp;

    @BeforeEach void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", ex -> {
            String path = ex.getRequestURI().getRawPath();
            requests.add(path);
            String a = ex.getRequestHeaders().getFirst("Authorization");
            auth.add(a == null ? "" : a);
            byte[] body;
            int code = 200;
            if (path.equals("/org/tiny/resolve/main/config.json")) {
                body = "{\"d_model\": 8}".getBytes(StandardCharsets.UTF_8);
                ex.getResponseHeaders().add("X-Repo-Commit", COMMIT);
            } else if (path.equals("/org/tiny/resolve/main/model.safetensors")) {
                // like the hub: LFS files redirect to a CDN; the commit header is on the redirect
                ex.getResponseHeaders().add("X-Repo-Commit", COMMIT);
                ex.getResponseHeaders().add("Location", "/cdn/blob123");
                ex.sendResponseHeaders(302, -1);
                ex.close();
                return;
            } else if (path.equals("/cdn/blob123")) {
                body = new byte[]{1, 2, 3, 4, 5};
            } else if (path.startsWith("/org/gated/")) {
                code = a != null && a.equals("Bearer secret") ? 200 : 401;
                body = "ok".getBytes(StandardCharsets.UTF_8);
                ex.getResponseHeaders().add("X-Repo-Commit", COMMIT);
            } else {
                code = 404;
                body = "not found".getBytes(StandardCharsets.UTF_8);
            }
            ex.sendResponseHeaders(code, body.length);
            try (OutputStream os = ex.getResponseBody()) { os.write(body); }
        });
        server.start();
    }

    @AfterEach void stop() { server.stop(0); }

    Map<String, String> env(String... kv) {
        Map<String, String> m = new HashMap<>();
        m.put("HF_ENDPOINT", "http://127.0.0.1:" + server.getAddress().getPort());
        m.put("HF_HUB_CACHE", tmp.resolve("cache").toString());
        for (int i = 0; i < kv.length; i += 2) m.put(kv[i], kv[i + 1]);
        return m;
    }

    @Test void downloadsIntoCacheLayoutThenReusesIt() throws IOException {
        HubResolver hub = new HubResolver(env());
        Path dir = hub.resolve("org/tiny", null, List.of("config.json", "model.safetensors"));
        Path repo = tmp.resolve("cache/models--org--tiny");
        assertEquals(repo.resolve("snapshots/" + COMMIT), dir);
        assertEquals("{\"d_model\": 8}", Files.readString(dir.resolve("config.json")));
        assertArrayEquals(new byte[]{1, 2, 3, 4, 5}, Files.readAllBytes(dir.resolve("model.safetensors")));
        assertEquals(COMMIT, Files.readString(repo.resolve("refs/main")));
        try (var s = Files.list(dir)) { assertEquals(2, s.count(), "no temp files left"); }
        int n = requests.size();
        assertEquals(3, n, requests.toString());
        assertEquals("", auth.get(0), "no token, no Authorization header");
        // second time: from the cache, even offline
        Path again = new HubResolver(env("HF_HUB_OFFLINE", "1")).resolve("org/tiny", "main", List.of("config.json"));
        assertEquals(dir, again);
        assertEquals(n, requests.size());
        // by commit
        assertEquals(dir, new HubResolver(env("HF_HUB_OFFLINE", "1")).resolve("org/tiny", COMMIT, List.of("model.safetensors")));
    }

    @Test void hfHomeGivesHubSubfolder() throws IOException {
        Map<String, String> e = env();
        e.remove("HF_HUB_CACHE");
        e.put("HF_HOME", tmp.resolve("home").toString());
        Path dir = new HubResolver(e).resolve("org/tiny", "main", List.of("config.json"));
        assertEquals(tmp.resolve("home/hub/models--org--tiny/snapshots/" + COMMIT), dir);
    }

    @Test void offlineWithoutCacheNamesIdAndCachePath() {
        HubException ex = assertThrows(HubException.class,
            () -> new HubResolver(env("HF_HUB_OFFLINE", "1")).resolve("org/tiny", "main", List.of("config.json")));
        assertTrue(ex.getMessage().contains("org/tiny"), ex.getMessage());
        assertTrue(ex.getMessage().contains(tmp.resolve("cache/models--org--tiny").toString()), ex.getMessage());
        assertTrue(ex.getMessage().contains("HF_HUB_OFFLINE"), ex.getMessage());
        assertTrue(requests.isEmpty());
    }

    @Test void tokenIsSentAsBearer() throws IOException {
        HubException ex = assertThrows(HubException.class,
            () -> new HubResolver(env()).resolve("org/gated", "main", List.of("config.json")));
        assertTrue(ex.getMessage().contains("401") && ex.getMessage().contains("HF_TOKEN"), ex.getMessage());
        Path dir = new HubResolver(env("HF_TOKEN", "secret")).resolve("org/gated", "main", List.of("config.json"));
        assertEquals("ok", Files.readString(dir.resolve("config.json")));
        assertEquals("Bearer secret", auth.get(auth.size() - 1));
    }

    @Test void missingFileIs404ErrorOrEmptyOptional() throws IOException {
        HubResolver hub = new HubResolver(env());
        HubException ex = assertThrows(HubException.class, () -> hub.resolve("org/tiny", "main", List.of("nope.json")));
        assertTrue(ex.getMessage().contains("404") && ex.getMessage().contains("nope.json") && ex.getMessage().contains("org/tiny"), ex.getMessage());
        assertTrue(hub.resolveOptional("org/tiny", "main", "nope.json").isEmpty());
        assertTrue(hub.resolveOptional("org/tiny", "main", "config.json").isPresent());
    }

    @Test void localFolderComesFirst() throws IOException {
        Path local = Files.createDirectory(tmp.resolve("m"));
        Files.writeString(local.resolve("config.json"), "{}");
        HubResolver hub = new HubResolver(env());
        assertEquals(local, hub.resolve(local.toString(), null, List.of("config.json")));
        HubException ex = assertThrows(HubException.class, () -> hub.resolve(local.toString(), null, List.of("x.txt")));
        assertTrue(ex.getMessage().contains("x.txt"));
        assertTrue(requests.isEmpty());
        assertThrows(HubException.class, () -> hub.resolve("not a/valid/id", null, List.of("config.json")));
        assertThrows(IllegalArgumentException.class, () -> hub.resolve("org/tiny", null, List.of("../etc/passwd")));
    }

    @Test void defaultsWithoutEnvironment() {
        HubResolver hub = new HubResolver(Map.of("HOME", "/h"));
        assertEquals(HubResolver.DEFAULT_ENDPOINT, hub.endpoint());
        assertEquals(Path.of("/h/.cache/huggingface/hub"), hub.cacheDir());
        assertFalse(hub.offline());
    }
}
