package io.peft4j.hf;

import io.peft4j.hf.HubException.Kind;
import io.peft4j.testutil.FakeHub;
import io.peft4j.testutil.FakeHub.Fault;
import io.peft4j.testutil.Shared;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The resolver against {@link FakeHub}, a local server answering as the hub does (listing, resolve
 * with redirects to another port, LFS ETags, Range, 401/403/404), over real fixture files copied at
 * test time.
 */
class HubResolverTest {
    FakeHub hub;
    @TempDir Path tmp;
    final List<String> events = new CopyOnWriteArrayList<>();
    final List<DownloadListener.Event> starts = new CopyOnWriteArrayList<>();

    final DownloadListener recorder = new DownloadListener() {
        @Override public void onFileStart(Event e) { events.add("start " + e.file()); starts.add(e); }
        @Override public void onFileEnd(Event e, String outcome) { events.add("end " + e.file() + " " + (outcome.equals("done") ? "done" : "failed")); }
        @Override public void onEnd(String repo, String outcome) { events.add("all " + repo + " " + (outcome.equals("done") ? "done" : "failed")); }
    };

    @BeforeEach void start() throws IOException { hub = new FakeHub(); }
    @AfterEach void stop() { hub.close(); }

    Map<String, String> env(String... kv) {
        Map<String, String> m = new HashMap<>();
        m.put("HF_ENDPOINT", hub.endpoint());
        m.put("HF_HUB_CACHE", tmp.resolve("cache").toString());
        m.put("HOME", tmp.resolve("home").toString());
        for (int i = 0; i < kv.length; i += 2) m.put(kv[i], kv[i + 1]);
        return m;
    }

    HubResolver resolver(String... kv) { return new HubResolver(HubEnvironment.of(env(kv)), recorder); }

    Path cache() { return tmp.resolve("cache"); }

    static Map<String, byte[]> tinyFlan() throws IOException {
        Map<String, byte[]> m = new LinkedHashMap<>();
        Path d = Shared.require("fixtures/t5/tiny_flan");
        m.put("config.json", Files.readAllBytes(d.resolve("config.json")));
        m.put("model.safetensors", Files.readAllBytes(d.resolve("model.safetensors")));
        return m;
    }

    /** Files under {@code dir}, relative, '/'-separated (links followed), plus names of links. */
    static Set<String> tree(Path dir) throws IOException {
        Set<String> s = new TreeSet<>();
        if (!Files.exists(dir)) return s;
        try (Stream<Path> w = Files.walk(dir)) {
            w.filter(p -> !p.equals(dir) && !Files.isDirectory(p)).forEach(p -> s.add(dir.relativize(p).toString().replace('\\', '/')));
        }
        return s;
    }

    List<String> paths(String server) {
        return hub.requests().stream().filter(r -> r.server().equals(server)).map(FakeHub.Request::path).toList();
    }

    void assertNoPickleRequested() {
        for (FakeHub.Request r : hub.requests())
            assertFalse(PickleCheckpoints.isPickle(r.path().replaceAll("\\?.*", "")) || r.path().contains(".bin") || r.path().contains(".pth")
                || r.path().contains(".ckpt") || r.path().contains(".pt?") || r.path().endsWith(".pt"), "pickle requested: " + r);
    }

    // ------------------------------------------------------------------ what is fetched, and where

    @Test void singleFileRepoFetchesOnlyWhatIsNeededIntoHuggingfaceHubsLayout() throws Exception {
        Map<String, byte[]> files = tinyFlan();
        files.put("generation_config.json", "{\"decoder_start_token_id\": 0, \"max_new_tokens\": 7}".getBytes(StandardCharsets.UTF_8));
        files.put("README.md", "# tiny".getBytes(StandardCharsets.UTF_8));
        files.put(".gitattributes", "*.safetensors filter=lfs".getBytes(StandardCharsets.UTF_8));
        files.put("pytorch_model.bin", new byte[]{(byte) 0x80, 2, '.'});
        files.put("tf_model.h5", new byte[]{1});
        String commit = hub.model("org/tiny").commit("main", files);
        hub.model("org/tiny").listAlso("flax_model.msgpack", "model.ckpt", "original/consolidated.00.pth", "training_args.pt");

        Path dir = resolver().resolveModel("org/tiny", null);

        Path repo = cache().resolve("models--org--tiny");
        assertEquals(repo.resolve("snapshots").resolve(commit), dir);
        assertEquals(Set.of("config.json", "model.safetensors", "generation_config.json"), tree(dir));
        for (String f : tree(dir)) assertArrayEquals(files.get(f), Files.readAllBytes(dir.resolve(f)), f);
        // blobs named by ETag: sha256 for LFS files, git blob sha1 otherwise; snapshot entries are relative links
        String sha = FakeHub.sha256Hex(files.get("model.safetensors"));
        String gitSha = FakeHub.gitBlobSha(files.get("config.json"));
        assertTrue(Files.isSymbolicLink(dir.resolve("model.safetensors")));
        assertEquals(Path.of("../../blobs/" + sha), Files.readSymbolicLink(dir.resolve("model.safetensors")));
        assertEquals(Path.of("../../blobs/" + gitSha), Files.readSymbolicLink(dir.resolve("config.json")));
        assertEquals(Set.of(sha, gitSha, FakeHub.gitBlobSha(files.get("generation_config.json"))), tree(repo.resolve("blobs")));
        assertEquals(commit, Files.readString(repo.resolve("refs/main")), "refs/main holds the commit, no newline");
        assertTrue(Files.readString(cache().resolve("CACHEDIR.TAG")).startsWith("Signature: 8a477f597d28d172789f06886806bc55"));
        // one listing, three resolves, one CDN transfer (the LFS file); no pickle, README or .gitattributes asked for
        assertEquals(List.of("/api/models/org/tiny/revision/main"), paths("hub").subList(0, 1));
        assertEquals(Set.of("/org/tiny/resolve/" + commit + "/config.json", "/org/tiny/resolve/" + commit + "/model.safetensors",
            "/org/tiny/resolve/" + commit + "/generation_config.json"), new TreeSet<>(paths("hub").subList(1, paths("hub").size())));
        assertEquals(List.of("/repos/" + sha), paths("cdn"));
        assertNoPickleRequested();
        assertEquals(List.of("start config.json", "end config.json done", "start model.safetensors", "end model.safetensors done",
            "start generation_config.json", "end generation_config.json done", "all org/tiny done"), events);
    }

