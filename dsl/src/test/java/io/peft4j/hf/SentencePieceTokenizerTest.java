package io.peft4j.hf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.peft4j.testutil.Shared;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** The genuine T5 tokenizer against SentencePiece 0.1.97's and Hugging Face's recorded outputs. */
class SentencePieceTokenizerTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static SentencePieceTokenizer fromJson, fromSpm;
    static List<JsonNode> examples;
    static Map<String, int[]> hfSpecial;

    @BeforeAll static void load() throws IOException {
        Path dir = Shared.require("models/t5-tokenizer");
        fromJson = TokenizerJsonReader.read(dir.resolve("tokenizer.json"));
        fromSpm = SpieceModelReader.read(dir.resolve("spiece.model"));
        examples = new ArrayList<>();
        for (String line : Files.readAllLines(dir.resolve("examples.jsonl"))) if (!line.isBlank()) examples.add(JSON.readTree(line));
        hfSpecial = new HashMap<>();
        for (String line : Files.readAllLines(dir.resolve("examples_hf_special.jsonl"))) {
            if (line.isBlank()) continue;
            JsonNode n = JSON.readTree(line);
            hfSpecial.put(n.get("text").asText(), ints(n.get("ids")));
        }
    }

    static int[] ints(JsonNode a) {
        int[] r = new int[a.size()];
        for (int i = 0; i < r.length; i++) r[i] = a.get(i).asInt();
        return r;
    }

    static int[] dropSpecial(int[] ids) {
        return Arrays.stream(ids).filter(i -> i > 2 && i < 32000).toArray();
    }

    @Test void examplesCoverTheSpecialRecords() {
        assertEquals(50, examples.size());
        assertEquals(5, hfSpecial.size());
        long covered = examples.stream().filter(e -> hfSpecial.containsKey(e.get("text").asText())).count();
        assertEquals(5, covered, "every HF special record is also an examples.jsonl record");
    }

    @Test void encodeReproducesEveryExampleFromTokenizerJson() { checkEncode(fromJson); }

    @Test void encodeReproducesEveryExampleFromSpieceModel() { checkEncode(fromSpm); }

    private void checkEncode(SentencePieceTokenizer tok) {
        List<String> failures = new ArrayList<>();
        for (JsonNode e : examples) {
            String text = e.get("text").asText();
            int[] expected = hfSpecial.getOrDefault(text, ints(e.get("ids")));
            int[] got = tok.encode(text);
            if (!Arrays.equals(expected, got))
                failures.add(JSON.valueToTree(text) + "\n  expected " + Arrays.toString(expected) + "\n  got      " + Arrays.toString(got));
        }
        for (Map.Entry<String, int[]> e : hfSpecial.entrySet())
            if (!Arrays.equals(e.getValue(), tok.encode(e.getKey())))
                failures.add("HF special " + e.getKey() + ": expected " + Arrays.toString(e.getValue()) + " got " + Arrays.toString(tok.encode(e.getKey())));
        assertTrue(failures.isEmpty(), failures.size() + " mismatches:\n" + String.join("\n", failures));
    }

    @Test void rawSentencePieceMatchesEveryRecordIncludingLiteralSpecials() {
        for (SentencePieceTokenizer tok : List.of(fromJson, fromSpm)) {
            for (JsonNode e : examples) {
                int[] raw = tok.encodeRaw(e.get("text").asText());
                int[] withEos = Arrays.copyOf(raw, raw.length + 1);
                withEos[raw.length] = 1;
                assertArrayEquals(ints(e.get("ids")), withEos, () -> "raw encode of " + e.get("text"));
            }
        }
    }

    @Test void piecesMatch() {
        for (JsonNode e : examples) {
            int[] ids = ints(e.get("ids"));
            JsonNode pieces = e.get("pieces");
            for (int i = 0; i < ids.length; i++) {
                assertEquals(pieces.get(i).asText(), fromJson.idToPiece(ids[i]));
                assertEquals(pieces.get(i).asText(), fromSpm.idToPiece(ids[i]));
            }
        }
    }

    @Test void decodeReproducesEveryExample() {
        for (JsonNode e : examples) {
            int[] ids = ints(e.get("ids"));
            String expected = e.get("decoded").asText();
            assertEquals(expected, fromJson.decode(ids), () -> "decode of " + e.get("text"));
            assertEquals(expected, fromSpm.decode(ids), () -> "spm decode of " + e.get("text"));
            assertEquals(expected, fromJson.decode(dropSpecial(ids)));
        }
    }

    @Test void bothLoadersAgreeOnVocabulary() {
        assertEquals(32100, fromJson.vocabSize());
        assertEquals(32100, fromSpm.vocabSize());
        for (int id = 0; id < 32100; id++) {
            assertEquals(fromSpm.idToPiece(id), fromJson.idToPiece(id), "piece " + id);
            assertEquals(fromSpm.score(id), fromJson.score(id), "score " + id);
            assertEquals(fromSpm.type(id), fromJson.type(id), "type " + id);
        }
        assertTrue(fromJson.hasCharsMap());
        assertTrue(fromSpm.hasCharsMap());
        assertEquals(0, fromJson.padId()); assertEquals(1, fromJson.eosId()); assertEquals(2, fromJson.unkId());
        assertEquals(0, fromSpm.padId()); assertEquals(1, fromSpm.eosId()); assertEquals(2, fromSpm.unkId());
    }

    @Test void documentedFacts() {
        assertArrayEquals(new int[]{21603, 10, 37, 1}, fromJson.encode("summarize: The"));
        assertEquals("<extra_id_0>", fromJson.idToPiece(32099));
        assertEquals("<extra_id_99>", fromSpm.idToPiece(32000));
        assertArrayEquals(new int[]{32099 - 42, 1}, fromSpm.encode("<extra_id_42>"));
        // an unknown <extra_id_100> is not special
        assertNotEquals(2, fromJson.encode("<extra_id_100>").length);
        assertEquals("Sum", fromJson.decode(new int[]{12198, 1, 0}));
    }

    @Test void decodeRejectsIdsOutsideTheVocabulary() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> fromJson.decode(new int[]{37, 32100}));
        assertTrue(e.getMessage().contains("32100") && e.getMessage().contains("position 1"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> fromJson.decode(new int[]{-1}));
    }

    @Test void loadPrefersTokenizerJsonAndFallsBackToSpieceModel(@org.junit.jupiter.api.io.TempDir Path tmp) throws IOException {
        Path dir = Shared.require("models/t5-tokenizer");
        TextTokenizer a = TextTokenizer.load(dir);
        assertTrue(a.toString().contains("tokenizer.json"), a.toString());
        Path only = Files.createDirectory(tmp.resolve("spm"));
        Files.createSymbolicLink(only.resolve("spiece.model"), dir.resolve("spiece.model").toAbsolutePath());
        TextTokenizer b = TextTokenizer.load(only);
        assertTrue(b.toString().contains("spiece.model"), b.toString());
        String text = "#Person1#: Hello </s> <extra_id_3> world ---- naïve";
        assertArrayEquals(a.encode(text), b.encode(text));
    }

    @Test void missingAndMalformedFilesNameTheFile(@org.junit.jupiter.api.io.TempDir Path tmp) throws IOException {
        TokenizerFileException e = assertThrows(TokenizerFileException.class, () -> TextTokenizer.load(tmp.resolve("nope")));
        assertTrue(e.getMessage().contains("nope"));
        e = assertThrows(TokenizerFileException.class, () -> TextTokenizer.load(tmp));
        assertTrue(e.getMessage().contains("tokenizer.json") && e.getMessage().contains("spiece.model"), e.getMessage());
        Files.writeString(tmp.resolve("tokenizer.json"), "{\"model\": {\"type\": \"BPE\"}}");
        e = assertThrows(TokenizerFileException.class, () -> TextTokenizer.load(tmp));
        assertTrue(e.getMessage().contains("tokenizer.json") && e.getMessage().contains("BPE"), e.getMessage());
        Files.writeString(tmp.resolve("tokenizer.json"), "{not json");
        e = assertThrows(TokenizerFileException.class, () -> TextTokenizer.load(tmp));
        assertTrue(e.getMessage().contains("tokenizer.json") && e.getMessage().contains("JSON"), e.getMessage());
        Path spmDir = Files.createDirectory(tmp.resolve("spm"));
        Files.write(spmDir.resolve("spiece.model"), new byte[]{10, (byte) 200, 1, 2});
        e = assertThrows(TokenizerFileException.class, () -> TextTokenizer.load(spmDir));
        assertTrue(e.getMessage().contains("spiece.model"), e.getMessage());
    }
}
