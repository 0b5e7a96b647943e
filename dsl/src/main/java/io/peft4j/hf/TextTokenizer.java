package io.peft4j.hf;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Text to token ids and back, the way the model was trained. The rest of the project (datasets,
 * generation, CLI) only sees this interface.
 *
 * <p>Conventions (those of Hugging Face's T5 tokenizers):
 * <ul>
 *   <li>{@link #encode} appends the end-of-sequence id and never truncates; literal special-token
 *       strings in the text ({@code </s>}, {@code <pad>}, {@code <unk>}, {@code <extra_id_N>})
 *       become their ids.</li>
 *   <li>{@link #decode} skips special ids (pad, eos, unk, sentinels) and undoes the SentencePiece
 *       whitespace escaping.</li>
 * </ul>
 */
public interface TextTokenizer {
    /** Token ids of {@code text}, end-of-sequence id appended. */
    int[] encode(String text);

    /** Text of {@code ids}, special ids skipped. Ids outside [0, vocabSize) are an error. */
    String decode(int[] ids);

    /** Number of ids, sentinels included (32,100 for T5). */
    int vocabSize();

    int padId();

    int eosId();

    int unkId();

    /** Beginning-of-sequence id, or -1 where the tokenizer has none (T5). */
    default int bosId() { return -1; }

    /**
     * The piece string of an id (e.g. {@code "▁The"} for 37). The default (for simple test
     * tokenizers) decodes the single id; SentencePiece tokenizers return the raw piece.
     */
    default String idToPiece(int id) { return decode(new int[]{id}); }

    /**
     * Loads the tokenizer of a model folder: {@code tokenizer.json} where present, else
     * {@code spiece.model}.
     *
     * @throws TokenizerFileException naming the folder when neither file exists, or the file that
     *         is unreadable or malformed
     */
    static TextTokenizer load(Path dir) throws IOException {
        if (!Files.isDirectory(dir))
            throw new TokenizerFileException(dir, "tokenizer folder does not exist or is not a directory");
        Path json = dir.resolve("tokenizer.json");
        if (Files.exists(json)) return TokenizerJsonReader.read(json);
        Path spm = dir.resolve("spiece.model");
        if (Files.exists(spm)) return SpieceModelReader.read(spm);
        throw new TokenizerFileException(dir, "no tokenizer.json or spiece.model in this folder");
    }
}