    @Test void cachedModelNeedsOnlyTheListingOnlineAndNothingOffline() throws Exception {
        String commit = hub.model("org/tiny").commit("main", tinyFlan());
        Path dir = resolver().resolveModel("org/tiny", "main");
        hub.clearLog();
        events.clear();
        assertEquals(dir, resolver().resolveModel("org/tiny", "main"));
        assertEquals(List.of("/api/models/org/tiny/revision/main"), paths("hub"), "online: the listing only (main may have moved)");
        assertTrue(events.isEmpty(), "nothing reported when nothing is downloaded: " + events);
        hub.clearLog();
        assertEquals(dir, resolver("HF_HUB_OFFLINE", "1").resolveModel("org/tiny", "main"));
        assertEquals(dir, resolver("HF_HUB_OFFLINE", "true").resolveModel("org/tiny", commit));
        assertEquals(dir, resolver().resolveModel("org/tiny", commit), "a complete cached commit needs no request");
        assertTrue(hub.requests().isEmpty(), hub.requests().toString());
    }

    @Test void offlineMissNamesTheIdTheCacheAndTheSetting() throws Exception {
        hub.model("org/tiny").commit("main", tinyFlan());
        HubException ex = assertThrows(HubException.class, () -> resolver("HF_HUB_OFFLINE", "1").resolveModel("org/tiny", "main"));
        assertEquals(Kind.OFFLINE, ex.kind());
        String m = ex.getMessage();
        assertTrue(m.contains("org/tiny") && m.contains(cache().resolve("models--org--tiny").toString()) && m.contains("HF_HUB_OFFLINE"), m);
        assertTrue(hub.requests().isEmpty());
        // a snapshot with the config only (as left by a Python hf_hub_download of config.json): the weights are named
        resolver().resolve("org/tiny", "main", List.of("config.json"));
        HubException ex2 = assertThrows(HubException.class, () -> resolver("HF_HUB_OFFLINE", "1").resolveModel("org/tiny", "main"));
        assertTrue(ex2.getMessage().contains("model.safetensors") && ex2.getMessage().contains("HF_HUB_OFFLINE"), ex2.getMessage());
    }

    @Test void shardedRepoFetchesTheIndexAndItsShardsOnly() throws Exception {
        Path src = Shared.require("fixtures/t5/tiny_flan");
        Map<String, org.nd4j.linalg.api.ndarray.INDArray> all = SafeTensors.read(src.resolve("model.safetensors"));
        Map<String, org.nd4j.linalg.api.ndarray.INDArray> a = new LinkedHashMap<>(), b = new LinkedHashMap<>();
        StringBuilder map = new StringBuilder();
        int i = 0;
        for (var e : all.entrySet()) {
            String shard = (i++ % 2 == 0) ? "model-00001-of-00002.safetensors" : "model-00002-of-00002.safetensors";
            (shard.contains("00001-") ? a : b).put(e.getKey(), e.getValue());
            map.append(map.length() == 0 ? "" : ",").append('"').append(e.getKey()).append("\":\"").append(shard).append('"');
        }
        Path work = Files.createDirectories(tmp.resolve("shards"));
        SafeTensors.write(work.resolve("1.safetensors"), a, Map.of("format", "pt"), SafeTensors.Dtype.F32);
        SafeTensors.write(work.resolve("2.safetensors"), b, Map.of("format", "pt"), SafeTensors.Dtype.F32);
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("config.json", Files.readAllBytes(src.resolve("config.json")));
        files.put("model.safetensors.index.json", ("{\"metadata\": {\"total_size\": 1}, \"weight_map\": {" + map + "}}").getBytes(StandardCharsets.UTF_8));
        files.put("model-00001-of-00002.safetensors", Files.readAllBytes(work.resolve("1.safetensors")));
        files.put("model-00002-of-00002.safetensors", Files.readAllBytes(work.resolve("2.safetensors")));
        files.put("consolidated.safetensors", Files.readAllBytes(src.resolve("model.safetensors")));   // Mistral-style extra copy
        files.put("pytorch_model-00001-of-00002.bin", new byte[]{1});
        files.put("pytorch_model.bin.index.json", "{}".getBytes(StandardCharsets.UTF_8));
        hub.model("org/sharded").commit("main", files);

        Path dir = resolver().resolveModel("org/sharded", "main");
        assertEquals(Set.of("config.json", "model.safetensors.index.json", "model-00001-of-00002.safetensors",
            "model-00002-of-00002.safetensors"), tree(dir));
        assertNoPickleRequested();
        assertTrue(paths("hub").stream().noneMatch(p -> p.contains("consolidated") || p.contains("pytorch_model")), paths("hub").toString());
        // the shards load as the single file does
        var fromShards = io.peft4j.model.ModelFamilies.load(dir).baseParameters();
        var fromSingle = io.peft4j.model.ModelFamilies.load(src).baseParameters();
        assertEquals(fromSingle.keySet(), fromShards.keySet());
        for (String k : fromSingle.keySet()) assertEquals(fromSingle.get(k).value(), fromShards.get(k).value(), k);
        // offline: the index and both shards are checked
        assertEquals(dir, resolver("HF_HUB_OFFLINE", "1").resolveModel("org/sharded", "main"));
        Files.delete(dir.resolve("model-00002-of-00002.safetensors"));
        HubException ex = assertThrows(HubException.class, () -> resolver("HF_HUB_OFFLINE", "1").resolveModel("org/sharded", "main"));
        assertTrue(ex.getMessage().contains("model-00002-of-00002.safetensors"), ex.getMessage());
        // online again: only the missing shard is fetched (its blob is still there: linked, nothing transferred)
        hub.clearLog();
        resolver().resolveModel("org/sharded", "main");
        assertTrue(paths("cdn").isEmpty(), hub.requests().toString());
        assertTrue(Files.isRegularFile(dir.resolve("model-00002-of-00002.safetensors")));
    }

