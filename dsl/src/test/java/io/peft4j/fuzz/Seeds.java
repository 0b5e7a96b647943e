package io.peft4j.fuzz;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.peft4j.hf.SafeTensors;
import io.peft4j.model.t5.T5Config;
import io.peft4j.model.t5.T5Model;
import io.peft4j.peft.AdapterIO;
import io.peft4j.peft.LoraConfig;
import io.peft4j.peft.LoraModel;
import org.nd4j.linalg.factory.Nd4j;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Valid files that the fuzzers mutate, all made here (nothing from ../shared): safetensors in the
 * three floating storage types plus an integer tensor, a tiny T5 folder (config.json +
 * model.safetensors), a LoRA adapter for it, a Unigram tokenizer.json and spiece.model with a
 * small hand-built precompiled charsmap, and DialogSum-style JSONL and CSV.
 */
final class Seeds {
    private Seeds() {}

    /** 1+1 layers, d 8, 2 heads, vocab 32: loads in milliseconds. */
    static final T5Config TINY = new T5Config(32, 8, 4, 16, 1, 1, 2, 8, 16, 0.0, 1e-6, "relu", "relu", false, true, 0, 1, 0, 1.0);

    /** Pieces: pad, eos, unk, then normal pieces. */
    static final String[] PIECES = {"<pad>", "</s>", "<unk>", "\u2581", "\u2581a", "a", "b", "c", "\u2581hello", "\u2581world",
        "h", "e", "l", "o", "w", "r", "d", "\u2581the"};
    static final int[] TYPES = {3, 3, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1};

    static final Path ROOT;
    static final byte[] SAFETENSORS_F32, SAFETENSORS_F16, SAFETENSORS_BF16;
    static final byte[] CONFIG_JSON, MODEL_SAFETENSORS, ADAPTER_CONFIG, ADAPTER_SAFETENSORS;
    static final byte[] TOKENIZER_JSON, SPIECE_MODEL, JSONL, CSV;
    /** Byte-level BPE (Llama 3 style: NFC, Split + ByteLevel, added tokens, BOS template) and SentencePiece-style BPE. */
    static final byte[] BPE_TOKENIZER_JSON, SPM_BPE_TOKENIZER_JSON;
    /** A chat template using loops, namespace, filters, string methods and slices. */
    static final byte[] CHAT_TEMPLATE = ("{%- set ns = namespace(n=messages|length - 1) -%}\n"
        + "{% for m in messages[::-1] %}{% if m.role == 'user' and m.content.startswith('h') %}{% set ns.n = loop.index0 %}{% endif %}{% endfor %}\n"
        + "{{ bos_token }}{% for m in messages %}<|{{ m['role'] }}|>\n{{ m.content | trim }}{% if not loop.last %}\n{% endif %}{% endfor %}\n"
        + "{% if add_generation_prompt %}<|assistant|>{{ ns.n }}{{ messages[0].content[1:3] }}{{ 'x' * 2 }}{{ {'a': [1, none]} | tojson }}{% endif %}")
        .getBytes(StandardCharsets.UTF_8);

