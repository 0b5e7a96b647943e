package io.peft4j.data;

import io.peft4j.hf.TextTokenizer;
import io.peft4j.model.Batch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Batches for a decoder-only model: each example is one sequence, prompt + response + eos
 * (the prompt with the special tokens the tokenizer's post-processor adds, e.g. Llama's BOS), with
 * the loss on the response and the eos only (labels -100 on the prompt and on padding), right-padded.
 *
 * <p>The prompt's extent is found as TRL finds it: the prompt is tokenized alone and with its
 * response, and the loss starts after their common prefix (so a token merged across the boundary
 * counts as response). Too long an example loses tokens from the left of its prompt (a BOS stays
 * first), keeping the whole response when it fits in {@code maxTargetLength}; how many examples
 * were cut is logged and kept in {@link #truncated()}.
 *
 * <p>Order and bucketing are the {@link Batcher}'s ({@link BatchConfig}); the total length is at
 * most {@code maxSourceLength + maxTargetLength}.
 */
public final class CausalBatcher {
    private static final Logger LOG = LoggerFactory.getLogger(CausalBatcher.class);

    private final TextTokenizer tokenizer;
    private final BatchConfig config;
    private int truncated;

    public CausalBatcher(TextTokenizer tokenizer, BatchConfig config) {
        this.tokenizer = Objects.requireNonNull(tokenizer, "tokenizer");
        this.config = Objects.requireNonNull(config, "config");
        if (tokenizer.eosId() < 0) throw new IllegalArgumentException("the tokenizer has no eos token: a causal example ends with one");
    }

    /** Examples cut by the last {@link #batches} call. */
    public int truncated() { return truncated; }

    /** One example's ids and labels. */
    public record Encoded(int[] ids, int[] labels) {}

    /** Encodes prompt + response + eos with labels on the response and eos; cuts the prompt from the left past {@code maxLength}. */
    public Encoded encode(String prompt, String response, int maxLength, int maxResponse) {
        int[] p = check(tokenizer.encode(prompt), prompt);
        int[] full = check(tokenizer.encode(prompt + response), prompt + response);
        int common = 0;
        while (common < p.length && common < full.length && p[common] == full[common]) common++;
        int eos = tokenizer.eosId();
        int[] resp = Arrays.copyOfRange(full, common, full.length);
        if (resp.length == 0 || resp[resp.length - 1] != eos) { resp = Arrays.copyOf(resp, resp.length + 1); resp[resp.length - 1] = eos; }
        int[] head = Arrays.copyOf(full, common);
        boolean cut = false;
        if (resp.length > maxResponse) { resp = Arrays.copyOf(resp, maxResponse); resp[maxResponse - 1] = eos; cut = true; }
        int keepPrompt = Math.max(0, maxLength - resp.length);
        if (head.length > keepPrompt) {
            int bos = tokenizer.bosId();
            int[] h = new int[keepPrompt];
            if (keepPrompt > 0 && bos >= 0 && head[0] == bos) {
                h[0] = bos;
                System.arraycopy(head, head.length - (keepPrompt - 1), h, 1, keepPrompt - 1);
            } else System.arraycopy(head, head.length - keepPrompt, h, 0, keepPrompt);
            head = h;
            cut = true;
        }
        if (cut) truncated++;
        int[] ids = new int[head.length + resp.length], labels = new int[ids.length];
        System.arraycopy(head, 0, ids, 0, head.length);
        System.arraycopy(resp, 0, ids, head.length, resp.length);
        Arrays.fill(labels, 0, head.length, Batcher.IGNORE);
        System.arraycopy(resp, 0, labels, head.length, resp.length);
        return new Encoded(ids, labels);
    }

    private int[] check(int[] ids, String text) {
        int vocab = tokenizer.vocabSize();
        for (int id : ids)
            if (id < 0 || id >= vocab)
                throw new IllegalStateException("tokenizer produced id " + id + " outside [0, " + vocab + ") for text: "
                    + (text.length() <= 60 ? text : text.substring(0, 57) + "..."));
        return ids;
    }

    /** The batches of the whole dataset (its prompt template applied to the sources), each example once. */
    public List<Batch> batches(Dataset data) {
        truncated = 0;
        List<String> src = data.sources(), tgt = data.targets();
        int maxLen = config.maxSourceLength() + config.maxTargetLength();
        Encoded[] enc = new Encoded[src.size()];
        int[][] lengths = new int[src.size()][];
        for (int i = 0; i < enc.length; i++) {
            enc[i] = encode(src.get(i), tgt.get(i), maxLen, config.maxTargetLength());
            lengths[i] = enc[i].ids();
        }
        if (truncated > 0)
            LOG.warn("{} of {} examples of '{}' were longer than {} tokens and lost the start of their prompt", truncated, enc.length,
                data.name(), maxLen);
        int pad = tokenizer.padId() >= 0 ? tokenizer.padId() : tokenizer.eosId();
        List<Batch> out = new ArrayList<>();
        for (int[] rows : new Batcher(tokenizer, config).plan(data, lengths)) {
            int t = 0;
            for (int r : rows) t = Math.max(t, enc[r].ids().length);
            int[][] ids = new int[rows.length][t], mask = new int[rows.length][t], labels = new int[rows.length][t];
            for (int b = 0; b < rows.length; b++) {
                Encoded e = enc[rows[b]];
                Arrays.fill(ids[b], pad);
                System.arraycopy(e.ids(), 0, ids[b], 0, e.ids().length);
                Arrays.fill(mask[b], 0, e.ids().length, 1);
                Arrays.fill(labels[b], Batcher.IGNORE);
                System.arraycopy(e.labels(), 0, labels[b], 0, e.labels().length);
            }
            out.add(new Batch(ids, mask, labels));
        }
        return out;
    }
}
