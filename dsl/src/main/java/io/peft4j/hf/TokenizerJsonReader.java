package io.peft4j.hf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import io.peft4j.hf.tokenizer.BpeTokenizerReader;

/**
 * Reads a Hugging Face {@code tokenizer.json} with a Unigram model into a
 * {@link SentencePieceTokenizer}: {@code model.vocab} ([piece, score] pairs), {@code model.unk_id},
 * the {@code Precompiled} normalizer's base64 {@code precompiled_charsmap} (top level or inside a
 * {@code Sequence}; absent, null or empty means identity normalization with whitespace folding),
 * and {@code added_tokens} (literal strings; special ones become control ids).
 * Pad and end-of-sequence are the pieces {@code <pad>} and {@code </s>}.
 */
final class TokenizerJsonReader {
    private TokenizerJsonReader() {}

    static SentencePieceTokenizer read(Path file) throws IOException {
        JsonNode root = readJson(file);
        try {
            return parse(root, file);
        } catch (IllegalArgumentException e) {
            throw new TokenizerFileException(file, e.getMessage(), e);
        }
    }

    /**
     * Reads a tokenizer.json of any supported model type: Unigram here, BPE through
     * {@link BpeTokenizerReader} (with {@code configFile}, tokenizer_config.json, where it exists).
     */
    static TextTokenizer readAny(Path file, Path configFile) throws IOException {
        JsonNode root = readJson(file);
        String type = root != null && root.isObject() ? root.path("model").path("type").asText("") : "";
        if (type.equals("BPE"))
            return BpeTokenizerReader.read(root, file, BpeTokenizerReader.readConfig(configFile), configFile);
        try {
            return parse(root, file);
        } catch (IllegalArgumentException e) {
            throw new TokenizerFileException(file, e.getMessage(), e);
        }
    }

    private static JsonNode readJson(Path file) throws IOException {
        try (var in = Files.newInputStream(file)) {
            return new ObjectMapper().readTree(in);
        } catch (NoSuchFileException e) {
            throw new TokenizerFileException(file, "file does not exist", e);
        } catch (IOException e) {
            throw new TokenizerFileException(file, "not valid JSON: " + firstLine(e.getMessage()), e);
        } catch (StackOverflowError e) {
            throw new TokenizerFileException(file, "JSON nested too deeply");
        }
    }

    private static String firstLine(String s) {
        if (s == null) return "";
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    static SentencePieceTokenizer parse(JsonNode root, Path file) {
        if (root == null || !root.isObject()) throw new IllegalArgumentException("top level is not a JSON object");
        JsonNode model = root.get("model");
        if (model == null || !model.isObject()) throw new IllegalArgumentException("missing \"model\" object");
        String type = model.path("type").asText("");
        if (!type.equals("Unigram"))
            throw new IllegalArgumentException("model.type is \"" + type + "\"; supported: \"Unigram\" (SentencePiece), \"BPE\"");
        JsonNode vocab = model.get("vocab");
        if (vocab == null || !vocab.isArray() || vocab.isEmpty())
            throw new IllegalArgumentException("model.vocab is missing or not a non-empty array of [piece, score]");
        int v = vocab.size();
        String[] pieces = new String[v];
        float[] scores = new float[v];
        PieceType[] types = new PieceType[v];
        for (int i = 0; i < v; i++) {
            JsonNode e = vocab.get(i);
            if (!e.isArray() || e.size() != 2 || !e.get(0).isTextual() || !e.get(1).isNumber())
                throw new IllegalArgumentException("model.vocab[" + i + "] is " + abbreviate(e.toString()) + ", expected [\"piece\", score]");
            pieces[i] = e.get(0).asText();
            scores[i] = (float) e.get(1).asDouble();
            types[i] = PieceType.NORMAL;
        }
        JsonNode unk = model.get("unk_id");
        if (unk == null || !unk.canConvertToInt()) throw new IllegalArgumentException("model.unk_id is missing; a Unigram tokenizer needs an unknown piece");
        int unkId = unk.asInt();
        if (unkId < 0 || unkId >= v) throw new IllegalArgumentException("model.unk_id " + unkId + " is outside the vocabulary [0, " + v + ")");
        types[unkId] = PieceType.UNKNOWN;
        if (model.path("byte_fallback").asBoolean(false))
            throw new IllegalArgumentException("model.byte_fallback true is not supported (T5 tokenizers have false)");

        List<SentencePieceTokenizer.AddedToken> addedTokens = new ArrayList<>();
        JsonNode at = root.get("added_tokens");
        if (at != null && at.isArray()) {
            for (int k = 0; k < at.size(); k++) {
                JsonNode a = at.get(k);
                if (!a.path("content").isTextual() || !a.path("id").canConvertToInt())
                    throw new IllegalArgumentException("added_tokens[" + k + "] needs \"id\" and \"content\"");
                int id = a.get("id").asInt();
                String content = a.get("content").asText();
                if (id < 0 || id >= v) throw new IllegalArgumentException("added_tokens[" + k + "] id " + id + " is outside the vocabulary [0, " + v + ")");
                if (!content.equals(pieces[id]))
                    throw new IllegalArgumentException("added_tokens[" + k + "] \"" + content + "\" has id " + id + " whose vocab piece is \"" + pieces[id] + "\"");
                if (a.path("special").asBoolean(false) && id != unkId) types[id] = PieceType.CONTROL;
                addedTokens.add(new SentencePieceTokenizer.AddedToken(content, id, a.path("lstrip").asBoolean(false), a.path("rstrip").asBoolean(false)));
            }
        }
        int eos = indexOf(pieces, "</s>");
        if (eos < 0) throw new IllegalArgumentException("vocabulary has no \"</s>\" piece (needed as end-of-sequence)");
        types[eos] = types[eos] == PieceType.NORMAL ? PieceType.CONTROL : types[eos];
        int pad = indexOf(pieces, "<pad>");
        if (pad >= 0 && types[pad] == PieceType.NORMAL) types[pad] = PieceType.CONTROL;

        byte[] charsMap = findCharsMap(root.get("normalizer"));
        return new SentencePieceTokenizer(pieces, scores, types, unkId, pad, eos, charsMap, addedTokens, file.toString());
    }

    private static byte[] findCharsMap(JsonNode normalizer) {
        if (normalizer == null || normalizer.isNull()) return null;
        String t = normalizer.path("type").asText("");
        if (t.equals("Precompiled")) {
            JsonNode cm = normalizer.get("precompiled_charsmap");
            if (cm == null || cm.isNull() || cm.asText().isEmpty()) return null;
            if (!cm.isTextual()) throw new IllegalArgumentException("normalizer precompiled_charsmap is not a base64 string");
            try {
                byte[] blob = Base64.getDecoder().decode(cm.asText());
                PrecompiledCharsMap.decode(blob); // validate now, with the file in the message
                return blob;
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("normalizer precompiled_charsmap is invalid: " + e.getMessage());
            }
        }
        if (t.equals("Sequence")) {
            for (JsonNode n : normalizer.path("normalizers")) {
                byte[] b = findCharsMap(n);
                if (b != null) return b;
            }
        }
        return null;
    }

    private static int indexOf(String[] a, String s) {
        for (int i = 0; i < a.length; i++) if (a[i].equals(s)) return i;
        return -1;
    }

    private static String abbreviate(String s) { return s.length() > 60 ? s.substring(0, 60) + "..." : s; }
}
