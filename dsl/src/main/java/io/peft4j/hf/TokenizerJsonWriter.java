package io.peft4j.hf;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Writes a {@link SentencePieceTokenizer} without a charsmap (identity normalization) as a Hugging
 * Face {@code tokenizer.json}: Unigram model, added tokens, a whitespace-folding normalizer
 * (Replace {@code \s+} by a space, Strip both sides), Metaspace pre-tokenizer and decoder and the
 * T5 post-processor ({@code $A </s>}). Written to a temp file and renamed.
 */
public final class TokenizerJsonWriter {
    private TokenizerJsonWriter() {}

    public static void write(SentencePieceTokenizer tok, Path file) throws IOException {
        if (tok.hasCharsMap()) throw new IllegalArgumentException("only tokenizers without a precompiled charsmap can be written");
        ObjectMapper om = new ObjectMapper();
        ObjectNode root = om.createObjectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        for (SentencePieceTokenizer.AddedToken a : tok.addedTokens()) {
            added.addObject().put("id", a.id()).put("content", a.content()).put("single_word", false)
                .put("lstrip", a.lstrip()).put("rstrip", a.rstrip()).put("normalized", false).put("special", true);
        }
        ObjectNode norm = root.putObject("normalizer");
        norm.put("type", "Sequence");
        ArrayNode ns = norm.putArray("normalizers");
        ObjectNode rep = ns.addObject().put("type", "Replace");
        rep.putObject("pattern").put("Regex", "\\s+");
        rep.put("content", " ");
        ns.addObject().put("type", "Strip").put("strip_left", true).put("strip_right", true);
        ObjectNode pre = root.putObject("pre_tokenizer");
        pre.put("type", "Metaspace").put("replacement", "\u2581").put("prepend_scheme", "always").put("split", true);
        ObjectNode post = root.putObject("post_processor");
        post.put("type", "TemplateProcessing");
        String eos = tok.idToPiece(tok.eosId());
        ArrayNode single = post.putArray("single");
        single.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
        single.addObject().putObject("SpecialToken").put("id", eos).put("type_id", 0);
        ArrayNode pair = post.putArray("pair");
        pair.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
        pair.addObject().putObject("SpecialToken").put("id", eos).put("type_id", 0);
        pair.addObject().putObject("Sequence").put("id", "B").put("type_id", 0);
        pair.addObject().putObject("SpecialToken").put("id", eos).put("type_id", 0);
        ObjectNode st = post.putObject("special_tokens").putObject(eos);
        st.put("id", eos);
        st.putArray("ids").add(tok.eosId());
        st.putArray("tokens").add(eos);
        ObjectNode dec = root.putObject("decoder");
        dec.put("type", "Metaspace").put("replacement", "\u2581").put("prepend_scheme", "always").put("split", true);
        ObjectNode model = root.putObject("model");
        model.put("type", "Unigram");
        model.put("unk_id", tok.unkId());
        ArrayNode vocab = model.putArray("vocab");
        for (int i = 0; i < tok.vocabSize(); i++) vocab.addArray().add(tok.idToPiece(i)).add(tok.score(i));
        model.put("byte_fallback", false);

        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        byte[] json = om.writeValueAsBytes(root);
        AtomicFiles.write(file, out -> out.write(json));
    }
}
