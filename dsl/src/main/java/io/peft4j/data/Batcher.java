package io.peft4j.data;

import io.peft4j.hf.TextTokenizer;
import io.peft4j.model.Batch;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Random;

/**
 * Tokenizes a {@link Dataset} (its prompt-applied {@link Dataset#sources() sources} and its
 * {@link Dataset#targets() targets}) into {@link Batch}es.
 * <ul>
 *   <li>Dynamic padding: each batch is padded to its own longest source / target with the
 *       tokenizer's pad id; the attention mask is 1 on tokens and 0 on padding; labels are
 *       padded with {@value #IGNORE}.</li>
 *   <li>Truncation keeps the first {@code max - 1} tokens and the closing {@code </s>}.</li>
 *   <li>Order ({@link #plan(Dataset)}): with {@code shuffle}, a seeded permutation; with bucketing,
 *       chunks of that permutation sorted by source length (longest first, ties by position)
 *       and cut into batches whose order is then shuffled with the same seed. Without shuffle,
 *       dataset order.</li>
 * </ul>
 * Token ids are checked against the vocabulary (an out-of-range id would crash ND4J's gather).
 */
public final class Batcher {
    /** Label value ignored by the loss. */
    public static final int IGNORE = -100;

    private final TextTokenizer tokenizer;
    private final BatchConfig config;

    public Batcher(TextTokenizer tokenizer, BatchConfig config) {
        this.tokenizer = Objects.requireNonNull(tokenizer, "tokenizer");
        this.config = Objects.requireNonNull(config, "config");
    }

    public BatchConfig config() { return config; }

    /** Encodes and truncates one text (keeps the closing {@code </s>}). */
    public int[] encode(String text, int maxLength) {
        int[] ids = tokenizer.encode(text);
        int vocab = tokenizer.vocabSize();
        for (int id : ids)
            if (id < 0 || id >= vocab)
                throw new IllegalStateException("tokenizer produced id " + id + " outside [0, " + vocab + ") for text: " + abbreviate(text));
        if (ids.length <= maxLength) return ids;
        int[] out = Arrays.copyOf(ids, maxLength);
        out[maxLength - 1] = tokenizer.eosId();
        return out;
    }

    private static String abbreviate(String s) { return s.length() <= 60 ? s : s.substring(0, 57) + "..."; }

    /** The batches of the whole dataset, each example exactly once. */
    public List<Batch> batches(Dataset data) {
        List<String> src = data.sources(), tgt = data.targets();
        int[][] srcIds = new int[src.size()][], tgtIds = new int[tgt.size()][];
        for (int i = 0; i < src.size(); i++) {
            srcIds[i] = encode(src.get(i), config.maxSourceLength());
            tgtIds[i] = encode(tgt.get(i), config.maxTargetLength());
        }
        List<Batch> out = new ArrayList<>();
        for (int[] rows : plan(data, srcIds)) out.add(assemble(rows, srcIds, tgtIds));
        return out;
    }

    /** The example indices of each batch, in batch order (what {@link #batches} assembles). */
    public List<int[]> plan(Dataset data) {
        validate(data);
        int[][] srcIds = config.bucketChunk() > 0 && config.shuffle() ? new int[data.size()][] : null;
        if (srcIds != null) {
            List<String> src = data.sources();
            for (int i = 0; i < srcIds.length; i++) srcIds[i] = encode(src.get(i), config.maxSourceLength());
        }
        return plan(data, srcIds);
    }

    private void validate(Dataset data) {
        Objects.requireNonNull(data, "data");
        if (data.isEmpty()) throw new IllegalArgumentException("cannot batch an empty dataset (" + data.name() + ")");
        if (config.batchSize() > data.size())
            throw new IllegalArgumentException("batchSize " + config.batchSize() + " is larger than the dataset ("
                + data.size() + " examples in " + data.name() + "); use a batch size <= " + data.size());
    }

    /** The batch plan for examples of the given token sequences (their lengths drive the bucketing). */
    List<int[]> plan(Dataset data, int[][] srcIds) {
        validate(data);
        int n = data.size(), bs = config.batchSize();
        int[] order = config.shuffle() ? Dataset.permutation(n, config.seed()) : rangeArray(n);
        List<int[]> batches = new ArrayList<>();
        if (config.shuffle() && config.bucketChunk() > 0) {
            for (int start = 0; start < n; start += config.bucketChunk()) {
                int end = Math.min(n, start + config.bucketChunk());
                Integer[] chunk = new Integer[end - start];
                for (int k = start; k < end; k++) chunk[k - start] = order[k];
                final int offset = start;
                Integer[] positions = new Integer[chunk.length];
                for (int k = 0; k < chunk.length; k++) positions[k] = k;
                Arrays.sort(positions, Comparator.<Integer>comparingInt(p -> -srcIds[chunk[p]].length).thenComparingInt(p -> p));
                for (int k = 0; k < positions.length; k += bs) {
                    int[] b = new int[Math.min(bs, positions.length - k)];
                    for (int j = 0; j < b.length; j++) b[j] = chunk[positions[k + j]];
                    batches.add(b);
                }
            }
            Collections.shuffle(batches, new Random(config.seed() ^ 0x5DEECE66DL));
        } else {
            for (int k = 0; k < n; k += bs) batches.add(Arrays.copyOfRange(order, k, Math.min(n, k + bs)));
        }
        return batches;
    }

    private static int[] rangeArray(int n) {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) a[i] = i;
        return a;
    }

    private Batch assemble(int[] rows, int[][] srcIds, int[][] tgtIds) {
        int s = 0, t = 0;
        for (int r : rows) { s = Math.max(s, srcIds[r].length); t = Math.max(t, tgtIds[r].length); }
        int pad = tokenizer.padId();
        int[][] input = new int[rows.length][s], mask = new int[rows.length][s], labels = new int[rows.length][t];
        for (int b = 0; b < rows.length; b++) {
            int[] x = srcIds[rows[b]], y = tgtIds[rows[b]];
            Arrays.fill(input[b], pad);
            System.arraycopy(x, 0, input[b], 0, x.length);
            Arrays.fill(mask[b], 0, x.length, 1);
            Arrays.fill(labels[b], IGNORE);
            System.arraycopy(y, 0, labels[b], 0, y.length);
        }
        return new Batch(input, mask, labels);
    }
}
