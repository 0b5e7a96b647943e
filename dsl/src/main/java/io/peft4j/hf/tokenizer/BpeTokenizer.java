package io.peft4j.hf.tokenizer;

import io.peft4j.hf.TextTokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

/**
 * A Hugging Face {@code tokenizer.json} with a BPE model, run as the {@code tokenizers} library
 * (0.23) runs it and as {@code AutoTokenizer} (transformers 5) calls it: byte-level BPE (GPT-2,
 * Llama 3, Qwen2, ...) and SentencePiece-style BPE with byte fallback (Llama 2, Mistral,
 * TinyLlama). Read by {@link BpeTokenizerReader}; get one with {@link TextTokenizer#load}.
 *
 * <h2>Encoding</h2>
 * <ol>
 *   <li>Added tokens with {@code normalized: false} (the special ones, typically) are cut out of
 *       the raw text: a literal {@code <|im_end|>} is one id ({@link AddedVocabulary}).</li>
 *   <li>Each stretch of text between them is normalized (NFC, Prepend/Replace, ...), then split on
 *       the {@code normalized: true} added tokens.</li>
 *   <li>The pre-tokenizer splits the rest into words (GPT-2's ByteLevel regex; Split with the
 *       Llama 3 / Qwen2 regex then ByteLevel; Metaspace; or nothing for Llama 2), and the
 *       {@link BpeModel} turns each word into ids.</li>
 *   <li>{@link #encode(String)} then applies the post-processor (e.g. Llama 3's BOS, RoBERTa's
 *       {@code <s> ... </s>}); {@link #encode(String, boolean) encode(text, false)} does not.</li>
 * </ol>
 * Lone surrogates in the text are read as U+FFFD.
 *
 * <h2>Decoding</h2>
 * Ids map to their tokens (added tokens first), special tokens are dropped when asked, and the
 * decoder chain (ByteLevel, or Replace/ByteFallback/Fuse/Strip, or Metaspace) makes the text.
 *
 * <p>Immutable and thread-safe.
 */
public final class BpeTokenizer implements TextTokenizer {
    private final BpeModel model;
    private final AddedVocabulary added;
    private final Normalizer normalizer;        // null: none
    private final PreTokenizer preTokenizer;    // null: the whole stretch is one word
    private final PostProcessor postProcessor;  // null: none
    private final Decoder decoder;              // null: tokens joined with spaces
    private final Map<String, String> specialTokens;   // bos_token -> "<s>", ... (tokenizer_config.json)
    private final int bos, eos, pad, unk, vocabSize;
    private final String source;

    BpeTokenizer(BpeModel model, AddedVocabulary added, Normalizer normalizer, PreTokenizer preTokenizer,
                 PostProcessor postProcessor, Decoder decoder, Map<String, String> specialTokens, String source) {
        this.model = model;
        this.added = added;
        this.normalizer = normalizer;
        this.preTokenizer = preTokenizer;
        this.postProcessor = postProcessor;
        this.decoder = decoder;
        this.specialTokens = Map.copyOf(specialTokens);
        this.source = source;
        this.vocabSize = Math.max(model.idLimit(), added.maxId() + 1);
        this.bos = idOf(specialTokens.get("bos_token"));
        this.eos = idOf(specialTokens.get("eos_token"));
        this.pad = idOf(specialTokens.get("pad_token"));
        this.unk = idOf(specialTokens.get("unk_token"));
    }

    private int idOf(String token) {
        if (token == null) return -1;
        OptionalInt id = tokenId(token);
        return id.isPresent() ? id.getAsInt() : -1;
    }

    /** Ids of {@code text} with the post-processor's special tokens, as {@code AutoTokenizer(text)}. */
    @Override public int[] encode(String text) { return encode(text, true); }

    @Override public int[] encode(String text, boolean addSpecialTokens) {
        int[] ids = encodePlain(text);
        return addSpecialTokens && postProcessor != null ? postProcessor.process(ids) : ids;
    }

    private int[] encodePlain(String text) {
        String s = Unicode.sanitize(text);
        IntList out = new IntList(Math.max(16, s.length() / 3));
        List<PreTokenizer.Piece> words = new ArrayList<>();
        for (AddedVocabulary.Part p : added.splitRaw(s)) {
            if (p.id() >= 0) { out.add(p.id()); continue; }
            if (p.end() <= p.start()) continue;
            String stretch = s.substring(p.start(), p.end());
            if (normalizer != null) stretch = normalizer.normalize(stretch);
            boolean atStart = p.start() == 0;
            for (AddedVocabulary.Part q : added.splitNormalized(stretch)) {
                if (q.id() >= 0) { out.add(q.id()); continue; }
                if (q.end() <= q.start()) continue;
                PreTokenizer.Piece piece = new PreTokenizer.Piece(stretch.substring(q.start(), q.end()), atStart && q.start() == 0);
                words.clear();
                if (preTokenizer == null) words.add(piece);
                else preTokenizer.split(piece, words);
                for (PreTokenizer.Piece w : words) model.tokenize(w.text(), out);
            }
        }
        return out.toArray();
    }

    /** Text of {@code ids} with special tokens skipped, as {@code tokenizer.decode(ids, skip_special_tokens=True)}. */
    @Override public String decode(int[] ids) { return decode(ids, true); }

    @Override public String decode(int[] ids, boolean skipSpecialTokens) {
        List<String> tokens = new ArrayList<>(ids.length);
        for (int pos = 0; pos < ids.length; pos++) {
            int id = ids[pos];
            if (id < 0 || id >= vocabSize)
                throw new IllegalArgumentException("token id " + id + " at position " + pos + " is outside the vocabulary [0, " + vocabSize + ")");
            String t = added.token(id);
            if (t == null) t = model.token(id);
            if (t == null) continue;   // an id with no token (a gap in the vocabulary) is dropped, as in tokenizers
            if (skipSpecialTokens && added.isSpecial(t)) continue;
            tokens.add(t);
        }
        if (decoder == null) return String.join(" ", tokens);
        return String.join("", decoder.decodeChain(tokens));
    }

    @Override public int vocabSize() { return vocabSize; }
    @Override public int padId() { return pad; }
    @Override public int eosId() { return eos; }
    @Override public int unkId() { return unk; }
    @Override public int bosId() { return bos; }

    /** The token of an id: its added-token content or its vocabulary string (byte-level form for byte-level BPE). */
    @Override public String idToPiece(int id) {
        if (id < 0 || id >= vocabSize) throw new IllegalArgumentException("token id " + id + " is outside the vocabulary [0, " + vocabSize + ")");
        String t = added.token(id);
        if (t == null) t = model.token(id);
        return t == null ? "" : t;
    }

    @Override public OptionalInt tokenId(String token) {
        int id = added.id(token);
        if (id < 0) id = model.id(token);
        return id < 0 ? OptionalInt.empty() : OptionalInt.of(id);
    }

    @Override public boolean isSpecial(int id) {
        String t = added.token(id);
        return t != null && added.isSpecial(t);
    }

    /**
     * The named special tokens of {@code tokenizer_config.json} ({@code bos_token}, {@code eos_token},
     * {@code unk_token}, {@code sep_token}, {@code pad_token}, {@code cls_token}, {@code mask_token})
     * that are set: what chat templates see.
     */
    @Override public Map<String, String> specialTokens() { return specialTokens; }

    /** The model's vocabulary size without added tokens. */
    public int modelVocabSize() { return model.size(); }

    public String source() { return source; }

    @Override public String toString() { return "BpeTokenizer[" + vocabSize + " ids, " + source + "]"; }
}
