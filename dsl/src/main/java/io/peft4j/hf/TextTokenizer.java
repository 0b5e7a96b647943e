package io.peft4j.hf;

/**
 * Text to token ids and back. {@link #encode(String)} appends the end-of-sequence token
 * ({@code </s>}), as Hugging Face T5 tokenizers do by default.
 */
public interface TextTokenizer {
    int[] encode(String text);
    String decode(int[] ids);
    int vocabSize();
    int padId();
    int eosId();
    int unkId();
}
