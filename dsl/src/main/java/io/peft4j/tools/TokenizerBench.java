package io.peft4j.tools;

import io.peft4j.hf.TextTokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Encoding throughput: {@code java ... io.peft4j.tools.TokenizerBench TOKENIZER_DIR[,DIR...] TEXT_FILE [SECONDS]}.
 * TEXT_FILE is plain text (one text per line) or JSON lines (every string value is a text, except
 * the DialogSum id fields {@code fname}, {@code id} and {@code topic}). Prints, per tokenizer, tokens/s
 * and texts/s of single-threaded {@link TextTokenizer#encode} after a warm-up of the same length, so
 * several tokenizers (T5 SentencePiece, byte-level BPE, SentencePiece-style BPE) can be compared on
 * the same texts in one run.
 */
public final class TokenizerBench {
    private TokenizerBench() {}

    /** Result of one measurement. */
    public record Result(long tokens, long texts, double seconds) {
        public double tokensPerSecond() { return tokens / seconds; }
        @Override public String toString() {
            return String.format("%,d tokens in %,d texts in %.2f s: %,.0f tokens/s, %,.0f texts/s",
                tokens, texts, seconds, tokensPerSecond(), texts / seconds);
        }
    }

    /** Encodes {@code texts} round-robin for about {@code seconds} after a warm-up of the same length. */
    public static Result measure(TextTokenizer tok, List<String> texts, double seconds) {
        run(tok, texts, seconds);
        return run(tok, texts, seconds);
    }

    private static Result run(TextTokenizer tok, List<String> texts, double seconds) {
        long tokens = 0, n = 0;
        long t0 = System.nanoTime();
        long deadline = t0 + (long) (seconds * 1e9);
        int i = 0;
        do {
            tokens += tok.encode(texts.get(i)).length;
            n++;
            i = (i + 1) % texts.size();
        } while ((n & 15) != 0 || System.nanoTime() < deadline);
        return new Result(tokens, n, (System.nanoTime() - t0) / 1e9);
    }

    public static List<String> readTexts(Path file) throws IOException {
        ObjectMapper om = new ObjectMapper();
        List<String> out = new ArrayList<>();
        for (String line : Files.readAllLines(file)) {
            if (line.isBlank()) continue;
            if (line.startsWith("{")) {
                JsonNode n = om.readTree(line);
                n.fields().forEachRemaining(e -> {
                    if (e.getValue().isTextual() && !List.of("fname", "id", "topic").contains(e.getKey())) out.add(e.getValue().asText());
                });
            } else out.add(line);
        }
        if (out.isEmpty()) throw new IOException(file + ": no texts");
        return out;
    }

    public static void main(String[] args) throws IOException {
        if (args.length < 2) {
            System.err.println("usage: TokenizerBench TOKENIZER_DIR[,DIR...] TEXT_FILE [SECONDS]");
            System.exit(2);
        }
        List<String> texts = readTexts(Path.of(args[1]));
        double secs = args.length > 2 ? Double.parseDouble(args[2]) : 3;
        long chars = texts.stream().mapToLong(String::length).sum();
        System.out.printf("%,d texts, %,d characters from %s; %.1f s per tokenizer after a warm-up of the same length%n",
            texts.size(), chars, args[1], secs);
        for (String dir : args[0].split(",")) {
            TextTokenizer tok = TextTokenizer.load(Path.of(dir));
            System.out.println(tok + ": " + measure(tok, texts, secs));
        }
    }
}