    @Test void repoWithOnlySpieceModelGetsItAndItTokenizes() throws Exception {
        Path tok = Shared.require("models/t5-tokenizer");
        Map<String, byte[]> files = tinyFlan();
        files.put("spiece.model", Files.readAllBytes(tok.resolve("spiece.model")));
        files.put("special_tokens_map.json", Files.readAllBytes(tok.resolve("special_tokens_map.json")));
        files.put("tokenizer_config.json", Files.readAllBytes(tok.resolve("tokenizer_config.json")));
        files.put("examples.jsonl", Files.readAllBytes(tok.resolve("examples.jsonl")));
        hub.model("org/spm").commit("main", files);
        Path dir = resolver().resolveModel("org/spm", "main");
        assertEquals(Set.of("config.json", "model.safetensors", "spiece.model", "special_tokens_map.json", "tokenizer_config.json"), tree(dir));
        assertTrue(paths("hub").stream().noneMatch(p -> p.endsWith("tokenizer.json") || p.endsWith("examples.jsonl")), paths("hub").toString());
        // the tokenizer-only selection fetches no weights
        hub.clearLog();
        Path t = resolver().resolve("org/spm", "main", FileSelection.tokenizer());
        assertEquals(dir, t);
        TextTokenizer tt = TextTokenizer.load(t);
        assertArrayEquals(new int[]{8774, 296, 1}, tt.encode("Hello world"));
    }

    @Test void repoWithOnlyTokenizerJsonGetsItWithChatTemplateAndGenerationConfig() throws Exception {
        Path src = Shared.require("fixtures/causal/tiny_llama");
        hub.model("org/tiny-llama").commit("main", FakeHub.folder(src));
        Path dir = resolver().resolveModel("org/tiny-llama", "main");
        assertEquals(Set.of("config.json", "model.safetensors", "generation_config.json", "tokenizer.json", "tokenizer_config.json",
            "chat_template.jinja"), tree(dir));
        for (String f : tree(dir)) assertArrayEquals(Files.readAllBytes(src.resolve(f)), Files.readAllBytes(dir.resolve(f)), f);
        // forward/generate on token ids: weights only
        HubResolver r = new HubResolver(HubEnvironment.of(env("HF_HUB_CACHE", tmp.resolve("cache2").toString())), recorder);
        Path w = r.resolve("org/tiny-llama", "main", FileSelection.weights());
        assertEquals(Set.of("config.json", "model.safetensors", "generation_config.json"), tree(w));
    }

    @Test void adapterRepoFetchesSafetensorsNeverTheBin() throws Exception {
        Path src = Shared.require("fixtures/t5/tiny_flan/lora_adapter");
        Map<String, byte[]> files = FakeHub.folder(src);
        files.put("adapter_model.bin", new byte[]{(byte) 0x80, 2});
        files.put("README.md", new byte[]{'#'});
        hub.model("user/lora").commit("main", files);
        Path dir = resolver().resolveAdapter("user/lora", null);
        assertEquals(Set.of("adapter_config.json", "adapter_model.safetensors"), tree(dir));
        assertNoPickleRequested();
        // an adapter published only as a pickle: refused without a request for it
        hub.model("user/pickled").commit("main", FakeHub.files("adapter_config.json", "{}", "adapter_model.bin", new byte[]{1}));
        HubException ex = assertThrows(HubException.class, () -> resolver().resolveAdapter("user/pickled", null));
        assertEquals(Kind.PICKLE_ONLY, ex.kind());
        assertTrue(ex.getMessage().contains("adapter_model.bin") && ex.getMessage().contains("refuses"), ex.getMessage());
        assertNoPickleRequested();
    }

    @Test void pickleOnlyModelIsRefusedWithoutRequestingIt() throws Exception {
        hub.model("old/bert").commit("main", FakeHub.files("config.json", "{}", "pytorch_model.bin", new byte[]{(byte) 0x80, 2, '.'},
            "tokenizer.json", "{}"));
        HubException ex = assertThrows(HubException.class, () -> resolver().resolveModel("old/bert", "main"));
        assertEquals(Kind.PICKLE_ONLY, ex.kind());
        String m = ex.getMessage();
        assertTrue(m.contains("pytorch_model.bin") && m.contains("refs/pr/") && m.contains("safe_serialization=True"), m);
        assertEquals(List.of("/api/models/old/bert/revision/main"), paths("hub"), "nothing but the listing");
    }

