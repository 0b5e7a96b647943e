package io.peft4j;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.peft4j.hf.AtomicFiles;
import io.peft4j.hf.SafeTensors;
import io.peft4j.hf.SentencePieceTokenizer;
import io.peft4j.hf.TokenizerJsonWriter;
import io.peft4j.model.GenerationConfig;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.stream.Stream;

/**
 * Writes a {@link Model} as a complete Hugging Face model folder, the one {@code from_pretrained}
 * loads: {@code config.json} and {@code model.safetensors} (the family's own
 * {@link io.peft4j.model.LanguageModel#save}), {@code generation_config.json}, and the tokenizer
 * files of the folder the model was loaded from (or a {@code tokenizer.json} written from the
 * tokenizer itself when there is no such folder). The folder is built next to the target and
 * renamed into place, so it is never seen half-written.
 */
final class HfFolder {
    /** Tokenizer files copied from the source folder when present. */
    static final List<String> TOKENIZER_FILES = List.of("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
        "added_tokens.json", "spiece.model", "tokenizer.model", "vocab.json", "merges.txt", "chat_template.jinja");

    private HfFolder() {}

    static Path save(Model m, Path dir, SafeTensors.Dtype dtype) {
        Path target = dir.toAbsolutePath().normalize();
        try {
            if (Files.exists(target)) {
                try (Stream<Path> s = Files.list(target)) {
                    if (s.findAny().isPresent())
                        throw new IllegalArgumentException("cannot save the model into " + target + ": the folder exists and is not empty; choose a new folder");
                }
            }
            Path parent = target.getParent();
            Files.createDirectories(parent);
            Path tmp = Files.createTempDirectory(parent, "." + target.getFileName() + ".tmp");
            try {
                m.model().save(tmp, dtype);
                writeGenerationConfig(m, tmp);
                writeTokenizer(m, tmp);
                if (Files.exists(target)) Files.delete(target);   // empty, checked above
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                if (Files.exists(tmp)) deleteTree(tmp);
            }
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot save the model into " + target + ": " + e.getMessage(), e);
        }
    }

    private static void writeGenerationConfig(Model m, Path dir) throws IOException {
        Path src = m.folder() == null ? null : m.folder().resolve("generation_config.json");
        if (src != null && Files.isRegularFile(src)) {
            Files.copy(src, dir.resolve("generation_config.json"));
            return;
        }
        GenerationConfig g = m.generationConfig();
        ObjectNode n = new ObjectMapper().createObjectNode();
        if (m.model().encoderDecoder()) n.put("decoder_start_token_id", g.decoderStartTokenId());
        n.put("eos_token_id", g.eosTokenId());
        n.put("pad_token_id", g.padTokenId());
        if (g.numBeams() != 1) n.put("num_beams", g.numBeams());
        n.put("transformers_version", "4.57.0");
        AtomicFiles.writeString(dir.resolve("generation_config.json"), n.toPrettyString() + "\n");
    }

    private static void writeTokenizer(Model m, Path dir) throws IOException {
        int copied = 0;
        if (m.folder() != null) {
            for (String f : TOKENIZER_FILES) {
                Path src = m.folder().resolve(f);
                if (Files.isRegularFile(src)) { Files.copy(src, dir.resolve(f)); copied++; }
            }
        }
        if (copied > 0) return;
        if (m.tokenizer() instanceof SentencePieceTokenizer sp) {
            TokenizerJsonWriter.write(sp, dir.resolve("tokenizer.json"));
            return;
        }
        throw new IllegalStateException("the model " + m.id() + " was not loaded from a folder and its tokenizer ("
            + m.tokenizer().getClass().getSimpleName() + ") cannot be written: no tokenizer files to save");
    }

    private static void deleteTree(Path p) throws IOException {
        try (Stream<Path> s = Files.walk(p)) {
            for (Path q : s.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(q);
        }
    }
}
