package io.peft4j.kernel;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Drives a kernel subprocess over ZeroMQ as a Jupyter client would: kernel_info, execute with
 * results and displays, errors, complete, inspect, is_complete, history, interrupt through the
 * control channel, hostile messages, shutdown. Prints start-up and round-trip timings.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class KernelProtocolTest {
    static final long T = 30_000;

    Path dir;
    Path mavenRepo;
    KernelClient.Conn conn;
    KernelProcess kernel;
    KernelClient client;

    @BeforeAll void start() throws Exception {
        dir = java.nio.file.Files.createTempDirectory("peft4j-kernel-test");
        conn = KernelClient.Conn.freshLoopback();
        // %maven resolves from a local repository the test makes itself, offline
        mavenRepo = TinyMavenRepo.create(dir.resolve("m2"));
        kernel = KernelProcess.start(conn.write(dir), Map.of(), List.of("-Dmaven.repo.local=" + mavenRepo,
                "-Dpeft4j.maven.offline=true"));
        client = new KernelClient(conn);
        client.waitReady(60_000);
        String id = client.execute("1 + 1");
        KernelClient.Msg r = client.reply(client.shell, id, T);
        double startMs = (System.nanoTime() - kernel.startNanos) / 1e6;
        assertEquals("ok", r.content().get("status"));
        System.out.printf("kernel start to first result: %.0f ms%n", startMs);
        assertFalse(kernel.log().contains("startup: skipped"), "every startup import resolves:\n" + kernel.log());
    }

    @AfterAll void stop() throws Exception {
        if (client != null) client.close();
        if (kernel != null) kernel.close();
    }

    private KernelClient.Msg exec(String code, List<KernelClient.Msg> iopubOut) throws Exception {
        String id = client.execute(code);
        KernelClient.Msg reply = client.reply(client.shell, id, T);
        if (iopubOut != null) iopubOut.addAll(client.iopubUntilIdle(id, T));
        return reply;
    }

    private static KernelClient.Msg first(List<KernelClient.Msg> msgs, String type) {
        return msgs.stream().filter(m -> m.type().equals(type)).findFirst()
                .orElseThrow(() -> new AssertionError("no " + type + " in " + msgs));
    }

    @Test @Order(1) void kernelInfoDescribesJava() throws Exception {
        String id = client.send(client.shell, "kernel_info_request", Map.of());
        KernelClient.Msg r = client.reply(client.shell, id, T);
        assertEquals("kernel_info_reply", r.type());
        Map<String, Object> li = r.map("language_info");
        assertEquals("java", li.get("name"));
        assertEquals(".java", li.get("file_extension"));
        assertEquals("text/x-java-source", li.get("mimetype"));
        assertEquals("java", li.get("pygments_lexer"));
        assertEquals(System.getProperty("java.version"), li.get("version"));
    }

    @Test @Order(2) void executeReturnsResultAndTimesRoundTrip() throws Exception {
        List<KernelClient.Msg> io = new java.util.ArrayList<>();
        KernelClient.Msg r = exec("int a = 20;\nint b = 22;\na + b", io);
        assertEquals("ok", r.content().get("status"));
        assertEquals("42", first(io, "execute_result").map("data").get("text/plain"));
        assertTrue(io.stream().anyMatch(m -> m.type().equals("execute_input")));
        // stdout of a cell arrives as a stream message
        io.clear();
        exec("System.out.println(\"hello from cell\")", io);
        assertTrue(io.stream().anyMatch(m -> m.type().equals("stream")
                && String.valueOf(m.content().get("text")).contains("hello from cell")), io.toString());
        // round trip of a trivial cell
        int n = 30;
        long[] ns = new long[n];
        for (int i = 0; i < n; i++) {
            long t0 = System.nanoTime();
            assertEquals("ok", exec("1", null).content().get("status"));
            ns[i] = System.nanoTime() - t0;
        }
        Arrays.sort(ns);
        System.out.printf("trivial cell round trip: median %.1f ms, p90 %.1f ms (n=%d)%n",
                ns[n / 2] / 1e6, ns[n * 9 / 10] / 1e6, n);
    }

    @Test @Order(3) void tablesRenderAsEscapedHtmlAndDisplaysUpdateInPlace() throws Exception {
        List<KernelClient.Msg> io = new java.util.ArrayList<>();
        KernelClient.Msg r = exec("""
                Table t = Table.create("scores", StringColumn.create("name", "<b>x</b>", "y & z"),
                                       DoubleColumn.create("rouge", 0.25, 0.5));
                String id = display(t);
                updateDisplay(id, "done");
                t""", io);
        assertEquals("ok", r.content().get("status"), r.content().toString());
        KernelClient.Msg shown = first(io, "display_data");
        String html = (String) shown.map("data").get("text/html");
        assertTrue(html.contains("&lt;b&gt;x&lt;/b&gt;") && html.contains("y &amp; z") && !html.contains("<b>x"), html);
        String displayId = (String) shown.map("transient").get("display_id");
        assertNotNull(displayId);
        KernelClient.Msg upd = first(io, "update_display_data");
        assertEquals(displayId, upd.map("transient").get("display_id"));
        assertEquals("done", upd.map("data").get("text/plain"));
        Map<String, Object> result = first(io, "execute_result").map("data");
        assertTrue(((String) result.get("text/html")).contains("<table"));
        assertTrue(((String) result.get("text/plain")).contains("rouge"));
    }

    @Test @Order(4) void errorsAreErrorRepliesAndLaterCellsRun() throws Exception {
        List<KernelClient.Msg> io = new java.util.ArrayList<>();
        KernelClient.Msg r = exec("int x = \"not a number\";", io);
        assertEquals("error", r.content().get("status"));
        assertEquals("CompilationException", r.content().get("ename"));
        assertTrue(String.valueOf(r.content().get("evalue")).contains("incompatible types"), r.content().toString());
        KernelClient.Msg err = first(io, "error");
        assertEquals("CompilationException", err.content().get("ename"));
        assertTrue(err.content().get("traceback") instanceof List<?> tb && !tb.isEmpty());

        r = exec("int zero = 0; 1 / zero", null);
        assertEquals("error", r.content().get("status"));
        assertEquals("ArithmeticException", r.content().get("ename"));

        r = exec("throw new IllegalStateException(\"boom\");", null);
        assertEquals("IllegalStateException", r.content().get("ename"));
        assertEquals("boom", r.content().get("evalue"));

        io.clear();
        r = exec("40 + 2", io);
        assertEquals("ok", r.content().get("status"));
        assertEquals("42", first(io, "execute_result").map("data").get("text/plain"));
    }

    @Test @Order(5) void completeInspectIsCompleteHistory() throws Exception {
        String id = client.send(client.shell, "complete_request", Map.of("code", "Math.ab", "cursor_pos", 7));
        KernelClient.Msg r = client.reply(client.shell, id, T);
        assertEquals("complete_reply", r.type());
        @SuppressWarnings("unchecked") List<String> matches = (List<String>) r.content().get("matches");
        assertTrue(matches.contains("abs("), matches.toString());
        assertEquals(5, ((Number) r.content().get("cursor_start")).intValue());
        assertEquals(7, ((Number) r.content().get("cursor_end")).intValue());

        // completion inside the second snippet of a cell, on a variable from an earlier cell
        assertEquals("ok", exec("String greeting = \"hi\";", null).content().get("status"));
        String code = "int q = 1;\ngreeting.toUpp";
        id = client.send(client.shell, "complete_request", Map.of("code", code, "cursor_pos", code.length()));
        r = client.reply(client.shell, id, T);
        @SuppressWarnings("unchecked") List<String> m2 = (List<String>) r.content().get("matches");
        assertTrue(m2.contains("toUpperCase("), m2.toString());
        assertEquals(code.indexOf("toUpp"), ((Number) r.content().get("cursor_start")).intValue());

        id = client.send(client.shell, "inspect_request", Map.of("code", "Math.abs(", "cursor_pos", 9, "detail_level", 0));
        r = client.reply(client.shell, id, T);
        assertEquals(true, r.content().get("found"), r.content().toString());
        assertTrue(String.valueOf(r.map("data").get("text/plain")).contains("abs("));

        id = client.send(client.shell, "is_complete_request", Map.of("code", "for (int i = 0; i < 3; i++) {"));
        assertEquals("incomplete", client.reply(client.shell, id, T).content().get("status"));
        id = client.send(client.shell, "is_complete_request", Map.of("code", "int y = 3;"));
        assertEquals("complete", client.reply(client.shell, id, T).content().get("status"));

        id = client.send(client.shell, "history_request",
                Map.of("output", false, "raw", true, "hist_access_type", "tail", "n", 3));
        r = client.reply(client.shell, id, T);
        assertEquals("history_reply", r.type());
        assertTrue(String.valueOf(r.content().get("history")).contains("40 + 2"), r.content().toString());
    }

    private long interruptAndCheck(String code, String expectedInValue) throws Exception {
        return interruptAndCheck(code, expectedInValue, null);
    }

    /** Runs {@code code}, interrupts it once it printed "tick", checks the error reply; returns ms from interrupt to reply. */
    private long interruptAndCheck(String code, String expectedInValue, List<KernelClient.Msg> iopub) throws Exception {
        String id = client.execute("System.out.println(\"tick\");\n" + code);
        long until = System.currentTimeMillis() + 15_000; // wait until the cell really runs
        while (System.currentTimeMillis() < until) {
            KernelClient.Msg m = client.recv(client.iopub, 100);
            if (m != null && id.equals(m.parentId()) && m.type().equals("stream")) break;
        }
        Thread.sleep(iopub == null ? 300 : 1_500);
        String iid = client.send(client.control, "interrupt_request", Map.of());
        assertEquals("interrupt_reply", client.reply(client.control, iid, T).type());
        long t0 = System.nanoTime();
        KernelClient.Msg r = client.reply(client.shell, id, T);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        System.out.printf("interrupt to error reply: %d ms (%s)%n", ms, expectedInValue);
        if (iopub != null) iopub.addAll(client.iopubUntilIdle(id, T));
        assertEquals("error", r.content().get("status"));
        assertEquals("CellInterruptedException", r.content().get("ename"), r.content().toString());
        // well before the kernel's 3 s "ignores the interrupt" warning: a safe point stopped it (no Thread.stop)
        assertTrue(ms < 2_500, expectedInValue + " took " + ms + " ms to stop");
        assertFalse(kernel.log().contains("ignored the interrupt"), kernel.log());
        KernelClient.Msg ok = exec("\"alive\"", null);
        assertEquals("ok", ok.content().get("status"));
        return ms;
    }

    @Test @Order(6) void interruptStopsSleepingLoopThenBusyLoop() throws Exception {
        interruptAndCheck("int steps = 0;\nwhile (true) { steps++; Thread.sleep(20); }", "sleeping loop");
        // a loop that never looks at its interrupt flag stops at the safe point compiled into its back-edge
        interruptAndCheck("long n = 0;\nwhile (n >= 0) { n = (n + 1) % 1000; }", "busy loop");
        // ... even when it swallows every exception
        interruptAndCheck("long m = 0;\nfor (;;) { try { m = (m + 1) % 7; } catch (Exception e) { } }", "busy loop catching Exception");
        // a method declared in an earlier cell has its safe points too
        assertEquals("ok", exec("void spin() { long k = 0; do { k = (k + 3) % 11; } while (k >= 0); }", null).content().get("status"));
        interruptAndCheck("spin();", "busy method from an earlier cell");
        // state defined before the interrupt is still usable
        List<KernelClient.Msg> io = new java.util.ArrayList<>();
        exec("steps > 0", io);
        assertEquals("true", first(io, "execute_result").map("data").get("text/plain"));
    }

    @Test @Order(7) void hostileMessagesAreDroppedAndKernelKeepsServing() throws Exception {
        byte[][] f = client.frames("bad-sig-1", "execute_request", Map.of("code", "1", "silent", false));
        // wrong signature, missing signature, no delimiter, too few frames, malformed JSON (signed), unknown type
        client.sendRaw(client.shell, List.of("<IDS|MSG>".getBytes(), "00ff".repeat(16).getBytes(), f[0], f[1], f[2], f[3]));
        client.sendRaw(client.shell, List.of("<IDS|MSG>".getBytes(), new byte[0], f[0], f[1], f[2], f[3]));
        client.sendRaw(client.shell, List.of("garbage".getBytes(), "more".getBytes()));
        client.sendRaw(client.shell, List.of("<IDS|MSG>".getBytes(), client.sign(f).getBytes(), f[0]));
        byte[] badJson = "{\"code\": ".getBytes(StandardCharsets.UTF_8);
        client.sendRaw(client.shell, List.of("<IDS|MSG>".getBytes(), client.sign(f[0], f[1], f[2], badJson).getBytes(), f[0], f[1], f[2], badJson));
        byte[][] unk = client.frames("unknown-1", "no_such_request", Map.of());
        client.sendRaw(client.shell, List.of("<IDS|MSG>".getBytes(), client.sign(unk).getBytes(), unk[0], unk[1], unk[2], unk[3]));
        client.sendRaw(client.control, List.of("<IDS|MSG>".getBytes(), "nope".getBytes(), f[0], f[1], f[2], f[3]));

        assertNull(client.recv(client.shell, 500), "a rejected message must get no reply");
        KernelClient.Msg r = exec("6 * 7", null);
        assertEquals("ok", r.content().get("status"));
        String iid = client.send(client.control, "kernel_info_request", Map.of());
        assertEquals("kernel_info_reply", client.reply(client.control, iid, T).type());
        String log = kernel.log();
        assertTrue(log.contains("bad signature") && log.contains("missing signature") && log.contains("malformed JSON")
                && log.contains("no <IDS|MSG> delimiter") && log.contains("unknown msg_type"), log);
        assertFalse(log.contains(conn.key()), "the HMAC key must never be logged");
        assertFalse(log.contains("00ff00ff"), "received signatures must not be logged");
    }


    /** A tiny T5 and 16 generated dialogues, built inside the kernel as a notebook cell would. */
    static final String TINY_SETUP = """
            List<Example> ex = new ArrayList<>();
            List<String> texts = new ArrayList<>(List.of(SUMMARIZE.apply("x")));
            for (var r : DialogueGenerator.generate("train", 16, 1)) {
                ex.add(new Example(r.fname(), r.dialogue(), r.summary(), r.topic()));
                texts.add(r.dialogue()); texts.add(r.summary());
            }
            var tok = new io.peft4j.tools.UnigramTrainer(io.peft4j.tools.UnigramTrainer.Options.of(300)).train(texts);
            var cfg = T5Config.fromJson(new com.fasterxml.jackson.databind.ObjectMapper().valueToTree(Map.of(
                "vocab_size", tok.vocabSize(), "d_model", 16, "d_kv", 8, "d_ff", 32, "num_layers", 1,
                "num_decoder_layers", 1, "num_heads", 2, "dropout_rate", 0.0, "feed_forward_proj", "gated-gelu")));
            var tiny = T5.of(io.peft4j.model.t5.T5Model.fromConfig(cfg, 1), tok, "tiny-t5");
            var data = Dataset.of("train", ex).withPrompt(SUMMARIZE);
            var opts = epochs(2).lr(1e-2).batchSize(4).maxLengths(64, 16);
            tiny""";

    private static List<KernelClient.Msg> ofType(List<KernelClient.Msg> msgs, String type) {
        return msgs.stream().filter(m -> m.type().equals(type)).toList();
    }

    @Test @Order(8) void trainingCellShowsOneLiveDisplayAndResultsRenderRichly() throws Exception {
        List<KernelClient.Msg> io = new java.util.ArrayList<>();
        KernelClient.Msg r = exec(TINY_SETUP, io);
        assertEquals("ok", r.content().get("status"), r.content().toString());
        assertTrue(String.valueOf(first(io, "execute_result").map("data").get("text/plain")).startsWith("T5[tiny-t5"));

        io.clear();
        r = exec("var lora = lora(tiny).on(\"attn.q\", \"attn.v\").rank(4).train(data, opts);\nlora", io);
        assertEquals("ok", r.content().get("status"), r.content().toString());
        List<KernelClient.Msg> shown = ofType(io, "display_data"), updates = ofType(io, "update_display_data");
        assertEquals(1, shown.size(), "one progress display per training run: " + io);
        String id = (String) shown.get(0).map("transient").get("display_id");
        assertNotNull(id);
        assertFalse(updates.isEmpty(), "the progress display is updated in place");
        for (KernelClient.Msg u : updates) assertEquals(id, u.map("transient").get("display_id"));
        String last = (String) updates.get(updates.size() - 1).map("data").get("text/plain");
        // 16 examples / batch 4 = 4 steps per epoch, 2 epochs
        assertTrue(last.contains("step 8/8") && last.contains("loss") && last.contains("tok/s") && last.contains("ETA"), last);
        assertTrue(last.contains("epoch 2/2 done") && last.contains("training "), last);
        assertTrue(((String) updates.get(updates.size() - 1).map("data").get("text/html")).contains("<progress"));
        Map<String, Object> result = first(io, "execute_result").map("data");
        String html = (String) result.get("text/html");
        assertTrue(html.contains("peft4j-result") && html.contains("LoRA r=4") && html.contains("trainable params: ")
                && html.contains("trained 8 steps"), html);

        // a second run gets its own display: the first cell's output is left alone
        io.clear();
        r = exec("var full = fullFineTune(tiny).train(data, opts.epochs(1));", io);
        assertEquals("ok", r.content().get("status"), r.content().toString());
        List<KernelClient.Msg> shown2 = ofType(io, "display_data");
        assertEquals(1, shown2.size(), io.toString());
        assertNotEquals(id, shown2.get(0).map("transient").get("display_id"));
        for (KernelClient.Msg u : ofType(io, "update_display_data")) assertNotEquals(id, u.map("transient").get("display_id"));

        io.clear();
        r = exec("lora.lossCurve()", io);
        assertEquals("ok", r.content().get("status"), r.content().toString());
        Map<String, Object> chart = first(io, "execute_result").map("data");
        byte[] png = java.util.Base64.getDecoder().decode((String) chart.get("image/png"));
        assertEquals((byte) 0x89, png[0]);
        assertEquals("PNG", new String(png, 1, 3, StandardCharsets.US_ASCII));
        assertTrue(((String) chart.get("image/svg+xml")).contains("<svg"), chart.toString());

        io.clear();
        r = exec("lora.adapter()", io);
        assertEquals("ok", r.content().get("status"), r.content().toString());
        String ahtml = (String) first(io, "execute_result").map("data").get("text/html");
        assertTrue(ahtml.contains("LoRA adapter") && ahtml.contains("tiny-t5"), ahtml);
    }

    @Test @Order(9) void generationAndRougeStopOnInterruptAndShowProgress() throws Exception {
        // runs after the training test: "lora" and "tiny" exist. Thousands of prompts: far longer than the wait.
        List<KernelClient.Msg> io = new java.util.ArrayList<>();
        long ms = interruptAndCheck("var outs = lora.generate(Collections.nCopies(20_000, \"#Person1#: hello there. #Person2#: hi.\"));",
                "generation", io);
        KernelClient.Msg err = io.stream().filter(m -> m.type().equals("error")).findFirst().orElseThrow();
        assertTrue(String.valueOf(err.content().get("evalue")).contains("generate interrupted"), err.content().toString());
        List<KernelClient.Msg> shown = ofType(io, "display_data");
        assertEquals(1, shown.size(), "one live progress display for the generation: " + io);
        String text = (String) shown.get(0).map("data").get("text/plain");
        assertTrue(text.startsWith("generate: ") && text.contains("/20000"), text);
        List<KernelClient.Msg> upd = ofType(io, "update_display_data");
        assertFalse(upd.isEmpty());
        assertTrue(((String) upd.get(upd.size() - 1).map("data").get("text/plain")).endsWith("interrupted"), upd.toString());

        io.clear();
        interruptAndCheck("""
                var refs = new ArrayList<String>(); var preds = new ArrayList<String>();
                for (int i = 0; i < 400_000; i++) { refs.add("the cat sat on the mat number " + i); preds.add("a cat sat on a mat " + i); }
                System.out.println("tick");
                new CorpusRouge().evaluateSingle(refs, preds)""", "ROUGE scoring", io);
        err = io.stream().filter(m -> m.type().equals("error")).findFirst().orElseThrow();
        assertTrue(String.valueOf(err.content().get("evalue")).contains("ROUGE interrupted"), err.content().toString());
    }

    @Test @Order(10) void magicsThroughTheProtocol() throws Exception {
        // %lsmagic lists every magic
        List<KernelClient.Msg> io = new java.util.ArrayList<>();
        assertEquals("ok", exec("%lsmagic", io).content().get("status"));
        String list = stdout(io);
        for (String m : List.of("%maven", "%classpath", "%jars", "%load", "%lsmagic", "%%time")) assertTrue(list.contains(m), list);

        // %%time prints CPU and wall time and keeps the cell's value
        io.clear();
        KernelClient.Msg r = exec("%%time\nThread.sleep(120);\n6 * 7", io);
        assertEquals("ok", r.content().get("status"), r.content().toString());
        assertEquals("42", first(io, "execute_result").map("data").get("text/plain"));
        java.util.regex.Matcher wall = java.util.regex.Pattern.compile("CPU time: .*, Wall time: ([0-9.]+) (ms|s)").matcher(stdout(io));
        assertTrue(wall.find(), stdout(io));
        double seconds = Double.parseDouble(wall.group(1)) / (wall.group(2).equals("ms") ? 1000 : 1);
        assertTrue(seconds >= 0.12 && seconds < 20, "wall " + seconds);
        // %%time anywhere but the first line is an error
        r = exec("int z = 1;\n%%time", null);
        assertEquals("error", r.content().get("status"));

        // %load runs a script's snippets; its definitions stay for later cells
        Path script = dir.resolve("helpers.jsh");
        java.nio.file.Files.writeString(script, "int triple(int x) { return 3 * x; }\nString loaded = \"yes\";\n");
        io.clear();
        r = exec("%load " + script + "\ntriple(14)", io);
        assertEquals("ok", r.content().get("status"), r.content().toString());
        assertEquals("42", first(io, "execute_result").map("data").get("text/plain"));
        io.clear();
        exec("loaded + triple(1)", io);
        assertEquals("yes3", first(io, "execute_result").map("data").get("text/plain"));
        r = exec("%load " + dir.resolve("missing.jsh"), null);
        assertEquals("MagicException", r.content().get("ename"));
        assertTrue(String.valueOf(r.content().get("evalue")).contains("no such file"), r.content().toString());

        // %maven resolves an artifact with its dependency from the local repository and the jars join the cells' class path
        io.clear();
        r = exec("%maven test.peft4j:hello:1.0\ntinyhello.Hello.greet(\"notebook\")", io);
        assertEquals("ok", r.content().get("status"), r.content().toString());
        assertEquals("hello from greeting, notebook", first(io, "execute_result").map("data").get("text/plain"));
        assertTrue(stdout(io).contains("%maven: added 2 jars") && stdout(io).contains("greeting-1.0.jar"), stdout(io));
        r = exec("%maven test.peft4j:nope:9.9", null);
        assertEquals("MagicException", r.content().get("ename"));
        assertTrue(String.valueOf(r.content().get("evalue")).contains("cannot resolve test.peft4j:nope:9.9"), r.content().toString());
        r = exec("%maven not-coordinates", null);
        assertEquals("MagicException", r.content().get("ename"));

        // %classpath / %jars with a folder of classes
        io.clear();
        r = exec("%jars " + mavenRepo.resolve("test/peft4j/greeting/1.0/*.jar") + "\ntinygreet.Greeting.word()", io);
        assertEquals("ok", r.content().get("status"), r.content().toString());
        assertTrue(stdout(io).contains("%classpath: added 1 entry"), stdout(io));

        r = exec("%nosuchmagic", null);
        assertEquals("MagicException", r.content().get("ename"));
        assertTrue(String.valueOf(r.content().get("evalue")).contains("known: %maven"), r.content().toString());
    }

    @Test @Order(11) void imagesAndJFreeChartsDisplayWithoutWrapping() throws Exception {
        List<KernelClient.Msg> io = new java.util.ArrayList<>();
        KernelClient.Msg r = exec("""
                var img = new java.awt.image.BufferedImage(40, 30, java.awt.image.BufferedImage.TYPE_INT_RGB);
                img.setRGB(3, 4, 0xff0000);
                img""", io);
        assertEquals("ok", r.content().get("status"), r.content().toString());
        Map<String, Object> data = first(io, "execute_result").map("data");
        var decoded = javax.imageio.ImageIO.read(new java.io.ByteArrayInputStream(java.util.Base64.getDecoder().decode((String) data.get("image/png"))));
        assertEquals(40, decoded.getWidth());
        assertEquals(0xff0000, decoded.getRGB(3, 4) & 0xffffff);
        assertEquals("image 40 x 30", data.get("text/plain"));

        io.clear();
        r = exec("""
                var ds = new org.jfree.data.category.DefaultCategoryDataset();
                ds.addValue(38.2, "ROUGE-1", "LoRA"); ds.addValue(39.0, "ROUGE-1", "full");
                org.jfree.chart.ChartFactory.createBarChart("ROUGE <by> method", "method", "score", ds)""", io);
        assertEquals("ok", r.content().get("status"), r.content().toString());
        data = first(io, "execute_result").map("data");
        byte[] png = java.util.Base64.getDecoder().decode((String) data.get("image/png"));
        assertEquals("PNG", new String(png, 1, 3, StandardCharsets.US_ASCII));
        String svg = (String) data.get("image/svg+xml");
        assertTrue(svg.contains("<svg") && svg.contains("ROUGE &lt;by&gt; method"), svg.substring(0, 200));
        assertEquals("chart: ROUGE <by> method", data.get("text/plain"));
    }

    private static String stdout(List<KernelClient.Msg> io) {
        StringBuilder sb = new StringBuilder();
        for (KernelClient.Msg m : io) if (m.type().equals("stream")) sb.append(m.content().get("text"));
        return sb.toString();
    }

    @Test @Order(9) void hubDownloadsReachTheKernelsLiveDisplay() throws Exception {
        // the kernel registered its DownloadDisplay with Peft.onDownload: hub downloads report to it, not to a terminal bar
        List<KernelClient.Msg> io = new java.util.ArrayList<>();
        KernelClient.Msg r = exec("""
            var ls = io.peft4j.hf.DownloadListeners.registered();
            var l = ls.get(0);
            l.onFileStart(new io.peft4j.hf.DownloadListener.Event("org/m", "main", "model.safetensors", 0, 2000000, 0, 0));
            l.onFileEnd(new io.peft4j.hf.DownloadListener.Event("org/m", "main", "model.safetensors", 2000000, 2000000, 0, 500000000L), "done");
            l.onEnd("org/m", "done");
            ls.size() + " " + l.getClass().getSimpleName()
            """, io);
        assertEquals("ok", r.content().get("status"), r.content().toString());
        assertEquals("1 DownloadDisplay", first(io, "execute_result").map("data").get("text/plain"));
        List<KernelClient.Msg> shown = ofType(io, "display_data"), updates = ofType(io, "update_display_data");
        assertEquals(1, shown.size(), io.toString());
        String last = (String) updates.get(updates.size() - 1).map("data").get("text/plain");
        assertTrue(last.startsWith("downloading org/m: done") && last.contains("model.safetensors  2.0 MB in 0.5 s"), last);
    }

    @Test @Order(99) void shutdownEndsTheProcess() throws Exception {
        String id = client.send(client.control, "shutdown_request", Map.of("restart", false));
        KernelClient.Msg r = client.reply(client.control, id, T);
        assertEquals("shutdown_reply", r.type());
        assertTrue(kernel.waitExit(15_000), "kernel did not exit after shutdown_request");
        assertEquals(0, kernel.process.exitValue());
    }
}