    @Test void datasetRepoUsesTheDatasetUrlsAndCacheFolder() throws Exception {
        String commit = hub.dataset("org/dialogues").commit("main", FakeHub.files("train.jsonl", "{\"a\":1}\n", "dev.jsonl", "{\"a\":2}\n",
            "README.md", "# d", "data.pkl", "x"));
        Path dir = resolver().resolveDataset("org/dialogues", "main", FileSelection.matching("JSON lines files", f -> f.endsWith(".jsonl")));
        assertEquals(cache().resolve("datasets--org--dialogues/snapshots/" + commit), dir);
        assertEquals(Set.of("train.jsonl", "dev.jsonl"), tree(dir));
        assertEquals("/api/datasets/org/dialogues/revision/main", paths("hub").get(0));
        assertTrue(paths("hub").contains("/datasets/org/dialogues/resolve/" + commit + "/train.jsonl"), paths("hub").toString());
    }

    // ------------------------------------------------------------------ revisions

    @Test void revisionPinningByTagBranchPullRequestAndCommit() throws Exception {
        Map<String, byte[]> v1 = tinyFlan();
        v1.put("generation_config.json", "{\"max_new_tokens\": 1}".getBytes(StandardCharsets.UTF_8));
        Map<String, byte[]> v2 = tinyFlan();
        v2.put("generation_config.json", "{\"max_new_tokens\": 2}".getBytes(StandardCharsets.UTF_8));
        FakeHub.Repo repo = hub.model("org/tiny");
        String c1 = repo.commit(null, v1);
        String c2 = repo.commit("main", v2);
        repo.tag("v1", c1).tag("refs/pr/1", c1);

        Path d1 = resolver().resolveModel("org/tiny", "v1");
        Path d2 = resolver().resolveModel("org/tiny", "main");
        Path pr = resolver().resolveModel("org/tiny", "refs/pr/1");
        assertEquals(cache().resolve("models--org--tiny/snapshots/" + c1), d1);
        assertEquals(cache().resolve("models--org--tiny/snapshots/" + c2), d2);
        assertEquals(d1, pr);
        assertEquals("{\"max_new_tokens\": 1}", Files.readString(d1.resolve("generation_config.json")));
        assertEquals("{\"max_new_tokens\": 2}", Files.readString(d2.resolve("generation_config.json")));
        Path refs = cache().resolve("models--org--tiny/refs");
        assertEquals(c1, Files.readString(refs.resolve("v1")));
        assertEquals(c2, Files.readString(refs.resolve("main")));
        assertEquals(c1, Files.readString(refs.resolve("refs/pr/1")), "nested ref, as huggingface_hub writes it");
        assertTrue(paths("hub").contains("/api/models/org/tiny/revision/refs%2Fpr%2F1"), paths("hub").toString());
        // the shared weights are one blob
        assertEquals(1, tree(cache().resolve("models--org--tiny/blobs")).stream().filter(f -> f.length() == 64).count());
        // by commit, offline
        assertEquals(d1, resolver("HF_HUB_OFFLINE", "1").resolveModel("org/tiny", c1));
        // unknown revision
        HubException ex = assertThrows(HubException.class, () -> resolver().resolveModel("org/tiny", "v9"));
        assertEquals(Kind.REVISION_NOT_FOUND, ex.kind());
        assertTrue(ex.getMessage().contains("v9"), ex.getMessage());
        assertEquals(Kind.INVALID_REFERENCE, assertThrows(HubException.class, () -> resolver().resolveModel("org/tiny", "../../etc")).kind());
    }

    @Test void renamedRepositoryIsFollowedThroughRelativeRedirects() throws Exception {
        hub.model("org/tiny").commit("main", tinyFlan());
        hub.rename("old-org/tiny", "org/tiny");
        Path dir = resolver().resolveModel("old-org/tiny", "main");
        assertTrue(dir.startsWith(cache().resolve("models--old-org--tiny")), dir.toString());
        assertEquals(Set.of("config.json", "model.safetensors"), tree(dir));
    }

    @Test void smallFilesBehindARelativeResolveCacheRedirect() throws Exception {
        Map<String, byte[]> files = tinyFlan();
        files.put("tokenizer_config.json", "{}".getBytes(StandardCharsets.UTF_8));
        String commit = hub.model("org/tiny").commit("main", files);
        hub.resolveCache(true);
        Path dir = resolver().resolveModel("org/tiny", "main");
        assertEquals(Set.of("config.json", "model.safetensors", "tokenizer_config.json"), tree(dir));
        assertEquals(Path.of("../../blobs/" + FakeHub.gitBlobSha(files.get("config.json"))), Files.readSymbolicLink(dir.resolve("config.json")));
        assertTrue(paths("hub").contains("/api/resolve-cache/models/org/tiny/" + commit + "/config.json"), paths("hub").toString());
    }

    // ------------------------------------------------------------------ tokens and errors

    @Test void gatedModelExplainsLicenceAndTokenAndTheTokenGoesToTheHubOnly() throws Exception {
        hub.model("meta/gated").commit("main", tinyFlan());
        hub.model("meta/gated").gated("secret");
        HubException none = assertThrows(HubException.class, () -> resolver().resolveModel("meta/gated", "main"));
        assertEquals(Kind.ACCESS_DENIED, none.kind());
        String m = none.getMessage();
        assertTrue(m.contains("401") && m.contains("gated") && m.contains("licence") && m.contains("HF_TOKEN")
            && m.contains(hub.endpoint() + "/meta/gated"), m);
        HubException wrong = assertThrows(HubException.class, () -> resolver("HF_TOKEN", "nope").resolveModel("meta/gated", "main"));
        assertTrue(wrong.getMessage().contains("403") && wrong.getMessage().contains("licence"), wrong.getMessage());
        assertFalse(Files.exists(cache().resolve("models--meta--gated/snapshots")), "nothing stored");

        hub.clearLog();
        Path dir = resolver("HF_TOKEN", "secret").resolveModel("meta/gated", "main");
        assertEquals(Set.of("config.json", "model.safetensors"), tree(dir));
        for (FakeHub.Request r : hub.requests()) {
            if (r.server().equals("hub")) assertEquals("Bearer secret", r.authorization(), r.toString());
            else assertNull(r.authorization(), "the token must not leave the hub's host: " + r);
        }
        assertFalse(paths("cdn").isEmpty());
    }

