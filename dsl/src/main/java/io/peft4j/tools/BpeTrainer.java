package io.peft4j.tools;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.peft4j.hf.AtomicFiles;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Trains a byte-level BPE vocabulary the way Llama 3 builds its tokenizer, and writes it as a Hugging
 * Face {@code tokenizer.json} (with {@code tokenizer_config.json} and a Llama-3-style
 * {@code chat_template.jinja}) that both Hugging Face tokenizers and peft4j load.
 *
 * <p>Texts are split by Llama 3's pre-tokenizer regex, each piece's UTF-8 bytes are mapped to
 * GPT-2's printable byte alphabet, and the most frequent adjacent pair (ties: the smaller pair of
 * strings) is merged until the vocabulary holds {@code vocabSize} entries: the 256 byte symbols, the
 * merges, then the special tokens. The tokenizer adds {@code <|begin_of_text|>} through a
 * TemplateProcessing post-processor; {@code <|eot_id|>} ends an assistant turn (the eos), and
 * {@code <|end_of_text|>} pads.
 */
public final class BpeTrainer {
    /** Llama 3's pre-tokenizer pattern (as its tokenizer.json writes it). */
    public static final String LLAMA3_PATTERN =
        "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    public static final List<String> SPECIALS = List.of("<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>",
        "<|end_header_id|>", "<|eot_id|>");
    /** The chat template written beside the tokenizer: Llama 3's layout (header, blank line, trimmed content, eot). */
    public static final String CHAT_TEMPLATE = "{{- bos_token }}{%- for message in messages %}{{- '<|start_header_id|>' + "
        + "message['role'] + '<|end_header_id|>\n\n' + message['content'] | trim + '<|eot_id|>' }}{%- endfor %}"
        + "{%- if add_generation_prompt %}{{- '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{%- endif %}";

    private final int vocabSize;
    private final int minFrequency;

    /** @param vocabSize total ids including the 256 byte symbols and the special tokens */
    public BpeTrainer(int vocabSize, int minFrequency) {
        if (vocabSize < 256 + SPECIALS.size() + 1)
            throw new IllegalArgumentException("vocabSize = " + vocabSize + " is invalid: allowed >= " + (256 + SPECIALS.size() + 1)
                + " (256 byte symbols, " + SPECIALS.size() + " special tokens, at least one merge)");
        if (minFrequency < 1) throw new IllegalArgumentException("minFrequency = " + minFrequency + " is invalid: allowed >= 1");
        this.vocabSize = vocabSize;
        this.minFrequency = minFrequency;
    }

    /** The learned vocabulary: tokens by id (byte symbols, merges, specials) and the merges in rank order. */
    public record Vocabulary(List<String> tokens, List<List<String>> merges) {
        public int bosId() { return tokens.indexOf("<|begin_of_text|>"); }
        public int eosId() { return tokens.indexOf("<|eot_id|>"); }
        public int padId() { return tokens.indexOf("<|end_of_text|>"); }
    }

    /** GPT-2's bytes_to_unicode: printable bytes map to themselves, the others to 256 + n in byte order. */
    public static char[] byteAlphabet() {
        char[] map = new char[256];
        int n = 0;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            map[b] = printable ? (char) b : (char) (256 + n++);
        }
        return map;
    }

    public Vocabulary train(List<String> texts) {
        char[] alpha = byteAlphabet();
        Pattern pre = Pattern.compile(LLAMA3_PATTERN);
        Map<String, Integer> wordCounts = new HashMap<>();
        for (String t : texts) {
            Matcher m = pre.matcher(t);
            while (m.find()) {
                byte[] bytes = m.group().getBytes(StandardCharsets.UTF_8);
                StringBuilder sb = new StringBuilder(bytes.length);
                for (byte b : bytes) sb.append(alpha[b & 0xFF]);
                wordCounts.merge(sb.toString(), 1, Integer::sum);
            }
        }
        List<String> tokens = new ArrayList<>();
        Map<String, Integer> ids = new HashMap<>();
        for (int b = 0; b < 256; b++) { tokens.add(String.valueOf(alpha[b])); ids.put(tokens.get(b), b); }
        // words as id arrays, in a fixed order so that training is deterministic
        List<String> wordList = new ArrayList<>(wordCounts.keySet());
        Collections.sort(wordList);
        int nw = wordList.size();
        int[][] words = new int[nw][];
        int[] counts = new int[nw];
        for (int w = 0; w < nw; w++) {
            String s = wordList.get(w);
            words[w] = new int[s.length()];
            for (int i = 0; i < s.length(); i++) words[w][i] = ids.get(String.valueOf(s.charAt(i)));
            counts[w] = wordCounts.get(s);
        }
        Map<Long, Long> pairCount = new HashMap<>();
        Map<Long, Set<Integer>> where = new HashMap<>();
        for (int w = 0; w < nw; w++) addPairs(words[w], counts[w], w, pairCount, where);
        List<List<String>> merges = new ArrayList<>();
        int target = vocabSize - SPECIALS.size();
        while (tokens.size() < target) {
            long best = -1, bestCount = 0;
            for (Map.Entry<Long, Long> e : pairCount.entrySet()) {
                long c = e.getValue();
                if (c > bestCount || (c == bestCount && c > 0 && lessThan(e.getKey(), best, tokens))) { best = e.getKey(); bestCount = c; }
            }
            if (best < 0 || bestCount < minFrequency) break;
            int a = (int) (best >>> 32), b = (int) best;
            String merged = tokens.get(a) + tokens.get(b);
            int id = tokens.size();
            tokens.add(merged);
            merges.add(List.of(tokens.get(a), tokens.get(b)));
            for (int w : new ArrayList<>(where.getOrDefault(best, Set.of()))) {
                int[] old = words[w];
                removePairs(old, counts[w], w, pairCount, where);
                int[] nu = new int[old.length];
                int n = 0;
                for (int i = 0; i < old.length; i++) {
                    if (i + 1 < old.length && old[i] == a && old[i + 1] == b) { nu[n++] = id; i++; }
                    else nu[n++] = old[i];
                }
                words[w] = java.util.Arrays.copyOf(nu, n);
                addPairs(words[w], counts[w], w, pairCount, where);
            }
        }
        tokens.addAll(SPECIALS);
        return new Vocabulary(List.copyOf(tokens), List.copyOf(merges));
    }

    private static boolean lessThan(long p, long q, List<String> tokens) {
        if (q < 0) return true;
        int c = tokens.get((int) (p >>> 32)).compareTo(tokens.get((int) (q >>> 32)));
        return c != 0 ? c < 0 : tokens.get((int) p).compareTo(tokens.get((int) q)) < 0;
    }

    private static long key(int a, int b) { return ((long) a << 32) | (b & 0xFFFFFFFFL); }

    private static void addPairs(int[] w, int count, int wi, Map<Long, Long> pc, Map<Long, Set<Integer>> where) {
        for (int i = 0; i + 1 < w.length; i++) {
            long k = key(w[i], w[i + 1]);
            pc.merge(k, (long) count, Long::sum);
            where.computeIfAbsent(k, x -> new HashSet<>()).add(wi);
        }
    }

    private static void removePairs(int[] w, int count, int wi, Map<Long, Long> pc, Map<Long, Set<Integer>> where) {
        for (int i = 0; i + 1 < w.length; i++) {
            long k = key(w[i], w[i + 1]);
            long left = pc.merge(k, (long) -count, Long::sum);
            if (left <= 0) pc.remove(k);
            Set<Integer> s = where.get(k);
            if (s != null) { s.remove(wi); if (s.isEmpty()) where.remove(k); }
        }
    }

    /** Writes tokenizer.json, tokenizer_config.json and chat_template.jinja into {@code dir}, each atomically. */
    public static void write(Vocabulary v, Path dir) {
        ObjectMapper om = new ObjectMapper();
        ObjectNode root = om.createObjectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        int firstSpecial = v.tokens().size() - SPECIALS.size();
        for (int i = 0; i < SPECIALS.size(); i++) {
            ObjectNode t = added.addObject();
            t.put("id", firstSpecial + i).put("content", SPECIALS.get(i)).put("single_word", false).put("lstrip", false)
                .put("rstrip", false).put("normalized", false).put("special", true);
        }
        root.putNull("normalizer");
        ObjectNode pre = root.putObject("pre_tokenizer");
        pre.put("type", "Sequence");
        ArrayNode pres = pre.putArray("pretokenizers");
        ObjectNode split = pres.addObject();
        split.put("type", "Split");
        split.putObject("pattern").put("Regex", LLAMA3_PATTERN);
        split.put("behavior", "Isolated").put("invert", false);
        pres.addObject().put("type", "ByteLevel").put("add_prefix_space", false).put("trim_offsets", true).put("use_regex", false);
        ObjectNode post = root.putObject("post_processor");
        post.put("type", "Sequence");
        ArrayNode procs = post.putArray("processors");
        procs.addObject().put("type", "ByteLevel").put("add_prefix_space", true).put("trim_offsets", false).put("use_regex", true);
        ObjectNode tp = procs.addObject();
        tp.put("type", "TemplateProcessing");
        String bos = SPECIALS.get(0);
        ArrayNode single = tp.putArray("single");
        single.addObject().putObject("SpecialToken").put("id", bos).put("type_id", 0);
        single.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
        ArrayNode pair = tp.putArray("pair");
        pair.addObject().putObject("SpecialToken").put("id", bos).put("type_id", 0);
        pair.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
        pair.addObject().putObject("SpecialToken").put("id", bos).put("type_id", 0);
        pair.addObject().putObject("Sequence").put("id", "B").put("type_id", 0);
        ObjectNode st = tp.putObject("special_tokens").putObject(bos);
        st.put("id", bos);
        st.putArray("ids").add(v.bosId());
        st.putArray("tokens").add(bos);
        root.putObject("decoder").put("type", "ByteLevel").put("add_prefix_space", true).put("trim_offsets", true).put("use_regex", true);
        ObjectNode model = root.putObject("model");
        model.put("type", "BPE").putNull("dropout").putNull("unk_token").putNull("continuing_subword_prefix")
            .putNull("end_of_word_suffix").put("fuse_unk", false).put("byte_fallback", false).put("ignore_merges", false);
        ObjectNode vocab = model.putObject("vocab");
        for (int i = 0; i < firstSpecial; i++) vocab.put(v.tokens().get(i), i);
        ArrayNode merges = model.putArray("merges");
        for (List<String> m : v.merges()) merges.addArray().add(m.get(0)).add(m.get(1));
        try {
            Files.createDirectories(dir);
            AtomicFiles.writeString(dir.resolve("tokenizer.json"), om.writerWithDefaultPrettyPrinter().writeValueAsString(root) + "\n");
            Map<String, Object> cfg = new LinkedHashMap<>();
            cfg.put("backend", "tokenizers");
            cfg.put("bos_token", bos);
            cfg.put("eos_token", "<|eot_id|>");
            cfg.put("pad_token", "<|end_of_text|>");
            cfg.put("model_max_length", 4096);
            cfg.put("tokenizer_class", "PreTrainedTokenizerFast");
            AtomicFiles.writeString(dir.resolve("tokenizer_config.json"), om.writerWithDefaultPrettyPrinter().writeValueAsString(cfg) + "\n");
            AtomicFiles.writeString(dir.resolve("chat_template.jinja"), CHAT_TEMPLATE);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot write the tokenizer to " + dir + ": " + e.getMessage(), e);
        }
    }
}
