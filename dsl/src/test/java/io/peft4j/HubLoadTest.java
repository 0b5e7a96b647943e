package io.peft4j;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.peft4j.hf.DownloadListener;
import io.peft4j.hf.HubEnvironment;
import io.peft4j.hf.HubException;
import io.peft4j.model.t5.T5Config;
import io.peft4j.model.t5.T5Model;
import io.peft4j.testutil.FakeHub;
import io.peft4j.testutil.Shared;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The README's first line, {@code T5.load("google/flan-t5-base")}, against {@link FakeHub} serving a
 * real checkpoint (the embedded demo model's files) under that id: the DSL picks the hub settings up
 * from system properties of the environment variables' names, reports downloads to
 * {@link Peft#onDownload} listeners, and loads the same model as the local folder; then offline.
 */
class HubLoadTest {
    FakeHub hub;
    @TempDir Path tmp;
    final Map<String, String> saved = new HashMap<>();

    void set(String k, String v) {
        if (!saved.containsKey(k)) saved.put(k, System.getProperty(k));
        System.setProperty(k, v);
    }

    @BeforeEach void start() throws Exception {
        hub = new FakeHub();
        set("HF_ENDPOINT", hub.endpoint());
        set("HF_HUB_CACHE", tmp.resolve("cache").toString());
        set("HF_HOME", tmp.resolve("hf-home").toString());
        set("HF_TOKEN", "");
        set("HF_HUB_OFFLINE", "");
        set("HF_HUB_DISABLE_PROGRESS_BARS", "1");
    }

    @AfterEach void stop() {
        hub.close();
        saved.forEach((k, v) -> { if (v == null) System.clearProperty(k); else System.setProperty(k, v); });
    }

    @Test void readmeFirstLineLoadsFromTheHubThenFromTheCacheOffline() throws Exception {
        Map<String, byte[]> files = FakeHub.folder(T5.demoFolder());
        files.remove("RECIPE.md");
        files.put("pytorch_model.bin", new byte[]{(byte) 0x80, 2, '.'});
        files.put("README.md", "# flan".getBytes());
        String commit = hub.model("google/flan-t5-base").commit("main", files);
        assertEquals(hub.endpoint(), HubEnvironment.fromProcess().endpoint(), "system properties override the environment");

        List<String> seen = new CopyOnWriteArrayList<>();
        DownloadListener l = new DownloadListener() {
            @Override public void onFileEnd(Event e, String outcome) { seen.add(e.file() + " " + e.bytes() + "/" + e.totalBytes() + " " + outcome); }
        };
        Peft.onDownload(l);
        T5 base;
        try {
            base = T5.load("google/flan-t5-base");
        } finally {
            Peft.removeDownloadListener(l);
        }
        long weights = files.get("model.safetensors").length;
        assertTrue(seen.contains("model.safetensors " + weights + "/" + weights + " done"), seen.toString());
        assertEquals(4, seen.size(), seen.toString());   // config, weights, generation config, tokenizer.json
        assertTrue(hub.requests().stream().noneMatch(r -> r.path().contains("pytorch_model") || r.path().contains("README")));

        T5 demo = T5.demo();
        assertEquals(demo.parameterCount(), base.parameterCount());
        assertEquals("google/flan-t5-base", base.id());
        String prompt = "Summarize the following conversation.\n\n#Person1#: Where is the station?\n#Person2#: Two streets down.\n\nSummary:";
        assertEquals(demo.generate(prompt), base.generate(prompt), "the hub copy generates as the embedded model does");

        hub.clearLog();
        set("HF_HUB_OFFLINE", "1");
        Model again = Model.load("google/flan-t5-base");
        assertInstanceOf(T5.class, again);
        assertEquals(base.generate(prompt), again.generate(prompt));
        Model pinned = T5.load("google/flan-t5-base", commit);
        assertEquals(base.parameterCount(), pinned.parameterCount());
        assertTrue(hub.requests().isEmpty(), "offline: no request at all, got " + hub.requests());

        UncheckedIOException miss = assertThrows(UncheckedIOException.class, () -> T5.load("google/flan-t5-xl"));
        HubException cause = assertInstanceOf(HubException.class, miss.getCause());
        assertEquals(HubException.Kind.OFFLINE, cause.kind());
        assertTrue(miss.getMessage().contains("google/flan-t5-xl") && miss.getMessage().contains("HF_HUB_OFFLINE"), miss.getMessage());
    }

    @Test void aT5RepositoryWithOnlySpieceModelLoadsWithTheSentencePieceTokenizer() throws Exception {
        Path tok = Shared.require("models/t5-tokenizer");
        ObjectNode n = new ObjectMapper().createObjectNode();
        n.put("model_type", "t5");
        n.put("vocab_size", 32128); n.put("d_model", 8); n.put("d_kv", 4); n.put("d_ff", 16);
        n.put("num_layers", 1); n.put("num_decoder_layers", 1); n.put("num_heads", 2); n.put("dropout_rate", 0.0);
        n.put("feed_forward_proj", "gated-gelu"); n.put("tie_word_embeddings", false);
        Path made = tmp.resolve("made");
        T5Model.fromConfig(T5Config.fromJson(n), 3).save(made, io.peft4j.hf.SafeTensors.Dtype.F32);
        Map<String, byte[]> files = FakeHub.folder(made);
        files.put("spiece.model", Files.readAllBytes(tok.resolve("spiece.model")));
        hub.model("t5-small").commit("main", files);     // an id without an owner, as the oldest hub models have

        T5 t5 = T5.load("t5-small");
        assertArrayEquals(new int[]{8774, 296, 1}, t5.tokenizer().encode("Hello world"));
        List<String> asked = new ArrayList<>();
        hub.requests().forEach(r -> asked.add(r.path()));
        assertTrue(asked.contains("/api/models/t5-small/revision/main"), asked.toString());
        assertTrue(asked.stream().noneMatch(p -> p.endsWith("tokenizer.json")), "only files the listing has are asked for: " + asked);
    }

    @Test void unknownIdsSayTheyAreNeitherAFolderNorOnTheHub() {
        UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> T5.load("nobody/nothing"));
        assertEquals(HubException.Kind.REPO_NOT_FOUND, ((HubException) e.getCause()).kind());
        assertTrue(e.getMessage().contains("nobody/nothing") && e.getMessage().contains("not a local folder"), e.getMessage());
    }
}