    @Test void tokenFromTheLoginFileWhenHfTokenIsUnset() throws Exception {
        hub.model("meta/gated").commit("main", tinyFlan());
        hub.model("meta/gated").gated("from-file");
        Path home = Files.createDirectories(tmp.resolve("hfhome"));
        Files.writeString(home.resolve("token"), "from-file\n");
        Map<String, String> e = env("HF_HOME", home.toString());
        assertEquals("from-file", HubEnvironment.of(e).token());
        new HubResolver(HubEnvironment.of(e), recorder).resolveModel("meta/gated", "main");
        for (FakeHub.Request r : hub.requests()) if (r.server().equals("hub")) assertEquals("Bearer from-file", r.authorization(), r.toString());
    }

    @Test void notFoundErrorsNameTheRepositoryOrTheFile() throws Exception {
        hub.model("org/tiny").commit("main", tinyFlan());
        hub.model("org/tiny").listAlso("tokenizer.json");    // listed, but the hub answers 404 for it
        HubException file = assertThrows(HubException.class, () -> resolver().resolveModel("org/tiny", "main"));
        assertEquals(Kind.FILE_NOT_FOUND, file.kind());
        assertTrue(file.getMessage().contains("tokenizer.json") && file.getMessage().contains("404")
            && file.getMessage().contains("org/tiny"), file.getMessage());

        HubException repo = assertThrows(HubException.class, () -> resolver().resolveModel("nobody/nothing", "main"));
        assertEquals(Kind.REPO_NOT_FOUND, repo.kind());
        assertTrue(repo.getMessage().contains("nobody/nothing") && repo.getMessage().contains("HF_TOKEN")
            && repo.getMessage().contains("not a local folder"), repo.getMessage());

        hub.model("org/noweights").commit("main", FakeHub.files("config.json", "{}", "README.md", "#"));
        HubException w = assertThrows(HubException.class, () -> resolver().resolveModel("org/noweights", "main"));
        assertEquals(Kind.FILE_NOT_FOUND, w.kind());
        assertTrue(w.getMessage().contains("model.safetensors") && w.getMessage().contains("README.md"), w.getMessage());
    }

    @Test void explicitFileListKeepsWorkingAndRefusesPickles() throws Exception {
        String commit = hub.model("org/tiny").commit("main", tinyFlan());
        Path dir = resolver().resolve("org/tiny", null, List.of("config.json"));
        assertEquals(cache().resolve("models--org--tiny/snapshots/" + commit), dir);
        assertEquals(Set.of("config.json"), tree(dir));
        HubException ex = assertThrows(HubException.class, () -> resolver().resolve("org/tiny", null, List.of("nope.json")));
        assertTrue(ex.getMessage().contains("nope.json") && ex.getMessage().contains("org/tiny"), ex.getMessage());
        assertThrows(IllegalArgumentException.class, () -> resolver().resolve("org/tiny", null, List.of("pytorch_model.bin")));
        assertThrows(IllegalArgumentException.class, () -> resolver().resolve("org/tiny", null, List.of("../etc/passwd")));
    }

    @Test void localFolderComesFirst() throws Exception {
        Path local = Files.createDirectories(tmp.resolve("org/tiny"));
        Files.writeString(local.resolve("config.json"), "{}");
        assertEquals(local, resolver().resolveModel(local.toString(), null));
        assertEquals(local, resolver().resolve(local.toString(), null, List.of("config.json")));
        HubException ex = assertThrows(HubException.class, () -> resolver().resolve(local.toString(), null, List.of("x.txt")));
        assertTrue(ex.getMessage().contains("x.txt"));
        assertTrue(hub.requests().isEmpty());
        HubException path = assertThrows(HubException.class, () -> resolver().resolveModel("/no/such/folder", null));
        assertTrue(path.getMessage().contains("/no/such/folder") && path.getMessage().contains("neither"), path.getMessage());
        assertEquals(Kind.INVALID_REFERENCE, assertThrows(HubException.class, () -> resolver().resolveModel("not a valid id", null)).kind());
        assertEquals(Kind.INVALID_REFERENCE, assertThrows(HubException.class, () -> resolver().resolveModel("a--b/c", null)).kind());
        assertTrue(hub.requests().isEmpty());
    }

    @Test void environmentDefaultsAsHuggingfaceHub() {
        HubEnvironment d = HubEnvironment.of(Map.of("HOME", "/h"));
        assertEquals(HubResolver.DEFAULT_ENDPOINT, d.endpoint());
        assertEquals(Path.of("/h/.cache/huggingface/hub"), d.cacheDir());
        assertFalse(d.offline());
        assertNull(d.token());
        assertEquals(Path.of("/x/hub"), HubEnvironment.of(Map.of("HOME", "/h", "HF_HOME", "/x")).cacheDir());
        assertEquals(Path.of("/c"), HubEnvironment.of(Map.of("HOME", "/h", "HF_HOME", "/x", "HF_HUB_CACHE", "/c")).cacheDir());
        assertEquals(Path.of("/xdg/huggingface/hub"), HubEnvironment.of(Map.of("HOME", "/h", "XDG_CACHE_HOME", "/xdg")).cacheDir());
        assertTrue(HubEnvironment.of(Map.of("HOME", "/h", "HF_HUB_OFFLINE", "YES")).offline());
        assertFalse(HubEnvironment.of(Map.of("HOME", "/h", "HF_HUB_OFFLINE", "0")).offline());
        assertEquals("https://hub.example", HubEnvironment.of(Map.of("HOME", "/h", "HF_ENDPOINT", "https://hub.example/")).endpoint());
        assertThrows(IllegalArgumentException.class, () -> HubEnvironment.of(Map.of("HOME", "/h", "HF_ENDPOINT", "ftp://x")));
        assertFalse(HubEnvironment.of(Map.of("HOME", "/h", "HF_TOKEN", "abc")).toString().contains("abc"), "the token is never printed");
    }

