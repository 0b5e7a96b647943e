package io.peft4j.tools;

import io.peft4j.hf.SentencePieceTokenizer;
import io.peft4j.hf.SpmNormalizer;
import io.peft4j.hf.TextTokenizer;
import io.peft4j.hf.TokenizerJsonWriter;

import io.peft4j.tools.UnigramTrainer;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

class UnigramTrainerTest {
    static final String[] WORDS = ("the a person1 person2 said hello how are you i am fine thanks what about going to "
        + "the market tomorrow morning we need some apples and bread can't won't it's 42 dollars café naïve "
        + "summary dialogue talk about weather rain sunny cold hot meeting office boss project deadline").split(" ");
    static List<String> corpus;
    static SentencePieceTokenizer tok;
    static final UnigramTrainer.Options OPT = new UnigramTrainer.Options(400, 12, 4000, 2, 0.75, 100);

    @BeforeAll static void train() {
        Random rng = new Random(7);
        corpus = new ArrayList<>();
        String[] seps = {" ", " ", " ", "  ", "\n", "\t", "\u00a0"};
        for (int i = 0; i < 600; i++) {
            StringBuilder sb = new StringBuilder(rng.nextBoolean() ? "#Person1#: " : " #Person2#:\n");
            int n = 3 + rng.nextInt(15);
            for (int k = 0; k < n; k++) {
                String w = WORDS[rng.nextInt(WORDS.length)];
                sb.append(rng.nextInt(8) == 0 ? Character.toUpperCase(w.charAt(0)) + w.substring(1) : w);
                sb.append(k == n - 1 ? (rng.nextBoolean() ? "." : "?") : seps[rng.nextInt(seps.length)]);
            }
            corpus.add(sb.toString());
        }
        tok = new UnigramTrainer(OPT).train(corpus);
    }

    static String whitespaceNormalized(String s) {
        StringBuilder sb = new StringBuilder();
        boolean space = false;
        for (int cp : s.codePoints().toArray()) {
            if (SpmNormalizer.isFoldedSpace(cp)) { space = true; continue; }
            if (space && sb.length() > 0) sb.append(' ');
            space = false;
            sb.appendCodePoint(cp);
        }
        return sb.toString();
    }

    @Test void layoutLikeT5() {
        assertEquals(400, tok.vocabSize());
        assertEquals("<pad>", tok.idToPiece(0)); assertEquals("</s>", tok.idToPiece(1)); assertEquals("<unk>", tok.idToPiece(2));
        assertEquals(0, tok.padId()); assertEquals(1, tok.eosId()); assertEquals(2, tok.unkId());
        assertEquals("<extra_id_0>", tok.idToPiece(399));
        assertEquals("<extra_id_99>", tok.idToPiece(300));
        assertArrayEquals(new int[]{399, 1}, tok.encode("<extra_id_0>"));
        for (int i = 4; i < 300; i++) assertTrue(tok.score(i) <= tok.score(i - 1), "pieces sorted by score at " + i);
        assertFalse(tok.hasCharsMap());
    }

    @Test void roundTripAndIdsInRange() {
        long tokens = 0, chars = 0;
        for (String t : corpus) {
            int[] ids = tok.encode(t);
            for (int id : ids) assertTrue(id >= 0 && id < 300, "id " + id);
            assertEquals(1, ids[ids.length - 1]);
            for (int k = 0; k < ids.length - 1; k++) assertNotEquals(tok.unkId(), ids[k], "no unknown for training text");
            assertEquals(whitespaceNormalized(t), tok.decode(ids));
            tokens += ids.length - 1; chars += t.length();
        }
        assertTrue(chars > 2.5 * tokens, "the vocabulary compresses: " + chars + " chars, " + tokens + " tokens");
        // unseen character: one <unk>, round trip loses only it
        int[] ids = tok.encode("hello 我爱 world");
        assertEquals(1, java.util.Arrays.stream(ids).filter(i -> i == 2).count());
    }

    @Test void deterministicAndLoadableFromTokenizerJson(@TempDir Path tmp) throws IOException {
        SentencePieceTokenizer again = new UnigramTrainer(OPT).train(corpus);
        Path a = tmp.resolve("a/tokenizer.json"), b = tmp.resolve("b/tokenizer.json");
        TokenizerJsonWriter.write(tok, a);
        TokenizerJsonWriter.write(again, b);
        assertEquals(Files.readString(a), Files.readString(b));
        TextTokenizer loaded = TextTokenizer.load(a.getParent());
        for (String t : corpus.subList(0, 100)) assertArrayEquals(tok.encode(t), loaded.encode(t));
        for (int i = 0; i < tok.vocabSize(); i++) assertEquals(tok.idToPiece(i), loaded.idToPiece(i));
        try (var s = Files.list(a.getParent())) { assertEquals(1, s.count(), "no temp files left"); }
    }

    @Test void identityCharsMapInTokenizerJsonIsAccepted(@TempDir Path tmp) throws IOException {
        Path f = tmp.resolve("tokenizer.json");
        TokenizerJsonWriter.write(tok, f);
        String json = Files.readString(f).replace("\"normalizer\":{\"type\":\"Sequence\",\"normalizers\":[",
            "\"normalizer\":{\"type\":\"Sequence\",\"normalizers\":[{\"type\":\"Precompiled\",\"precompiled_charsmap\":null},");
        assertTrue(json.contains("Precompiled"));
        Files.writeString(f, json);
        TextTokenizer loaded = TextTokenizer.load(tmp);
        assertArrayEquals(tok.encode(corpus.get(0)), loaded.encode(corpus.get(0)));
    }

    @Test void optionsAreValidated() {
        assertThrows(IllegalArgumentException.class, () -> new UnigramTrainer.Options(50, 12, 100, 2, 0.75, 100));
        assertThrows(IllegalArgumentException.class, () -> new UnigramTrainer.Options(400, 12, 100, 2, 1.5, 100));
        assertThrows(IllegalArgumentException.class, () -> new UnigramTrainer(OPT).train(List.of("", " ")));
    }
}
