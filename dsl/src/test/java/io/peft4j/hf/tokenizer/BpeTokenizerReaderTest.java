package io.peft4j.hf.tokenizer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.peft4j.hf.TextTokenizer;
import io.peft4j.hf.TokenizerFileException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.*;

/** What the reader takes from tokenizer.json and tokenizer_config.json, and how it refuses bad files. */
class BpeTokenizerReaderTest {
    static final ObjectMapper OM = new ObjectMapper();

    /** The valid base of the malformed corpus (make_malformed.py's {@code bpe}). */
    static ObjectNode base() throws Exception {
        return (ObjectNode) OM.readTree("""
            {"added_tokens": [{"id": 4, "content": "<s>", "special": true, "normalized": false}],
             "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false, "use_regex": true},
             "post_processor": {"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
                                "special_tokens": {"<s>": {"id": "<s>", "ids": [4], "tokens": ["<s>"]}}},
             "decoder": {"type": "ByteLevel"},
             "model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2, "\\u0120": 3}, "merges": ["a b"]}}""");
    }

    static TextTokenizer load(Path dir, ObjectNode json, String config) throws Exception {
        Files.writeString(dir.resolve("tokenizer.json"), OM.writeValueAsString(json));
        if (config != null) Files.writeString(dir.resolve("tokenizer_config.json"), config);
        else Files.deleteIfExists(dir.resolve("tokenizer_config.json"));
        return TextTokenizer.load(dir);
    }