    // ------------------------------------------------------------------ transfers: resume, checksum

    @Test void interruptedDownloadIsResumedWithARangeRequest() throws Exception {
        Map<String, byte[]> files = tinyFlan();
        String commit = hub.model("org/tiny").commit("main", files);
        byte[] weights = files.get("model.safetensors");
        String sha = FakeHub.sha256Hex(weights);
        hub.fault("model.safetensors", Fault.TRUNCATE_ONCE);

        HubException ex = assertThrows(HubException.class, () -> resolver().resolveModel("org/tiny", "main"));
        assertEquals(Kind.INCOMPLETE, ex.kind());
        Path partial = cache().resolve("models--org--tiny/blobs/" + sha + ".incomplete");
        long have = Files.size(partial);
        assertEquals(weights.length / 2, have);
        assertTrue(ex.getMessage().contains("stopped after " + have + " of " + weights.length) && ex.getMessage().contains("resumes"), ex.getMessage());
        assertFalse(Files.exists(cache().resolve("models--org--tiny/blobs/" + sha)));
        assertFalse(Files.exists(cache().resolve("models--org--tiny/snapshots/" + commit + "/model.safetensors")));
        assertFalse(Files.exists(cache().resolve("models--org--tiny/refs/main")), "refs only once the snapshot is complete");

        hub.clearLog();
        starts.clear();
        Path dir = resolver().resolveModel("org/tiny", "main");
        assertArrayEquals(weights, Files.readAllBytes(dir.resolve("model.safetensors")));
        List<FakeHub.Request> cdn = hub.requests().stream().filter(r -> r.server().equals("cdn")).toList();
        assertEquals(1, cdn.size());
        assertEquals("bytes=" + have + "-", cdn.get(0).range());
        assertEquals(have, starts.get(0).resumedFrom());
        assertFalse(Files.exists(partial));
        assertEquals(Set.of("config.json", "model.safetensors"), tree(dir));
    }

    @Test void aStalledTransferTimesOutKeepsItsPartAndResumes() throws Exception {
        Map<String, byte[]> files = tinyFlan();
        hub.model("org/tiny").commit("main", files);
        hub.fault("model.safetensors", Fault.STALL_ONCE);
        long t0 = System.nanoTime();
        HubException ex = assertThrows(HubException.class, () -> resolver("HF_HUB_DOWNLOAD_TIMEOUT", "1").resolveModel("org/tiny", "main"));
        assertTrue(System.nanoTime() - t0 < 2_900_000_000L, "gave up after the 1 s timeout, before the server's 3 s stall ended");
        assertEquals(Kind.INCOMPLETE, ex.kind());
        assertTrue(ex.getMessage().contains("timed out") || ex.getMessage().contains("Timeout"), ex.getMessage());
        Path dir = resolver().resolveModel("org/tiny", "main");
        assertArrayEquals(files.get("model.safetensors"), Files.readAllBytes(dir.resolve("model.safetensors")));
        assertEquals("bytes=" + files.get("model.safetensors").length / 2 + "-", hub.requests().get(hub.requests().size() - 1).range());
    }

    @Test void aStrayPartialFileIsCaughtByTheChecksumOrStartedOver() throws Exception {
        Map<String, byte[]> files = tinyFlan();
        hub.model("org/tiny").commit("main", files);
        byte[] weights = files.get("model.safetensors");
        Path blobs = Files.createDirectories(cache().resolve("models--org--tiny/blobs"));
        Path partial = blobs.resolve(FakeHub.sha256Hex(weights) + ".incomplete");
        // garbage where a partial should be: resumed, then refused by the sha256 check, and removed
        Files.write(partial, new byte[1000]);
        HubException ex = assertThrows(HubException.class, () -> resolver().resolveModel("org/tiny", "main"));
        assertEquals(Kind.INTEGRITY, ex.kind());
        assertFalse(Files.exists(partial));
        assertArrayEquals(weights, Files.readAllBytes(resolver().resolveModel("org/tiny", "main").resolve("model.safetensors")));
        // a "partial" as long as the file is not trusted: downloaded afresh without a Range request
        Path dir = cache().resolve("models--org--tiny/snapshots");
        deleteTree(dir);
        Files.delete(blobs.resolve(FakeHub.sha256Hex(weights)));
        Files.write(partial, new byte[weights.length]);
        hub.clearLog();
        Path again = resolver().resolveModel("org/tiny", "main");
        assertArrayEquals(weights, Files.readAllBytes(again.resolve("model.safetensors")));
        assertTrue(hub.requests().stream().allMatch(r -> r.range() == null), hub.requests().toString());
    }

    static void deleteTree(Path p) throws IOException {
        try (Stream<Path> w = Files.walk(p)) {
            for (Path q : w.sorted(java.util.Comparator.reverseOrder()).toList()) Files.delete(q);
        }
    }

