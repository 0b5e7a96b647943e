package io.peft4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.peft4j.testutil.FakeHub;
import io.peft4j.testutil.Shared;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * {@code --model}, {@code --adapter} and {@code --tokenizer} take hub ids: the same answers as from
 * the local folders, through {@link FakeHub}, then offline from the cache with no request at all.
 */
class HubCliTest {
    static final ObjectMapper JSON = new ObjectMapper();
    FakeHub hub;
    @TempDir Path tmp;
    final Map<String, String> saved = new HashMap<>();
    String tinyCommit;

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
        set("HF_HUB_DISABLE_PROGRESS_BARS", "");
    }

    @AfterEach void stop() {
        hub.close();
        saved.forEach((k, v) -> { if (v == null) System.clearProperty(k); else System.setProperty(k, v); });
    }

    /** tiny_flan as org/tiny (with a pickle next to it and a tag), its LoRA adapter as user/lora. */
    Path serveTiny() throws Exception {
        Path dir = Shared.require("fixtures/t5/tiny_flan");
        Map<String, byte[]> files = FakeHub.files("config.json", Files.readAllBytes(dir.resolve("config.json")),
            "model.safetensors", Files.readAllBytes(dir.resolve("model.safetensors")), "pytorch_model.bin", new byte[]{1});
        tinyCommit = hub.model("org/tiny").commit("main", files);
        hub.model("org/tiny").tag("v1.0", tinyCommit);
        Map<String, byte[]> adapter = FakeHub.folder(dir.resolve("lora_adapter"));
        adapter.put("adapter_model.bin", new byte[]{1});
        hub.model("user/lora").commit("main", adapter);
        return dir;
    }

    static String forwardInput(Path dir) throws Exception {
        JsonNode exp = JSON.readTree(dir.resolve("expected.json").toFile());
        StringBuilder in = new StringBuilder();
        for (JsonNode b : exp.get("batches")) {
            var req = JSON.createObjectNode();
            req.set("input_ids", b.get("input_ids")); req.set("attention_mask", b.get("attention_mask")); req.set("labels", b.get("labels"));
            in.append(req).append('\n');
        }
        return in.toString();
    }

    @Test void forwardAndGenerateTakeHubIdsAndAnswerAsTheLocalFolder() throws Exception {
        Path dir = serveTiny();
        String in = forwardInput(dir);
        var local = ForwardGenerateCommandTest.run(new ForwardCommand(), in, "--model", dir.toString());
        var remote = ForwardGenerateCommandTest.run(new ForwardCommand(), in, "--model", "org/tiny");
        assertEquals(0, remote.rc(), remote.err());
        assertArrayEquals(local.lines(), remote.lines());
        assertTrue(remote.err().contains("\rorg/tiny model.safetensors [") && remote.err().contains("org/tiny model.safetensors  270.6 kB in "),
            "progress bar on stderr: " + remote.err());
        assertTrue(hub.requests().stream().noneMatch(r -> r.path().contains(".bin")), hub.requests().toString());

        var localAd = ForwardGenerateCommandTest.run(new ForwardCommand(), in, "--model", dir.toString(), "--adapter", dir.resolve("lora_adapter").toString());
        var remoteAd = ForwardGenerateCommandTest.run(new ForwardCommand(), in, "--model", "org/tiny@v1.0", "--adapter", "user/lora");
        assertEquals(0, remoteAd.rc(), remoteAd.err());
        assertArrayEquals(localAd.lines(), remoteAd.lines());
        assertFalse(java.util.Arrays.equals(local.lines(), localAd.lines()), "the adapter changes the answers");

        String gin = "{\"input_ids\": [[5, 6, 7, 1]]}\n";
        var g1 = ForwardGenerateCommandTest.run(new GenerateCommand(), gin, "--model", dir.toString(), "--max-new-tokens", "4");
        var g2 = ForwardGenerateCommandTest.run(new GenerateCommand(), gin, "--model", "org/tiny@" + tinyCommit, "--max-new-tokens", "4");
        assertEquals(0, g2.rc(), g2.err());
        assertArrayEquals(g1.lines(), g2.lines());

        // offline, from the cache: the same answers and no request
        hub.clearLog();
        set("HF_HUB_OFFLINE", "1");
        var offline = ForwardGenerateCommandTest.run(new ForwardCommand(), in, "--model", "org/tiny", "--adapter", "user/lora");
        assertEquals(0, offline.rc(), offline.err());
        assertArrayEquals(localAd.lines(), offline.lines());
        assertTrue(hub.requests().isEmpty(), hub.requests().toString());
    }

    @Test void hubProblemsAreOneLineErrors() throws Exception {
        serveTiny();
        var missing = ForwardGenerateCommandTest.run(new ForwardCommand(), "", "--model", "nobody/nothing");
        assertNotEquals(0, missing.rc());
        assertEquals(1, missing.err().strip().split("\n").length, missing.err());
        assertTrue(missing.err().contains("--model nobody/nothing") && missing.err().contains("not found"), missing.err());
        var rev = ForwardGenerateCommandTest.run(new ForwardCommand(), "", "--model", "org/tiny@v9");
        assertTrue(rev.err().contains("revision \"v9\""), rev.err());
        var noAdapter = ForwardGenerateCommandTest.run(new ForwardCommand(), "", "--model", "org/tiny", "--adapter", "org/tiny");
        assertNotEquals(0, noAdapter.rc());
        assertTrue(noAdapter.err().contains("adapter_config.json") && noAdapter.err().contains("--adapter org/tiny"), noAdapter.err());
        set("HF_HUB_OFFLINE", "1");
        var off = ForwardGenerateCommandTest.run(new ForwardCommand(), "", "--model", "org/other");
        assertTrue(off.err().contains("HF_HUB_OFFLINE") && off.err().contains("org/other"), off.err());
    }

    @Test void tokenizeTakesAHubIdAndFetchesOnlyTokenizerFiles() throws Exception {
        Path tok = Shared.require("models/t5-tokenizer");
        hub.model("google-t5/t5-base").commit("main", FakeHub.files("spiece.model", Files.readAllBytes(tok.resolve("spiece.model")),
            "tokenizer.json", Files.readAllBytes(tok.resolve("tokenizer.json")), "config.json", "{}",
            "model.safetensors", new byte[1 << 20]));
        set("HF_HUB_DISABLE_PROGRESS_BARS", "1");
        var r = TokenizeCommandTest.run("{\"text\": \"summarize: The quick brown fox\"}\n", "--tokenizer", "google-t5/t5-base");
        assertEquals(0, r.rc(), r.err());
        assertEquals("[21603,10,37,1704,4216,3,20400,1]", JSON.readTree(r.out().strip()).get("ids").toString());
        assertTrue(hub.requests().stream().noneMatch(q -> q.path().contains("model.safetensors") || q.path().contains("config.json")),
            hub.requests().toString());
    }

    @Test void demoRunsOnAHubModel() throws Exception {
        Path data = Path.of("..", "datasets", "dialogues").toAbsolutePath().normalize();
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isDirectory(data), "skipped: the project's data " + data + " is absent");
        Path demo = Path.of(HubCliTest.class.getResource("/io/peft4j/demo/model/config.json").toURI()).getParent();
        Map<String, byte[]> files = FakeHub.folder(demo);
        files.remove("RECIPE.md");
        hub.model("google/flan-t5-small").commit("main", files);
        set("HF_HUB_DISABLE_PROGRESS_BARS", "1");
        Path out = tmp.resolve("out");
        PrintStream oldOut = System.out;
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        System.setOut(new PrintStream(log, true, StandardCharsets.UTF_8));
        int rc;
        try {
            rc = new CommandLine(new DemoCommand()).execute("--model", "google/flan-t5-small", "--data", data.toString(), "--out", out.toString(),
                "--train", "8", "--test", "2", "--batch-size", "4", "--max-source", "32", "--max-target", "8");
        } finally {
            System.setOut(oldOut);
        }
        String text = log.toString(StandardCharsets.UTF_8);
        assertEquals(0, rc, text);
        assertTrue(text.contains("base: T5[") && text.contains("identical (2/2)"), text);
        assertTrue(Files.isRegularFile(out.resolve("adapter-lora-r8/adapter_model.safetensors")));
    }

    @Test void demoModelOptionResolvesHubIdsAndExplainsFailures() {
        PrintStream old = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        int rc;
        try {
            rc = new CommandLine(new DemoCommand()).execute("--model", "nobody/nothing", "--out", tmp.resolve("out").toString());
        } finally {
            System.setErr(old);
        }
        assertEquals(2, rc);
        String e = err.toString(StandardCharsets.UTF_8);
        assertTrue(e.startsWith("demo: --model nobody/nothing: ") && e.contains("not found"), e);
        assertFalse(Files.exists(tmp.resolve("out")), "nothing run before the model is found");
    }
}
