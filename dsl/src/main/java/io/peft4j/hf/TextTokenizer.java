package io.peft4j.hf;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.OptionalInt;

/**
 * Text to token ids and back, the way the model was trained. The rest of the project (datasets,
 * generation, CLI) only sees this interface.
 *
 * <p>Conventions (those of Hugging Face's {@code AutoTokenizer}):
 * <ul>
 *   <li>{@link #encode(String)} is {@code tokenizer(text)["input_ids"]} with the default
 *       {@code add_special_tokens=True}: the special tokens the tokenizer's post-processor adds are
 *       there (T5: {@code </s>} appended; Llama 3, Llama 2, Mistral: the BOS prepended; GPT-2,
 *       Qwen2: none). {@link #encode(String, boolean) encode(text, false)} leaves them out (what a
 *       rendered chat template is encoded with). Neither truncates; literal special-token strings in
 *       the text ({@code </s>}, {@code <extra_id_N>}, {@code <|im_end|>}) become their ids.</li>
 *   <li>{@link #decode(int[])} skips special ids and undoes the tokenizer's text escaping (SentencePiece
 *       whitespace, byte-level characters); {@link #decode(int[], boolean) decode(ids, false)} keeps
 *       them.</li>
 *   <li>Ids a tokenizer does not have are -1 ({@link #bosId()}, {@link #padId()}, and for byte-level
 *       tokenizers {@link #unkId()}).</li>
 * </ul>
 */
public interface TextTokenizer {
    /** Token ids of {@code text}, special tokens added as the post-processor says (T5: end-of-sequence appended). */
    int[] encode(String text);

    /**
     * Token ids of {@code text}; without the post-processor's special tokens when
     * {@code addSpecialTokens} is false ({@code add_special_tokens=False}).
     */
    default int[] encode(String text, boolean addSpecialTokens) {
        if (addSpecialTokens) return encode(text);
        throw new UnsupportedOperationException(getClass().getSimpleName() + " cannot encode without special tokens");
    }

    /** Text of {@code ids}, special ids skipped. Ids outside [0, vocabSize) are an error. */
    String decode(int[] ids);

    /** Text of {@code ids}; special ids kept when {@code skipSpecialTokens} is false. */
    default String decode(int[] ids, boolean skipSpecialTokens) {
        if (skipSpecialTokens) return decode(ids);
        throw new UnsupportedOperationException(getClass().getSimpleName() + " cannot decode with special tokens");
    }

    /** Number of ids, sentinels included (32,100 for T5). */
    int vocabSize();

    int padId();

    int eosId();

    int unkId();

    /** Beginning-of-sequence id, or -1 where the tokenizer has none (T5). */
    default int bosId() { return -1; }

    /** The id of a token string (special, added or vocabulary token), if the tokenizer has it. */
    default OptionalInt tokenId(String token) { return OptionalInt.empty(); }

    /** Whether an id is a special token (one {@link #decode(int[])} skips). */
    default boolean isSpecial(int id) { return id == padId() || id == eosId() || id == unkId() || id == bosId(); }

    /**
     * The named special tokens ({@code bos_token}, {@code eos_token}, {@code unk_token},
     * {@code pad_token}, ...: Hugging Face's {@code special_tokens_map}) that are set; what chat
     * templates see as variables.
     */
    default Map<String, String> specialTokens() { return Map.of(); }

    /**
     * The piece string of an id (e.g. {@code "▁The"} for 37). The default (for simple test
     * tokenizers) decodes the single id; SentencePiece tokenizers return the raw piece.
     */
    default String idToPiece(int id) { return decode(new int[]{id}); }

    /**
     * Loads the tokenizer of a model folder: {@code tokenizer.json} where present (model
     * {@code Unigram}: {@link SentencePieceTokenizer}; {@code BPE}:
     * {@link io.peft4j.hf.tokenizer.BpeTokenizer}, with {@code tokenizer_config.json}'s special
     * tokens), else {@code spiece.model}.
     *
     * @throws TokenizerFileException naming the folder when neither file exists, or the file that
     *         is unreadable or malformed
     */
    static TextTokenizer load(Path dir) throws IOException {
        if (!Files.isDirectory(dir))
            throw new TokenizerFileException(dir, "tokenizer folder does not exist or is not a directory");
        Path json = dir.resolve("tokenizer.json");
        if (Files.exists(json)) return TokenizerJsonReader.readAny(json, dir.resolve("tokenizer_config.json"));
        Path spm = dir.resolve("spiece.model");
        if (Files.exists(spm)) return SpieceModelReader.read(spm);
        throw new TokenizerFileException(dir, "no tokenizer.json or spiece.model in this folder");
    }
}
