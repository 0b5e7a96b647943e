package io.peft4j.hf.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import io.peft4j.hf.TokenizerFileException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Reads a {@code tokenizer.json} whose model is BPE into a {@link BpeTokenizer}, with what
 * transformers' {@code AutoTokenizer} takes from {@code tokenizer_config.json} beside it.
 *
 * <h2>tokenizer.json</h2>
 * {@code model} (BPE: {@code vocab}, {@code merges} as {@code "a b"} strings or {@code [a, b]}
 * pairs, {@code unk_token}, {@code fuse_unk}, {@code byte_fallback}, {@code ignore_merges},
 * {@code continuing_subword_prefix}, {@code end_of_word_suffix}; {@code dropout} must be null or 0),
 * {@code added_tokens}, and the pipeline:
 * <ul>
 *   <li>normalizer: NFC, NFD, NFKC, NFKD, Lowercase, Prepend, Replace, Strip, StripAccents,
 *       ByteLevel, Sequence;</li>
 *   <li>pre_tokenizer: ByteLevel, Split, Metaspace, Digits, Sequence;</li>
 *   <li>post_processor: TemplateProcessing, RobertaProcessing, BertProcessing, ByteLevel, Sequence;</li>
 *   <li>decoder: ByteLevel, Metaspace, Replace, ByteFallback, Fuse, Strip, Sequence.</li>
 * </ul>
 * Other component types are refused with a message naming them (never silently skipped).
 *
 * <h2>tokenizer_config.json (optional)</h2>
 * As transformers 5's {@code TokenizersBackend}: the named special tokens ({@code bos_token},
 * {@code eos_token}, ... as strings or {@code {"content": ...}}) give {@link BpeTokenizer#bosId()}
 * etc., and those not yet among the added tokens are added as special tokens (so a named token that
 * is only a vocabulary entry becomes one id wherever it appears in text, and decode skips it);
 * entries of {@code added_tokens_decoder} that are new or whose flags differ from tokenizer.json's
 * are added first (their flags win), as transformers does.
 * {@code add_bos_token} / {@code add_eos_token} are ignored: transformers 5 drops them when a
 * {@code tokenizer.json} exists, so the file's post-processor alone decides the special tokens.
 *
 * <p>Every problem is a {@link TokenizerFileException} naming the file and the JSON path.
 */
public final class BpeTokenizerReader {
    private BpeTokenizerReader() {}

    /** The named special tokens transformers knows, in its order. */
    public static final List<String> SPECIAL_TOKEN_NAMES =
        List.of("bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token");

    /**
     * @param root   the parsed {@code tokenizer.json}
     * @param file   its path (for messages)
     * @param config the parsed {@code tokenizer_config.json}, or null
     * @param configFile its path (for messages), or null
     */
    public static BpeTokenizer read(JsonNode root, Path file, JsonNode config, Path configFile) throws TokenizerFileException {
        Map<String, String> specials;
        List<AddedVocabulary.Token> decoderTokens;
        try {
            specials = config == null ? Map.of() : specialTokens(config);
            decoderTokens = config == null ? List.of() : addedTokensDecoder(config.get("added_tokens_decoder"), specials);
        } catch (IllegalArgumentException e) {
            throw new TokenizerFileException(configFile, e.getMessage(), e);
        }
        try {
            return build(root, file, config, specials, decoderTokens);
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw new TokenizerFileException(file, e.getMessage(), e);
        } catch (StackOverflowError e) {
            throw new TokenizerFileException(file, "components nested too deeply");
        }
    }

    /** Reads {@code tokenizer_config.json} of a folder, or null where there is none. */
    public static JsonNode readConfig(Path configFile) throws TokenizerFileException {
        if (!Files.exists(configFile)) return null;
        JsonNode n;
        try {
            n = Json.MAPPER.readTree(Files.newInputStream(configFile));
        } catch (IOException e) {
            throw new TokenizerFileException(configFile, "not valid JSON: " + Json.firstLine(e.getMessage()), e);
        }
        if (n == null || !n.isObject()) throw new TokenizerFileException(configFile, "top level is not a JSON object");
        return n;
    }

    private static BpeTokenizer build(JsonNode root, Path file, JsonNode config, Map<String, String> specials,
                                      List<AddedVocabulary.Token> decoderTokens) {
        JsonNode model = root.get("model");
        BpeModel bpe = model(model);
        Normalizer normalizer = normalizer(root.get("normalizer"), "normalizer", 0);

        AddedVocabulary added = new AddedVocabulary();
        List<AddedVocabulary.Token> tokens = new ArrayList<>();
        JsonNode at = root.get("added_tokens");
        if (at != null && !at.isNull()) {
            if (!at.isArray()) throw new IllegalArgumentException("added_tokens is not an array");
            for (int k = 0; k < at.size(); k++) {
                JsonNode a = at.get(k);
                String where = "added_tokens[" + k + "]";
                if (!a.isObject() || !a.path("content").isTextual())
                    throw new IllegalArgumentException(where + " needs a string \"content\"");
                if (a.has("id") && !a.get("id").canConvertToInt())
                    throw new IllegalArgumentException(where + ".id is not an integer: " + Json.abbreviate(a.get("id").toString()));
                tokens.add(new AddedVocabulary.Token(a.get("content").asText(), bool(a, "single_word", false, where),
                    bool(a, "lstrip", false, where), bool(a, "rstrip", false, where), bool(a, "normalized", true, where),
                    bool(a, "special", false, where)));
            }
        }
        added.add(tokens, bpe, normalizer);
        List<AddedVocabulary.Token> extra = new ArrayList<>();
        if (config != null) {
            // transformers re-adds the added_tokens_decoder entries that differ from tokenizer.json (their flags win) ...
            List<AddedVocabulary.Token> changed = new ArrayList<>();
            for (AddedVocabulary.Token t : decoderTokens) {
                int id = added.id(t.content());
                if (id < 0 || !t.equals(added.get(id))) changed.add(t);
            }
            if (!changed.isEmpty()) added.add(changed, bpe, normalizer);
            // ... then adds the named special tokens it does not know yet
            for (String name : SPECIAL_TOKEN_NAMES) {
                String s = specials.get(name);
                if (s != null && added.id(s) < 0) extra.add(configToken(config.get(name), s));
            }
            for (String key : List.of("additional_special_tokens", "extra_special_tokens")) {
                JsonNode list = config.get(key);
                if (list == null || !list.isArray()) continue;
                for (JsonNode e : list) {
                    String s = e.isTextual() ? e.asText() : e.path("content").asText("");
                    if (!s.isEmpty() && added.id(s) < 0) extra.add(configToken(e, s));
                }
            }
        }
        if (!extra.isEmpty()) added.add(extra, bpe, normalizer);

        PreTokenizer pre = preTokenizer(root.get("pre_tokenizer"), "pre_tokenizer", 0);
        JsonNode pp = root.get("post_processor");
        PostProcessor post = postProcessor(pp, "post_processor", 0, added, bpe);
        int limit = Math.max(bpe.idLimit(), added.maxId() + 1);
        if (post != null && post.maxId() >= limit)
            throw new IllegalArgumentException("post_processor adds id " + post.maxId() + ", outside the vocabulary [0, " + limit + ")");
        Decoder decoder = decoder(root.get("decoder"), "decoder", 0);
        return new BpeTokenizer(bpe, added, normalizer, pre, post, decoder, specials, file.toString());
    }

    /** tokenizer_config.json's added_tokens_decoder ({"id": {"content", flags}}), in id order; named tokens are special. */
    private static List<AddedVocabulary.Token> addedTokensDecoder(JsonNode atd, Map<String, String> specials) {
        List<AddedVocabulary.Token> out = new ArrayList<>();
        if (atd == null || !atd.isObject()) return out;
        java.util.TreeMap<Long, JsonNode> byId = new java.util.TreeMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = atd.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            try {
                byId.put(Long.parseLong(e.getKey()), e.getValue());
            } catch (NumberFormatException ex) {
                throw new IllegalArgumentException("added_tokens_decoder key \"" + Json.abbreviate(e.getKey()) + "\" is not an integer id");
            }
        }
        for (Map.Entry<Long, JsonNode> e : byId.entrySet()) {
            JsonNode t = e.getValue();
            if (!t.isObject() || !t.path("content").isTextual() || t.get("content").asText().isEmpty())
                throw new IllegalArgumentException("added_tokens_decoder[\"" + e.getKey() + "\"] needs a non-empty string \"content\"");
            String content = t.get("content").asText();
            boolean special = t.path("special").asBoolean(false) || specials.containsValue(content);
            out.add(new AddedVocabulary.Token(content, t.path("single_word").asBoolean(false), t.path("lstrip").asBoolean(false),
                t.path("rstrip").asBoolean(false), t.has("normalized") ? t.get("normalized").asBoolean() : !special, special));
        }
        return out;
    }

    private static int idOf(String token, AddedVocabulary added, BpeModel bpe) {
        if (token == null) return -1;
        int id = added.id(token);
        return id >= 0 ? id : bpe.id(token);
    }

    private static AddedVocabulary.Token configToken(JsonNode n, String content) {
        if (n != null && n.isObject())
            return new AddedVocabulary.Token(content, n.path("single_word").asBoolean(false), n.path("lstrip").asBoolean(false),
                n.path("rstrip").asBoolean(false), n.path("normalized").asBoolean(false), true);
        return new AddedVocabulary.Token(content, false, false, false, false, true);
    }

    /**
     * The named special tokens of a tokenizer_config.json that are set (strings or
     * {@code {"content": ...}}), by name ({@code bos_token} -> {@code "<s>"}).
     *
     * @throws IllegalArgumentException naming the entry that is neither
     */
    public static Map<String, String> specialTokenStrings(JsonNode config) { return specialTokens(config); }

    static Map<String, String> specialTokens(JsonNode config) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String name : SPECIAL_TOKEN_NAMES) {
            JsonNode v = config.get(name);
            if (v == null || v.isNull()) continue;
            if (v.isTextual()) out.put(name, v.asText());
            else if (v.isObject() && v.path("content").isTextual()) out.put(name, v.get("content").asText());
            else throw new IllegalArgumentException(name + " is " + Json.abbreviate(v.toString()) + ", expected a string or {\"content\": \"...\"}");
        }
        return out;
    }

    // ---- model ----------------------------------------------------------------------------------

    private static BpeModel model(JsonNode model) {
        if (model == null || !model.isObject()) throw new IllegalArgumentException("missing \"model\" object");
        JsonNode vocab = model.get("vocab");
        if (vocab == null || !vocab.isObject())
            throw new IllegalArgumentException("BPE model: model.vocab is " + (vocab == null ? "missing" : Json.abbreviate(vocab.toString()))
                + "; expected an object {\"token\": id}");
        Map<String, Integer> v = new HashMap<>(vocab.size() * 2);
        for (Iterator<Map.Entry<String, JsonNode>> it = vocab.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode id = e.getValue();
            if (!id.isIntegralNumber() || !id.canConvertToInt() || id.asInt() < 0)
                throw new IllegalArgumentException("BPE model: model.vocab[\"" + Json.abbreviate(e.getKey()) + "\"] is " + Json.abbreviate(id.toString())
                    + "; expected a non-negative integer id");
            if (id.asInt() > 10_000_000)
                throw new IllegalArgumentException("BPE model: model.vocab[\"" + Json.abbreviate(e.getKey()) + "\"] id " + id.asInt() + " is implausibly large (limit 10,000,000)");
            v.put(e.getKey(), id.asInt());
        }
        JsonNode merges = model.get("merges");
        if (merges == null || !merges.isArray())
            throw new IllegalArgumentException("BPE model: model.merges is " + (merges == null ? "missing" : "not an array")
                + "; expected [\"a b\", ...] or [[\"a\", \"b\"], ...]");
        List<BpeModel.Merge> ms = new ArrayList<>(merges.size());
        for (int i = 0; i < merges.size(); i++) {
            JsonNode m = merges.get(i);
            if (m.isTextual()) {
                String line = m.asText();
                if (line.startsWith("#version")) continue;
                String[] parts = line.split(" ", -1);
                if (parts.length != 2)
                    throw new IllegalArgumentException("BPE model: model.merges[" + i + "] \"" + Json.abbreviate(line) + "\" is not two tokens separated by one space");
                ms.add(new BpeModel.Merge(parts[0], parts[1]));
            } else if (m.isArray() && m.size() == 2 && m.get(0).isTextual() && m.get(1).isTextual()) {
                ms.add(new BpeModel.Merge(m.get(0).asText(), m.get(1).asText()));
            } else {
                throw new IllegalArgumentException("BPE model: model.merges[" + i + "] is " + Json.abbreviate(m.toString()) + "; expected \"a b\" or [\"a\", \"b\"]");
            }
        }
        JsonNode dropout = model.get("dropout");
        if (dropout != null && !dropout.isNull() && (!dropout.isNumber() || dropout.asDouble() != 0.0))
            throw new IllegalArgumentException("BPE model: model.dropout " + Json.abbreviate(dropout.toString())
                + " is not supported (encoding would be random); expected null or 0");
        String where = "model";
        try {
            return new BpeModel(v, ms, optString(model, "unk_token", where), bool(model, "fuse_unk", false, where),
                bool(model, "byte_fallback", false, where), bool(model, "ignore_merges", false, where),
                optString(model, "continuing_subword_prefix", where), optString(model, "end_of_word_suffix", where));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("BPE model: " + e.getMessage(), e);
        }
    }

    // ---- pipeline components ------------------------------------------------------------------------

    private static final int MAX_DEPTH = 16;

    private static String type(JsonNode n, String where, int depth) {
        if (depth > MAX_DEPTH) throw new IllegalArgumentException(where + " is nested more than " + MAX_DEPTH + " levels deep");
        if (!n.isObject() || !n.path("type").isTextual()) throw new IllegalArgumentException(where + " has no \"type\"");
        return n.get("type").asText();
    }

    private static Normalizer normalizer(JsonNode n, String where, int depth) {
        if (n == null || n.isNull()) return null;
        String type = type(n, where, depth);
        return switch (type) {
            case "NFC" -> new Normalizer.Unicode(java.text.Normalizer.Form.NFC);
            case "NFD" -> new Normalizer.Unicode(java.text.Normalizer.Form.NFD);
            case "NFKC" -> new Normalizer.Unicode(java.text.Normalizer.Form.NFKC);
            case "NFKD" -> new Normalizer.Unicode(java.text.Normalizer.Form.NFKD);
            case "Lowercase" -> new Normalizer.Lowercase();
            case "StripAccents" -> new Normalizer.StripAccents();
            case "ByteLevel" -> new Normalizer.Bytes();
            case "Prepend" -> new Normalizer.Prepend(string(n, "prepend", where));
            case "Replace" -> new Normalizer.Replace(pattern(n, where), string(n, "content", where));
            case "Strip" -> new Normalizer.Strip(bool(n, "strip_left", false, where), bool(n, "strip_right", false, where));
            case "Sequence" -> {
                JsonNode list = array(n, "normalizers", where);
                List<Normalizer> steps = new ArrayList<>();
                for (int i = 0; i < list.size(); i++) {
                    Normalizer s = normalizer(list.get(i), where + ".normalizers[" + i + "]", depth + 1);
                    if (s != null) steps.add(s);
                }
                yield new Normalizer.Sequence(steps);
            }
            default -> throw unsupported(where, type, "NFC, NFD, NFKC, NFKD, Lowercase, Prepend, Replace, Strip, StripAccents, ByteLevel, Sequence");
        };
    }

    private static PreTokenizer preTokenizer(JsonNode n, String where, int depth) {
        if (n == null || n.isNull()) return null;
        String type = type(n, where, depth);
        return switch (type) {
            case "ByteLevel" -> new PreTokenizer.Bytes(bool(n, "add_prefix_space", true, where), bool(n, "use_regex", true, where));
            case "Split" -> new PreTokenizer.Split(pattern(n, where), behavior(n, where), bool(n, "invert", false, where));
            case "Metaspace" -> new PreTokenizer.Metaspace(replacement(n, where), prependScheme(n, where), bool(n, "split", true, where));
            case "Digits" -> new PreTokenizer.Digits(bool(n, "individual_digits", false, where));
            case "Sequence" -> {
                JsonNode list = array(n, "pretokenizers", where);
                List<PreTokenizer> steps = new ArrayList<>();
                for (int i = 0; i < list.size(); i++) {
                    PreTokenizer s = preTokenizer(list.get(i), where + ".pretokenizers[" + i + "]", depth + 1);
                    if (s != null) steps.add(s);
                }
                yield new PreTokenizer.Sequence(steps);
            }
            default -> throw unsupported(where, type, "ByteLevel, Split, Metaspace, Digits, Sequence");
        };
    }

    private static PostProcessor postProcessor(JsonNode n, String where, int depth, AddedVocabulary added, BpeModel bpe) {
        if (n == null || n.isNull()) return null;
        String type = type(n, where, depth);
        return switch (type) {
            case "ByteLevel" -> new PostProcessor.Identity();
            case "TemplateProcessing" -> template(n, where, added, bpe);
            case "RobertaProcessing", "BertProcessing" -> {
                int cls = pairId(n, "cls", where), sep = pairId(n, "sep", where);
                yield new PostProcessor.Template(new int[]{cls}, new int[]{sep});
            }
            case "Sequence" -> {
                JsonNode list = array(n, "processors", where);
                List<PostProcessor> steps = new ArrayList<>();
                for (int i = 0; i < list.size(); i++) {
                    PostProcessor s = postProcessor(list.get(i), where + ".processors[" + i + "]", depth + 1, added, bpe);
                    if (s != null) steps.add(s);
                }
                yield new PostProcessor.Sequence(steps);
            }
            default -> throw unsupported(where, type, "TemplateProcessing, RobertaProcessing, BertProcessing, ByteLevel, Sequence");
        };
    }

    private static PostProcessor template(JsonNode n, String where, AddedVocabulary added, BpeModel bpe) {
        JsonNode single = array(n, "single", where);
        JsonNode sp = n.get("special_tokens");
        if (sp != null && !sp.isNull() && !sp.isObject()) throw new IllegalArgumentException(where + ".special_tokens is not an object");
        List<Integer> before = new ArrayList<>(), after = new ArrayList<>();
        boolean seenA = false;
        for (int i = 0; i < single.size(); i++) {
            JsonNode p = single.get(i);
            String pw = where + ".single[" + i + "]";
            if (p.has("Sequence")) {
                String id = p.get("Sequence").path("id").asText("");
                if (id.equals("A")) {
                    if (seenA) throw new IllegalArgumentException(pw + ": sequence A appears twice");
                    seenA = true;
                } else if (!id.equals("B")) {
                    throw new IllegalArgumentException(pw + ": Sequence id \"" + Json.abbreviate(id) + "\" is not A or B");
                }
            } else if (p.has("SpecialToken")) {
                String name = p.get("SpecialToken").path("id").asText("");
                JsonNode st = sp == null ? null : sp.get(name);
                if (st == null || !st.path("ids").isArray())
                    throw new IllegalArgumentException(pw + ": special token \"" + Json.abbreviate(name) + "\" is missing from " + where + ".special_tokens");
                for (JsonNode id : st.get("ids")) {
                    if (!id.canConvertToInt() || id.asInt() < 0)
                        throw new IllegalArgumentException(where + ".special_tokens[\"" + Json.abbreviate(name) + "\"].ids has " + Json.abbreviate(id.toString()) + ", expected non-negative integers");
                    (seenA ? after : before).add(id.asInt());
                }
            } else {
                throw new IllegalArgumentException(pw + " is " + Json.abbreviate(p.toString()) + "; expected {\"SpecialToken\": ...} or {\"Sequence\": ...}");
            }
        }
        if (!seenA) throw new IllegalArgumentException(where + ".single has no Sequence A");
        return new PostProcessor.Template(before.stream().mapToInt(Integer::intValue).toArray(), after.stream().mapToInt(Integer::intValue).toArray());
    }

    private static int pairId(JsonNode n, String key, String where) {
        JsonNode p = n.get(key);
        if (p == null || !p.isArray() || p.size() != 2 || !p.get(1).canConvertToInt() || p.get(1).asInt() < 0)
            throw new IllegalArgumentException(where + "." + key + " is not [\"token\", id]");
        return p.get(1).asInt();
    }

    private static Decoder decoder(JsonNode n, String where, int depth) {
        if (n == null || n.isNull()) return null;
        String type = type(n, where, depth);
        return switch (type) {
            case "ByteLevel" -> new Decoder.Bytes();
            case "Metaspace" -> new Decoder.Metaspace(replacement(n, where), prependScheme(n, where));
            case "Replace" -> new Decoder.Replace(pattern(n, where), string(n, "content", where));
            case "ByteFallback" -> new Decoder.ByteFallback();
            case "Fuse" -> new Decoder.Fuse();
            case "Strip" -> {
                String c = string(n, "content", where);
                if (c.length() != 1) throw new IllegalArgumentException(where + ".content \"" + Json.abbreviate(c) + "\" is not one character");
                yield new Decoder.Strip(c.charAt(0), count(n, "start", where), count(n, "stop", where));
            }
            case "Sequence" -> {
                JsonNode list = array(n, "decoders", where);
                List<Decoder> steps = new ArrayList<>();
                for (int i = 0; i < list.size(); i++) {
                    Decoder s = decoder(list.get(i), where + ".decoders[" + i + "]", depth + 1);
                    if (s != null) steps.add(s);
                }
                yield new Decoder.Sequence(steps);
            }
            default -> throw unsupported(where, type, "ByteLevel, Metaspace, Replace, ByteFallback, Fuse, Strip, Sequence");
        };
    }

    // ---- fields ---------------------------------------------------------------------------------

    private static IllegalArgumentException unsupported(String where, String type, String supported) {
        return new IllegalArgumentException(where + ".type \"" + Json.abbreviate(type) + "\" is not supported (supported: " + supported + ")");
    }

    private static Pattern pattern(JsonNode n, String where) {
        JsonNode p = n.get("pattern");
        if (p != null && p.path("String").isTextual()) return Regexes.literal(p.get("String").asText());
        if (p != null && p.path("Regex").isTextual()) {
            try {
                return Regexes.compile(p.get("Regex").asText());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(where + ".pattern: " + e.getMessage());
            }
        }
        throw new IllegalArgumentException(where + ".pattern is " + (p == null ? "missing" : Json.abbreviate(p.toString()))
            + "; expected {\"String\": \"...\"} or {\"Regex\": \"...\"}");
    }

    private static PreTokenizer.Behavior behavior(JsonNode n, String where) {
        String b = n.path("behavior").asText("");
        return switch (b) {
            case "Removed" -> PreTokenizer.Behavior.REMOVED;
            case "Isolated" -> PreTokenizer.Behavior.ISOLATED;
            case "MergedWithPrevious" -> PreTokenizer.Behavior.MERGED_WITH_PREVIOUS;
            case "MergedWithNext" -> PreTokenizer.Behavior.MERGED_WITH_NEXT;
            case "Contiguous" -> PreTokenizer.Behavior.CONTIGUOUS;
            default -> throw new IllegalArgumentException(where + ".behavior \"" + Json.abbreviate(b)
                + "\" is not one of Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous");
        };
    }

    private static char replacement(JsonNode n, String where) {
        String r = n.path("replacement").asText("\u2581");
        if (r.length() != 1) throw new IllegalArgumentException(where + ".replacement \"" + Json.abbreviate(r) + "\" is not one character");
        return r.charAt(0);
    }

    private static String prependScheme(JsonNode n, String where) {
        JsonNode s = n.get("prepend_scheme");
        if (s == null || s.isNull()) return bool(n, "add_prefix_space", true, where) ? "always" : "never";
        String v = s.asText("");
        if (!v.equals("always") && !v.equals("first") && !v.equals("never"))
            throw new IllegalArgumentException(where + ".prepend_scheme \"" + Json.abbreviate(v) + "\" is not always, first or never");
        return v;
    }

    private static JsonNode array(JsonNode n, String key, String where) {
        JsonNode a = n.get(key);
        if (a == null || !a.isArray()) throw new IllegalArgumentException(where + "." + key + " is missing or not an array");
        return a;
    }

    private static String string(JsonNode n, String key, String where) {
        JsonNode s = n.get(key);
        if (s == null || !s.isTextual()) throw new IllegalArgumentException(where + "." + key + " is missing or not a string");
        return s.asText();
    }

    private static String optString(JsonNode n, String key, String where) {
        JsonNode s = n.get(key);
        if (s == null || s.isNull()) return null;
        if (!s.isTextual()) throw new IllegalArgumentException(where + "." + key + " is " + Json.abbreviate(s.toString()) + ", expected a string or null");
        return s.asText();
    }

    private static boolean bool(JsonNode n, String key, boolean dflt, String where) {
        JsonNode b = n.get(key);
        if (b == null || b.isNull()) return dflt;
        if (!b.isBoolean()) throw new IllegalArgumentException(where + "." + key + " is " + Json.abbreviate(b.toString()) + ", expected true or false");
        return b.asBoolean();
    }

    private static int count(JsonNode n, String key, String where) {
        JsonNode c = n.get(key);
        if (c == null || !c.canConvertToInt() || c.asInt() < 0 || c.asInt() > 1_000_000)
            throw new IllegalArgumentException(where + "." + key + " is " + (c == null ? "missing" : Json.abbreviate(c.toString())) + ", expected a count in [0, 1000000]");
        return c.asInt();
    }
}