    @Test void aServerThatIgnoresRangeRestartsFromZero() throws Exception {
        Map<String, byte[]> files = tinyFlan();
        hub.model("org/tiny").commit("main", files);
        hub.fault("model.safetensors", Fault.TRUNCATE_ONCE);
        assertThrows(HubException.class, () -> resolver().resolveModel("org/tiny", "main"));
        hub.fault("model.safetensors", Fault.IGNORE_RANGE);
        Path dir = resolver().resolveModel("org/tiny", "main");
        assertArrayEquals(files.get("model.safetensors"), Files.readAllBytes(dir.resolve("model.safetensors")));
    }

    @Test void corruptedDownloadFailsItsChecksumAndLeavesNothingHalfWritten() throws Exception {
        Map<String, byte[]> files = tinyFlan();
        String commit = hub.model("org/tiny").commit("main", files);
        String sha = FakeHub.sha256Hex(files.get("model.safetensors"));
        hub.fault("model.safetensors", Fault.CORRUPT);
        HubException ex = assertThrows(HubException.class, () -> resolver().resolveModel("org/tiny", "main"));
        assertEquals(Kind.INTEGRITY, ex.kind());
        assertTrue(ex.getMessage().contains(sha) && ex.getMessage().contains("model.safetensors") && ex.getMessage().contains("nothing of it was kept"),
            ex.getMessage());
        Path repo = cache().resolve("models--org--tiny");
        Set<String> left = tree(repo);
        assertTrue(left.stream().noneMatch(f -> f.contains(sha) || f.endsWith(".incomplete") || f.endsWith(".tmp") || f.contains("model.safetensors")),
            left.toString());
        assertFalse(Files.exists(repo.resolve("refs/main")));
        assertTrue(events.contains("end model.safetensors failed") && events.contains("all org/tiny failed"), events.toString());
        // fixed on the hub: the next attempt downloads it afresh
        hub.fault("model.safetensors", null);
        Path dir = resolver().resolveModel("org/tiny", "main");
        assertEquals(repo.resolve("snapshots/" + commit), dir);
        assertArrayEquals(files.get("model.safetensors"), Files.readAllBytes(dir.resolve("model.safetensors")));
    }