    static {
        try {
            ROOT = Files.createTempDirectory("peft4j-fuzz-seeds");
            Map<String, org.nd4j.linalg.api.ndarray.INDArray> t = new LinkedHashMap<>();
            t.put("encoder.weight", Nd4j.linspace(-1, 1, 6).reshape(2, 3).castTo(org.nd4j.linalg.api.buffer.DataType.FLOAT));
            t.put("steps", Nd4j.createFromArray(1L, 2L, 3L, 4L));
            t.put("bias", Nd4j.createFromArray(0.5f, -2f, 3.25f, 7f).reshape(1, 2, 2));
            t.put("empty", Nd4j.create(org.nd4j.linalg.api.buffer.DataType.FLOAT, 0, 3));
            SAFETENSORS_F32 = st(t, SafeTensors.Dtype.F32);
            SAFETENSORS_F16 = st(t, SafeTensors.Dtype.F16);
            SAFETENSORS_BF16 = st(t, SafeTensors.Dtype.BF16);

            Path model = ROOT.resolve("model");
            T5Model m = T5Model.fromConfig(TINY, 7);
            m.save(model, SafeTensors.Dtype.F32);
            CONFIG_JSON = Files.readAllBytes(model.resolve("config.json"));
            MODEL_SAFETENSORS = Files.readAllBytes(model.resolve("model.safetensors"));

            Path adapter = ROOT.resolve("adapter");
            LoraModel<T5Model> lora = LoraModel.of(m, LoraConfig.of("q", "v").withRank(2), 3);
            AdapterIO.save(lora, adapter);
            ADAPTER_CONFIG = Files.readAllBytes(adapter.resolve(AdapterIO.CONFIG));
            ADAPTER_SAFETENSORS = Files.readAllBytes(adapter.resolve(AdapterIO.WEIGHTS));

            TOKENIZER_JSON = tokenizerJson();
            BPE_TOKENIZER_JSON = bpeTokenizerJson(true);
            SPM_BPE_TOKENIZER_JSON = bpeTokenizerJson(false);
            SPIECE_MODEL = spieceModel();
            JSONL = ("{\"id\": \"a1\", \"dialogue\": \"#Person1#: Hi.\\n#Person2#: Hello.\", \"summary\": \"They greet.\", \"topic\": \"greeting\"}\n"
                + "{\"fname\": \"b2\", \"dialogue\": \"A: 1 2 3\", \"summary1\": \"Counting.\", \"summary2\": \"Numbers.\", \"topic1\": \"math\"}\n"
                + "\n{\"dialogue\": \"\u00e9t\u00e9 \u2581\", \"summary\": \"x\"}\n").getBytes(StandardCharsets.UTF_8);
            CSV = ("id,dialogue,summary,topic\n"
                + "a1,\"#Person1#: Hi, you.\n#Person2#: Hello \"\"there\"\".\",They greet.,greeting\n"
                + "b2,A: 1 2 3,Counting.,math\n"
                + ",\u00e9t\u00e9,x,\n").getBytes(StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static byte[] st(Map<String, org.nd4j.linalg.api.ndarray.INDArray> t, SafeTensors.Dtype d) throws IOException {
        Path p = ROOT.resolve("seed-" + d + ".safetensors");
        SafeTensors.write(p, t, Map.of("format", "pt"), d);
        return Files.readAllBytes(p);
    }

    static float score(int i) { return i < 3 ? 0f : -1f - 0.5f * i; }

    /**
     * A precompiled charsmap (darts-clone double array) with one rule, 'A' -> "a": root offset 1,
     * the unit for 'A' at 1 ^ 0x41 = 64 with a leaf at 64 ^ 1 = 65 whose value is offset 0 of "a\0".
     */
    static byte[] charsMap() {
        int[] units = new int[66];
        units[0] = 1 << 10;
        units[64] = (1 << 10) | (1 << 8) | 0x41;
        units[65] = 0;
        ByteBuffer b = ByteBuffer.allocate(4 + units.length * 4 + 2).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(units.length * 4);
        for (int u : units) b.putInt(u);
        b.put((byte) 'a').put((byte) 0);
        return b.array();
    }

    private static byte[] tokenizerJson() throws IOException {
        ObjectMapper om = new ObjectMapper();
        ObjectNode root = om.createObjectNode();
        root.put("version", "1.0");
        ArrayNode added = root.putArray("added_tokens");
        for (int i = 0; i < 3; i++) added.addObject().put("id", i).put("content", PIECES[i]).put("special", true)
            .put("lstrip", false).put("rstrip", false);
        ObjectNode norm = root.putObject("normalizer");
        norm.put("type", "Sequence");
        norm.putArray("normalizers").addObject().put("type", "Precompiled")
            .put("precompiled_charsmap", Base64.getEncoder().encodeToString(charsMap()));
        ObjectNode model = root.putObject("model");
        model.put("type", "Unigram");
        model.put("unk_id", 2);
        ArrayNode vocab = model.putArray("vocab");
        for (int i = 0; i < PIECES.length; i++) vocab.addArray().add(PIECES[i]).add(score(i));
        model.put("byte_fallback", false);
        return om.writerWithDefaultPrettyPrinter().writeValueAsBytes(root);
    }

    /** A small BPE tokenizer.json: byte-level (bytes as characters) or SentencePiece-style (with <0xNN> pieces). */
    private static byte[] bpeTokenizerJson(boolean byteLevel) throws IOException {
        ObjectMapper om = new ObjectMapper();
        ObjectNode root = om.createObjectNode();
        root.put("version", "1.0");
        ObjectNode model = om.createObjectNode();
        model.put("type", "BPE");
        ObjectNode vocab = model.putObject("vocab");
        ArrayNode merges = model.putArray("merges");
        int id = 0;
        ArrayNode added = root.putArray("added_tokens");
        if (byteLevel) {
            for (int b = 0; b < 256; b++) vocab.put(String.valueOf(io.peft4j.hf.tokenizer.ByteLevel.charOf(b)), id++);
            String[][] ms = {{"h", "e"}, {"\u0120", "t"}, {"\u0120t", "he"}, {"l", "l"}, {"he", "ll"}, {"hell", "o"}};
            for (String[] m : ms) { vocab.put(m[0] + m[1], id++); merges.addArray().add(m[0]).add(m[1]); }
            model.put("ignore_merges", true);
            root.putObject("normalizer").put("type", "NFC");
            ObjectNode pre = root.putObject("pre_tokenizer");
            pre.put("type", "Sequence");
            ArrayNode steps = pre.putArray("pretokenizers");
            steps.addObject().put("type", "Split").put("behavior", "Isolated").put("invert", false)
                .putObject("pattern").put("Regex", "(?i:'s|'t)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+");
            steps.addObject().put("type", "ByteLevel").put("add_prefix_space", false).put("use_regex", false);
            root.putObject("decoder").put("type", "ByteLevel");
            for (String t : List.of("<|begin_of_text|>", "<|eot_id|>"))
                added.addObject().put("id", id++).put("content", t).put("special", true).put("normalized", false);
            added.addObject().put("id", id++).put("content", "[X]").put("special", false).put("normalized", true).put("single_word", true).put("rstrip", true);
        } else {
            for (String t : List.of("<unk>", "<s>", "</s>")) {
                added.addObject().put("id", id).put("content", t).put("special", true).put("normalized", false);
                vocab.put(t, id++);
            }
            for (int b = 0; b < 256; b++) vocab.put(String.format("<0x%02X>", b), id++);
            for (String t : List.of("\u2581", "h", "e", "l", "o", "\u2581h", "el", "\u2581hel", "lo")) vocab.put(t, id++);
            String[][] ms = {{"\u2581", "h"}, {"e", "l"}, {"\u2581h", "el"}, {"l", "o"}};
            for (String[] m : ms) merges.add(m[0] + " " + m[1]);
            model.put("unk_token", "<unk>").put("byte_fallback", true).put("fuse_unk", true);
            ObjectNode norm = root.putObject("normalizer");
            norm.put("type", "Sequence");
            ArrayNode ns = norm.putArray("normalizers");
            ns.addObject().put("type", "Prepend").put("prepend", "\u2581");
            ns.addObject().put("type", "Replace").put("content", "\u2581").putObject("pattern").put("String", " ");
            ObjectNode dec = root.putObject("decoder");
            dec.put("type", "Sequence");
            ArrayNode ds = dec.putArray("decoders");
            ds.addObject().put("type", "Replace").put("content", " ").putObject("pattern").put("String", "\u2581");
            ds.addObject().put("type", "ByteFallback");
            ds.addObject().put("type", "Fuse");
            ds.addObject().put("type", "Strip").put("content", " ").put("start", 1).put("stop", 0);
        }
        ObjectNode post = root.putObject("post_processor");
        String bos = byteLevel ? "<|begin_of_text|>" : "<s>";
        post.put("type", "TemplateProcessing");
        ArrayNode single = post.putArray("single");
        single.addObject().putObject("SpecialToken").put("id", bos).put("type_id", 0);
        single.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
        ObjectNode st = post.putObject("special_tokens").putObject(bos);
        st.put("id", bos);
        st.putArray("ids").add(byteLevel ? 262 : 1);
        st.putArray("tokens").add(bos);
        root.set("model", model);
        return om.writerWithDefaultPrettyPrinter().writeValueAsBytes(root);
    }

    private static byte[] spieceModel() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < PIECES.length; i++) {
            ByteArrayOutputStream p = new ByteArrayOutputStream();
            bytesField(p, 1, PIECES[i].getBytes(StandardCharsets.UTF_8));
            tag(p, 2, 5);
            int s = Float.floatToIntBits(score(i));
            for (int k = 0; k < 4; k++) p.write(s >>> (8 * k));
            tag(p, 3, 0); varint(p, TYPES[i]);
            bytesField(out, 1, p.toByteArray());
        }
        ByteArrayOutputStream ts = new ByteArrayOutputStream();
        tag(ts, 3, 0); varint(ts, 1);
        tag(ts, 40, 0); varint(ts, 2);
        tag(ts, 41, 0); varint(ts, -1);
        tag(ts, 42, 0); varint(ts, 1);
        tag(ts, 43, 0); varint(ts, 0);
        bytesField(out, 2, ts.toByteArray());
        ByteArrayOutputStream ns = new ByteArrayOutputStream();
        bytesField(ns, 1, "nmt_nfkc".getBytes(StandardCharsets.UTF_8));
        bytesField(ns, 2, charsMap());
        tag(ns, 3, 0); varint(ns, 1);
        tag(ns, 4, 0); varint(ns, 1);
        tag(ns, 5, 0); varint(ns, 1);
        bytesField(out, 3, ns.toByteArray());
        return out.toByteArray();
    }

    private static void tag(ByteArrayOutputStream o, int field, int wire) { varint(o, (long) field << 3 | wire); }
    private static void varint(ByteArrayOutputStream o, long v) {
        while ((v & ~0x7FL) != 0) { o.write((int) ((v & 0x7F) | 0x80)); v >>>= 7; }
        o.write((int) v);
    }
    private static void bytesField(ByteArrayOutputStream o, int field, byte[] b) {
        tag(o, field, 2); varint(o, b.length); o.writeBytes(b);
    }

    /** A fresh empty folder under the seed root. */
    static Path freshDir(String name) {
        try {
            Path d = ROOT.resolve(name);
            if (Files.isDirectory(d)) try (var s = Files.list(d)) { for (Path p : s.toList()) Files.delete(p); }
            return Files.createDirectories(d);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