    @Test void theCorpusBaseLoadsAndEncodes(@TempDir Path tmp) throws Exception {
        TextTokenizer t = load(tmp, base(), null);
        assertEquals("[4, 2, 3, 0, 4, 1, 1]", Arrays.toString(t.encode("ab a<s>bb")));
        assertEquals("[2, 3, 0, 4, 1, 1]", Arrays.toString(t.encode("ab a<s>bb", false)));
        assertEquals("<s>ab a<s>bb", t.decode(t.encode("ab a<s>bb"), false));
        assertEquals("ab abb", t.decode(t.encode("ab a<s>bb")));
        assertEquals("[2]", Arrays.toString(t.encode("abc?", false)), "characters outside the vocabulary, with no unk token, are dropped");
        assertEquals(5, t.vocabSize());
        assertEquals(-1, t.bosId());
        assertEquals(-1, t.unkId());
        assertTrue(t.isSpecial(4));
        assertFalse(t.isSpecial(2));
        assertEquals(4, t.tokenId("<s>").getAsInt());
        assertEquals("\u0120", t.idToPiece(3));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> t.decode(new int[]{0, 5}));
        assertTrue(e.getMessage().contains("5") && e.getMessage().contains("position 1"), e.getMessage());
    }

    @Test void errorsNameTheFileAndThePlace(@TempDir Path tmp) throws Exception {
        ObjectNode j = base();
        ((com.fasterxml.jackson.databind.node.ArrayNode) j.get("model").get("merges")).removeAll().add("a z");
        TokenizerFileException e = assertThrows(TokenizerFileException.class, () -> load(tmp, j, null));
        assertTrue(e.getMessage().contains("tokenizer.json") && e.getMessage().contains("merges[0]") && e.getMessage().contains("\"z\""), e.getMessage());
        ObjectNode k = base();
        k.putObject("pre_tokenizer").put("type", "Whitespace");
        e = assertThrows(TokenizerFileException.class, () -> load(tmp, k, null));
        assertTrue(e.getMessage().contains("pre_tokenizer.type \"Whitespace\" is not supported (supported: ByteLevel"), e.getMessage());
        e = assertThrows(TokenizerFileException.class, () -> load(tmp, base(), "{\"bos_token\": 7}"));
        assertTrue(e.getMessage().contains("tokenizer_config.json") && e.getMessage().contains("bos_token"), e.getMessage());
        e = assertThrows(TokenizerFileException.class, () -> load(tmp, base(), "{broken"));
        assertTrue(e.getMessage().contains("tokenizer_config.json") && e.getMessage().contains("JSON"), e.getMessage());
    }

    /** Checked against transformers 5.18 AutoTokenizer on the same files: [0, 1, 5, 0], ids 4/5/1, decodes 'ab</s>a' and 'aa'. */
    @Test void tokenizerConfigGivesSpecialsAsTransformersDoes(@TempDir Path tmp) throws Exception {
        ObjectNode j = base();
        j.putObject("post_processor").put("type", "ByteLevel");
        // <s> known; </s> in neither added tokens nor vocab: added with the next id; pad "b" only a vocabulary
        // entry: becomes an added special token, split out of text; add_*_token are ignored (tokenizer.json exists)
        TextTokenizer t = load(tmp, j, "{\"bos_token\": \"<s>\", \"eos_token\": \"</s>\", \"pad_token\": {\"content\": \"b\"},"
            + " \"add_bos_token\": true, \"add_eos_token\": true}");
        assertEquals(4, t.bosId());
        assertEquals(5, t.eosId());
        assertEquals(1, t.padId());
        assertEquals("[0, 1, 5, 0]", Arrays.toString(t.encode("ab</s>a")));
        assertEquals("ab</s>a", t.decode(t.encode("ab</s>a"), false));
        assertEquals("aa", t.decode(t.encode("ab</s>a")));
        assertEquals(List.of("bos_token", "eos_token", "pad_token"), t.specialTokens().keySet().stream().sorted().toList());
        // without the pad entry "ab" merges again
        assertEquals("[2, 5, 0]", Arrays.toString(load(tmp, j, "{\"eos_token\": \"</s>\"}").encode("ab</s>a")));
        // post_processor null: nothing is added
        ObjectNode n = base();
        n.putNull("post_processor");
        assertEquals("[2]", Arrays.toString(load(tmp, n, "{\"bos_token\": \"<s>\"}").encode("ab")));
    }

    /** Checked against transformers 5.18: [901, 259, 220, 903, 278, 902] and [901, 220, 87, 220, 904, 272, 902], 905 ids. */
    @Test void addedTokensDecoderFlagsWinAsInTransformers(@TempDir Path tmp) throws Exception {
        Path src = Path.of(getClass().getResource("/tokenizer/bpe/roberta").toURI());
        Files.copy(src.resolve("tokenizer.json"), tmp.resolve("tokenizer.json"));
        ObjectNode cfg = (ObjectNode) OM.readTree(src.resolve("tokenizer_config.json").toFile());
        ObjectNode atd = cfg.putObject("added_tokens_decoder");
        atd.putObject("903").put("content", "<mask>").put("lstrip", false).put("normalized", false).put("rstrip", false).put("single_word", false).put("special", true);
        atd.putObject("904").put("content", "[NEW]").put("lstrip", false).put("normalized", false).put("rstrip", true).put("single_word", false).put("special", false);
        Files.writeString(tmp.resolve("tokenizer_config.json"), OM.writeValueAsString(cfg));
        TextTokenizer t = TextTokenizer.load(tmp);
        assertEquals("[901, 259, 220, 903, 278, 902]", Arrays.toString(t.encode("a <mask> b")));
        assertEquals("[901, 220, 87, 220, 904, 272, 902]", Arrays.toString(t.encode("x [NEW]   y")));
        assertEquals(905, t.vocabSize());
        // without the override <mask> keeps its lstrip: the space before it goes with it
        assertEquals("[901, 259, 903, 278, 902]", Arrays.toString(TextTokenizer.load(src).encode("a <mask> b")));
        cfg.putObject("added_tokens_decoder").putObject("x").put("content", "y");
        Files.writeString(tmp.resolve("tokenizer_config.json"), OM.writeValueAsString(cfg));
        TokenizerFileException e = assertThrows(TokenizerFileException.class, () -> TextTokenizer.load(tmp));
        assertTrue(e.getMessage().contains("tokenizer_config.json") && e.getMessage().contains("added_tokens_decoder"), e.getMessage());
    }

    @Test void loneSurrogatesAreReplacementCharacters(@TempDir Path tmp) throws Exception {
        TextTokenizer t = load(tmp, base(), null);
        // U+FFFD is EF BF BD: three byte characters, none in this vocabulary, so nothing; but no exception
        assertArrayEquals(t.encode("a\uFFFDb", false), t.encode("a\uD800b", false));
    }

    @Test void runawayRegexesFromStrangersEndWithAnError(@TempDir Path tmp) throws Exception {
        ObjectNode j = base();
        ObjectNode split = j.putObject("pre_tokenizer");
        split.put("type", "Split").put("behavior", "Isolated").put("invert", false).putObject("pattern").put("Regex", "((a|b)*a){10}c");
        TextTokenizer t = load(tmp, j, null);
        assertEquals("[2]", Arrays.toString(t.encode("ab", false)));
        long saved = Regexes.guardNanos;
        Regexes.guardNanos = 200_000_000L;
        try {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> t.encode("a".repeat(40) + "!"));
            assertTrue(e.getMessage().contains("catastrophic backtracking"), e.getMessage());
        } finally {
            Regexes.guardNanos = saved;
        }
        assertTrue(Regexes.needsGuard(Regexes.compile("((a|b)*a){10}c")));
        assertFalse(Regexes.needsGuard(PreTokenizer.GPT2));
        assertFalse(Regexes.needsGuard(Regexes.compile("(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+")));
    }

    @Test void concurrentEncodingIsConsistent() throws Exception {
        TextTokenizer t = TextTokenizer.load(Path.of(getClass().getResource("/tokenizer/bpe/llama3").toURI()));
        List<String> texts = new ArrayList<>();
        for (String l : Files.readAllLines(Path.of(getClass().getResource("/tokenizer/bpe/texts.jsonl").toURI())))
            texts.add(OM.readTree(l).get("text").asText());
        List<int[]> expected = texts.stream().map(t::encode).toList();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<Boolean>> fs = new ArrayList<>();
            for (int k = 0; k < 4; k++) fs.add(pool.submit(() -> {
                for (int r = 0; r < 5; r++)
                    for (int i = texts.size() - 1; i >= 0; i--) if (!Arrays.equals(expected.get(i), t.encode(texts.get(i)))) return false;
                return true;
            }));
            for (Future<Boolean> f : fs) assertTrue(f.get());
        } finally {
            pool.shutdownNow();
        }
    }
}
