package io.peft4j.model.causal;

import io.peft4j.model.DecodingSession;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The {@link DecodingSession} of every decoder-only family: the prompt (left-padded, with its
 * attention mask) is read once, then one token per row at a time with each layer's {@link KvCache}.
 * It keeps what transformers' {@code generate} keeps for a causal model: position ids
 * {@code cumsum(mask) - 1} for the prompt and the last position + 1 for each new token, the
 * attention mask growing by a 1 per new token, and every output row starting with its input row
 * (padding included). The family supplies the arithmetic through {@link Steps}.
 *
 * <p>Rows: {@code N = B x copies}, row {@code i * copies + j} is copy {@code j} of input {@code i}.
 */
public final class CausalDecoding implements DecodingSession {
    /** What a family computes for a decoding session (it owns the caches of all its layers). */
    public interface Steps {
        /**
         * Reads the prompt: ids, mask and positions [B][S]; writes every layer's keys and values of
         * input row b into cache rows {@code b*copies .. b*copies+copies-1}.
         * @return logits [B, V] at each row's last position
         */
        INDArray prefill(int[][] ids, int[][] mask, int[][] positions);

        /**
         * One new token per row. @param positions [N] position ids @param keyMask [N][capacity], the
         * first (cached length + 1) entries valid @return logits [N, V]
         */
        INDArray step(int[] tokens, int[] positions, int[][] keyMask);

        /** Keeps cache row {@code rows[i]} at row i. */
        void reorder(int[] rows);
    }

    private final int[][] ids, mask;
    private final int copies, n, promptLength, capacity;
    private final Steps steps;
    private int[][] keyMask;      // [N][capacity]
    private int[] nextPos;        // [N]
    private int len;              // positions read so far
    private boolean started;

    /**
     * @param ids   validated prompt [B][S]
     * @param mask  its attention mask [B][S]
     * @param maxNewTokens the most tokens {@link #next} will be given (cache capacity S + maxNewTokens)
     */
    public CausalDecoding(int[][] ids, int[][] mask, int copies, int maxNewTokens, Steps steps) {
        if (copies < 1) throw new IllegalArgumentException("copies must be >= 1, got " + copies);
        if (maxNewTokens < 1) throw new IllegalArgumentException("max_new_tokens must be >= 1, got " + maxNewTokens);
        this.ids = ids; this.mask = mask; this.copies = copies; this.steps = steps;
        n = ids.length * copies;
        promptLength = ids[0].length;
        capacity = promptLength + maxNewTokens;
        keyMask = new int[n][capacity];
        nextPos = new int[n];
        for (int r = 0; r < n; r++) {
            int[] m = mask[r / copies];
            System.arraycopy(m, 0, keyMask[r], 0, promptLength);
            int c = 0;
            for (int x : m) c += x;
            nextPos[r] = c;                                   // cumsum(mask) - 1 at the new token
        }
    }

    /** Total positions the caches must hold: prompt length + max new tokens. */
    public static int capacity(int promptLength, int maxNewTokens) { return promptLength + maxNewTokens; }

    @Override public int[][] prefix() {
        int[][] p = new int[n][];
        for (int r = 0; r < n; r++) p[r] = ids[r / copies].clone();
        return p;
    }

    @Override public double[][] first() {
        if (started) throw new IllegalStateException("first() is called once, before next()");
        started = true;
        double[][] lb = steps.prefill(ids, mask, CausalInputs.positionsFromMask(mask)).toDoubleMatrix();
        len = promptLength;
        double[][] out = new double[n][];
        for (int r = 0; r < n; r++) out[r] = r % copies == 0 ? lb[r / copies] : lb[r / copies].clone();
        return out;
    }

    @Override public double[][] next(int[] tokens) {
        if (!started) throw new IllegalStateException("next() needs first() before it");
        if (tokens.length != n) throw new IllegalArgumentException("next() needs " + n + " tokens, got " + tokens.length);
        if (len >= capacity) throw new IllegalStateException("decoding past max_new_tokens (" + (capacity - promptLength) + ")");
        int[] pos = nextPos.clone();
        for (int r = 0; r < n; r++) { keyMask[r][len] = 1; nextPos[r]++; }
        len++;
        return steps.step(tokens, pos, keyMask).toDoubleMatrix();
    }

    @Override public void reorder(int[] rows) {
        if (rows.length != n) throw new IllegalArgumentException("reorder needs " + n + " rows, got " + rows.length);
        int[][] km = new int[n][];
        int[] np = new int[n];
        for (int i = 0; i < n; i++) { km[i] = keyMask[rows[i]].clone(); np[i] = nextPos[rows[i]]; }
        keyMask = km;
        nextPos = np;
        steps.reorder(rows);
    }
}
