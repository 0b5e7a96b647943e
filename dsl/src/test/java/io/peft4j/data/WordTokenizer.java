package io.peft4j.data;

import io.peft4j.hf.TextTokenizer;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Test tokenizer: whitespace words, ids assigned in order of first sight from 3; pad 0, eos 1, unk 2. */
class WordTokenizer implements TextTokenizer {
    final Map<String, Integer> vocab = new LinkedHashMap<>();
    final List<String> words = new ArrayList<>(List.of("<pad>", "</s>", "<unk>"));

    @Override public synchronized int[] encode(String text) {
        String[] parts = text.trim().isEmpty() ? new String[0] : text.trim().split("\\s+");
        int[] ids = new int[parts.length + 1];
        for (int i = 0; i < parts.length; i++) {
            ids[i] = vocab.computeIfAbsent(parts[i], w -> { words.add(w); return words.size() - 1; });
        }
        ids[parts.length] = eosId();
        return ids;
    }
    @Override public String decode(int[] ids) {
        StringBuilder sb = new StringBuilder();
        for (int id : ids) if (id > 2) sb.append(sb.length() == 0 ? "" : " ").append(words.get(id));
        return sb.toString();
    }
    @Override public int vocabSize() { return 100_000; }
    @Override public int padId() { return 0; }
    @Override public int eosId() { return 1; }
    @Override public int unkId() { return 2; }
}