    @Test void concurrentResolvesOfOneModelShareOneDownload() throws Exception {
        Map<String, byte[]> files = tinyFlan();
        hub.model("org/tiny").commit("main", files);
        List<Throwable> errors = new CopyOnWriteArrayList<>();
        List<Path> dirs = new CopyOnWriteArrayList<>();
        List<Thread> ts = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            Thread t = new Thread(() -> {
                try { dirs.add(new HubResolver(HubEnvironment.of(env()), DownloadListener.NONE).resolveModel("org/tiny", "main")); }
                catch (Throwable e) { errors.add(e); }
            });
            ts.add(t);
            t.start();
        }
        for (Thread t : ts) t.join();
        assertTrue(errors.isEmpty(), errors.toString());
        assertEquals(1, dirs.stream().distinct().count());
        assertArrayEquals(files.get("model.safetensors"), Files.readAllBytes(dirs.get(0).resolve("model.safetensors")));
        assertTrue(tree(cache().resolve("models--org--tiny/blobs")).stream().noneMatch(f -> f.endsWith(".incomplete")));
    }

    @Test void unreachableHubFallsBackToACompleteCachedSnapshot() throws Exception {
        hub.model("org/tiny").commit("main", tinyFlan());
        Path dir = resolver().resolveModel("org/tiny", "main");
        String endpoint = hub.endpoint();
        hub.close();
        PrintStream old = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            assertEquals(dir, new HubResolver(HubEnvironment.of(env("HF_ENDPOINT", endpoint)), recorder).resolveModel("org/tiny", "main"));
            HubException ex = assertThrows(HubException.class,
                () -> new HubResolver(HubEnvironment.of(env("HF_ENDPOINT", endpoint)), recorder).resolveModel("org/other", "main"));
            assertEquals(Kind.NETWORK, ex.kind());
            assertTrue(ex.getMessage().contains("HF_HUB_OFFLINE"), ex.getMessage());
        } finally {
            System.setErr(old);
        }
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("using the cached snapshot"), err.toString(StandardCharsets.UTF_8));
        hub = new FakeHub();   // for @AfterEach
    }

    // ------------------------------------------------------------------ hostile answers

    /** Nothing outside the cache; inside it, no trace of {@code badFile} (complete, verified files of the same repository may stay). */
    void assertNothingOutsideTheCache(String badFile) throws IOException {
        try (Stream<Path> s = Files.list(tmp)) {
            Set<String> top = s.map(p -> p.getFileName().toString()).filter(n -> !n.equals("home")).collect(java.util.stream.Collectors.toSet());
            assertTrue(Set.of("cache").containsAll(top), "written outside the cache: " + top);
        }
        Set<String> left = tree(cache());
        assertTrue(left.stream().noneMatch(f -> f.endsWith(".incomplete") || f.endsWith(".tmp") || f.contains("refs/")
            || badFile != null && f.endsWith("/" + badFile)), left.toString());
        for (String f : left) if (f.contains("/blobs/")) assertTrue(f.matches(".*/blobs/[0-9a-f]{40}"), "only small verified blobs: " + left);
    }

    @Test void listingWithDotDotOrAbsoluteNamesIsRefused() throws Exception {
        for (String bad : new String[]{"../../evil.json", "/etc/passwd", "a/../../b", "C:/x", "dir\\..\\x", "ok/./x"}) {
            hub.model("bad/names").commit("main", tinyFlan());
            hub.model("bad/names").listAlso(bad);
            HubException ex = assertThrows(HubException.class, () -> resolver().resolveModel("bad/names", "main"), bad);
            assertEquals(Kind.PROTOCOL, ex.kind(), ex.getMessage());
            assertTrue(ex.getMessage().contains(bad) && ex.getMessage().contains("refusing"), ex.getMessage());
            hub.close();
            hub = new FakeHub();
        }
        assertNothingOutsideTheCache(null);
        assertFalse(Files.exists(cache().resolve("models--bad--names/snapshots")));
    }

    @Test void indexNamingShardsOutsideTheRepositoryIsRefused() throws Exception {
        Map<String, byte[]> files = tinyFlan();
        files.remove("model.safetensors");
        files.put("model.safetensors.index.json", "{\"weight_map\": {\"shared.weight\": \"../../../outside.safetensors\"}}".getBytes(StandardCharsets.UTF_8));
        hub.model("bad/index").commit("main", files);
        HubException ex = assertThrows(HubException.class, () -> resolver().resolveModel("bad/index", "main"));
        assertEquals(Kind.PROTOCOL, ex.kind());
        assertTrue(ex.getMessage().contains("../../../outside.safetensors"), ex.getMessage());
        files.put("model.safetensors.index.json", "{\"weight_map\": {\"shared.weight\": \"model-1.bin\"}}".getBytes(StandardCharsets.UTF_8));
        files.put("model-1.bin", new byte[]{1});
        hub.model("bad/index2").commit("main", files);
        assertEquals(Kind.PROTOCOL, assertThrows(HubException.class, () -> resolver().resolveModel("bad/index2", "main")).kind());
        files.put("model.safetensors.index.json", "{\"weight_map\": {\"shared.weight\": \"model-00001-of-00009.safetensors\"}}".getBytes(StandardCharsets.UTF_8));
        hub.model("bad/index3").commit("main", files);
        HubException missing = assertThrows(HubException.class, () -> resolver().resolveModel("bad/index3", "main"));
        assertEquals(Kind.FILE_NOT_FOUND, missing.kind());
        assertTrue(missing.getMessage().contains("model-00001-of-00009.safetensors"), missing.getMessage());
        assertNoPickleRequested();
        try (Stream<Path> s = Files.list(tmp)) { assertEquals(1, s.filter(p -> !p.getFileName().toString().equals("home")).count()); }
    }

    @Test void redirectLoopIsAnError() throws Exception {
        hub.model("org/tiny").commit("main", tinyFlan());
        hub.fault("model.safetensors", Fault.REDIRECT_LOOP);
        HubException ex = assertThrows(HubException.class, () -> resolver().resolveModel("org/tiny", "main"));
        assertEquals(Kind.PROTOCOL, ex.kind());
        assertTrue(ex.getMessage().contains("redirect loop"), ex.getMessage());
        assertTrue(hub.requests().size() < 10, "stopped early: " + hub.requests());
        assertNothingOutsideTheCache("model.safetensors");
    }

    @Test void contentLengthFarLargerThanTheHubSaysIsRefusedBeforeReading() throws Exception {
        hub.model("org/tiny").commit("main", tinyFlan());
        hub.fault("model.safetensors", Fault.HUGE_LENGTH);
        HubException ex = assertThrows(HubException.class, () -> resolver().resolveModel("org/tiny", "main"));
        assertEquals(Kind.PROTOCOL, ex.kind());
        assertTrue(ex.getMessage().contains("Content-Length") && ex.getMessage().contains("refusing"), ex.getMessage());
        assertNothingOutsideTheCache("model.safetensors");
    }

    @Test void aListingOfAMillionFilesIsRefusedWithoutReadingItAll() throws Exception {
        hub.model("huge/repo").commit("main", tinyFlan());
        hub.model("huge/repo").withListingPaddedTo(1_000_000);
        long t0 = System.nanoTime();
        HubException ex = assertThrows(HubException.class, () -> resolver().resolveModel("huge/repo", "main"));
        assertEquals(Kind.PROTOCOL, ex.kind());
        assertTrue(ex.getMessage().contains("more than " + HubListing.MAX_FILES + " files"), ex.getMessage());
        assertEquals(1, hub.requests().size());
        assertTrue(System.nanoTime() - t0 < 30_000_000_000L);
        assertNothingOutsideTheCache(null);
    }

    // ------------------------------------------------------------------ progress

    @Test void terminalProgressBarLines() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        long[] now = {0};
        DownloadProgressBar bar = new DownloadProgressBar(new PrintStream(out, true, StandardCharsets.UTF_8), 200, () -> now[0]);
        bar.onFileStart(new DownloadListener.Event("org/m", "main", "model.safetensors", 0, 27_100_000, 0, 0));
        for (int i = 1; i <= 100; i++) {
            now[0] = i * 10_000_000L;   // 10 ms apart: 1 s in all
            bar.onFileProgress(new DownloadListener.Event("org/m", "main", "model.safetensors", i * 271_000L, 27_100_000, 0, now[0]));
        }
        bar.onFileEnd(new DownloadListener.Event("org/m", "main", "model.safetensors", 27_100_000, 27_100_000, 0, 1_000_000_000L), "done");
        String s = out.toString(StandardCharsets.UTF_8);
        long rewrites = s.chars().filter(c -> c == '\r').count();
        assertTrue(rewrites >= 5 && rewrites <= 9, "throttled to 5 a second: " + rewrites);
        assertTrue(s.contains("\rorg/m model.safetensors [##########--------------]  40%  10.8/27.1 MB  27.1 MB/s  ETA 1s"), s);
        assertTrue(s.endsWith("org/m model.safetensors  27.1 MB in 1.0 s (27.1 MB/s)" + System.lineSeparator()), s);
    }
}
