package io.peft4j.model.causal;

import io.peft4j.model.ForwardContext;
import io.peft4j.ops.CrossEntropy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The shared causal attention core against a direct (loop) implementation of transformers'
 * masking, float64 finite differences of its backward (MHA, GQA, MQA, padding, sliding window,
 * dropout), and its decode step against the full forward.
 */
class CausalAttentionTest {
    static final int B = 3, T = 6;
    /** Row 1 right-padded, row 2 left-padded (its first two queries see no key at all). */
    static final int[][] MASK = {{1, 1, 1, 1, 1, 1}, {1, 1, 1, 1, 0, 0}, {0, 0, 1, 1, 1, 1}};

    static INDArray rand(DataType dt, long rows, long cols, long seed) {
        Random r = new Random(seed);
        double[] a = new double[(int) (rows * cols)];
        for (int i = 0; i < a.length; i++) a[i] = r.nextGaussian();
        return Nd4j.create(a, new long[]{rows, cols}, 'c').castTo(dt);
    }

    /** Direct implementation: softmax over visible keys, zero context for a query that sees none. */
    static double[][] reference(INDArray q, INDArray k, INDArray v, int H, int Hkv, int hd, int[][] mask, int window) {
        int qd = H * hd, kd = Hkv * hd;
        double[][] out = new double[B * T][qd];
        for (int b = 0; b < B; b++)
            for (int h = 0; h < H; h++) {
                int g = h / (H / Hkv);
                for (int i = 0; i < T; i++) {
                    double[] s = new double[T];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j < T; j++) {
                        boolean vis = j <= i && (mask == null || mask[b][j] == 1) && (window == 0 || i - j < window);
                        if (!vis) { s[j] = Double.NaN; continue; }
                        double d = 0;
                        for (int e = 0; e < hd; e++) d += q.getDouble(b * T + i, h * hd + e) * k.getDouble(b * T + j, g * hd + e);
                        s[j] = d / Math.sqrt(hd);
                        max = Math.max(max, s[j]);
                    }
                    if (max == Double.NEGATIVE_INFINITY) continue;
                    double sum = 0;
                    for (int j = 0; j < T; j++) if (!Double.isNaN(s[j])) { s[j] = Math.exp(s[j] - max); sum += s[j]; }
                    for (int j = 0; j < T; j++) {
                        if (Double.isNaN(s[j])) continue;
                        for (int e = 0; e < hd; e++) out[b * T + i][h * hd + e] += s[j] / sum * v.getDouble(b * T + j, g * hd + e);
                    }
                }
            }
        return out;
    }

    @ParameterizedTest(name = "H={0} Hkv={1} hd={2} window={3}")
    @CsvSource({"4,4,3,0", "4,2,3,0", "6,1,2,0", "4,2,5,3"})
    void forwardMatchesDirectImplementation(int H, int Hkv, int hd, int window) {
        for (DataType dt : new DataType[]{DataType.DOUBLE, DataType.FLOAT}) {
            INDArray q = rand(dt, B * T, H * hd, 1), k = rand(dt, B * T, Hkv * hd, 2), v = rand(dt, B * T, Hkv * hd, 3);
            CausalAttention a = new CausalAttention(H, Hkv, hd, 0.0, window, Math.pow(hd, -0.5));
            INDArray out = a.forward(q, k, v, B, T, MASK, ForwardContext.inference());
            double[][] ref = reference(q, k, v, H, Hkv, hd, MASK, window);
            double tol = dt == DataType.DOUBLE ? 1e-12 : 2e-6;
            for (int r = 0; r < B * T; r++)
                for (int c = 0; c < H * hd; c++)
                    assertEquals(ref[r][c], out.getDouble(r, c), tol, dt + " context[" + r + "][" + c + "]");
            for (int c = 0; c < H * hd; c++) assertEquals(0.0, out.getDouble(2 * T, c), "a query that sees no key gets a zero context");
        }
    }

    /** loss = sum(context * W) + sum(dq...) ; finite differences on every input element. */
    @ParameterizedTest(name = "H={0} Hkv={1} hd={2} window={3} dropout={4}")
    @CsvSource({"4,4,3,0,0.0", "4,2,3,0,0.0", "6,1,2,0,0.0", "4,2,2,3,0.0", "4,2,2,0,0.3"})
    void backwardMatchesFiniteDifferences(int H, int Hkv, int hd, int window, double dropout) {
        DataType dt = DataType.DOUBLE;
        INDArray q = rand(dt, B * T, H * hd, 4), k = rand(dt, B * T, Hkv * hd, 5), v = rand(dt, B * T, Hkv * hd, 6);
        INDArray w = rand(dt, B * T, H * hd, 7);
        CausalAttention a = new CausalAttention(H, Hkv, hd, dropout, window, Math.pow(hd, -0.5));
        java.util.function.DoubleSupplier loss = () ->
            a.forward(q, k, v, B, T, MASK, ForwardContext.training(9, 2)).mul(w).sumNumber().doubleValue();
        loss.getAsDouble();
        CausalAttention.Grads g = a.backward(w);
        INDArray dq = g.dq().dup(), dk = g.dk().dup(), dv = g.dv().dup();
        double eps = 1e-6;
        for (Object[] pair : new Object[][]{{q, dq, "q"}, {k, dk, "k"}, {v, dv, "v"}}) {
            INDArray x = (INDArray) pair[0], gx = (INDArray) pair[1];
            double norm = gx.norm2Number().doubleValue();
            assertTrue(norm > 0, pair[2] + " gradient is zero");
            for (int r = 0; r < x.size(0); r++)
                for (int c = 0; c < x.size(1); c++) {
                    double orig = x.getDouble(r, c);
                    x.putScalar(r, c, orig + eps);
                    double lp = loss.getAsDouble();
                    x.putScalar(r, c, orig - eps);
                    double lm = loss.getAsDouble();
                    x.putScalar(r, c, orig);
                    double fd = (lp - lm) / (2 * eps);
                    assertEquals(fd, gx.getDouble(r, c), 1e-7 + 1e-6 * Math.abs(fd), pair[2] + "[" + r + "][" + c + "]");
                }
        }
    }

    @ParameterizedTest(name = "Hkv={0} copies={1}")
    @CsvSource({"2,1", "1,2", "4,3"})
    void decodeStepsEqualTheFullForward(int Hkv, int copies) {
        int H = 4, hd = 3, S = 4;            // prompt = first S positions, then T - S steps
        for (DataType dt : new DataType[]{DataType.DOUBLE, DataType.FLOAT}) {
            INDArray q = rand(dt, B * T, H * hd, 11), k = rand(dt, B * T, Hkv * hd, 12), v = rand(dt, B * T, Hkv * hd, 13);
            int[][] mask = {{1, 1, 1, 1, 1, 1}, {0, 1, 1, 1, 1, 1}, {0, 0, 1, 1, 1, 1}};    // left-padded prompts, new tokens real
            CausalAttention a = new CausalAttention(H, Hkv, hd, 0.0);
            INDArray full = a.forward(q, k, v, B, T, mask, ForwardContext.inference()).dup();
            KvCache c = a.newCache(dt, B * copies, T);
            a.prefill(c, rows(k, S, 0), rows(v, S, 0), B, S, copies);
            assertEquals(S, c.length());
            int[][] km = new int[B * copies][];
            for (int r = 0; r < B * copies; r++) km[r] = mask[r / copies];
            for (int t = S; t < T; t++) {
                if (copies > 1 && t == S + 1) {                  // swap the copies of every input: still equal rows
                    int[] rows = new int[B * copies];
                    for (int r = 0; r < rows.length; r++) rows[r] = (r / copies) * copies + (copies - 1 - r % copies);
                    c.reorder(rows);
                }
                INDArray out = a.step(expand(rowsAt(q, t), copies), expand(rowsAt(k, t), copies), expand(rowsAt(v, t), copies), c, km);
                for (int r = 0; r < B * copies; r++)
                    for (int col = 0; col < H * hd; col++)
                        assertEquals(full.getDouble((r / copies) * T + t, col), out.getDouble(r, col), dt == DataType.DOUBLE ? 1e-12 : 1e-5,
                            dt + " step " + t + " row " + r);
            }
        }
    }

    /** Rows [b*T + from, b*T + from + n) of every batch row, stacked: [B*n, cols]. */
    static INDArray rows(INDArray x, int n, int from) {
        INDArray out = Nd4j.create(x.dataType(), (long) B * n, x.size(1));
        for (int b = 0; b < B; b++) for (int t = 0; t < n; t++) out.getRow((long) b * n + t).assign(x.getRow((long) b * T + from + t));
        return out;
    }

    static INDArray rowsAt(INDArray x, int t) { return rows(x, 1, t); }

    static INDArray expand(INDArray x, int copies) {
        INDArray out = Nd4j.create(x.dataType(), x.size(0) * copies, x.size(1));
        for (int r = 0; r < out.size(0); r++) out.getRow(r).assign(x.getRow(r / copies));
        return out;
    }

    @Test
    void rejectsInconsistentHeadCounts() {
        var e = assertThrows(IllegalArgumentException.class, () -> new CausalAttention(4, 3, 8, 0.0));
        assertTrue(e.getMessage().contains("num_key_value_heads") && e.getMessage().contains("3"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new CausalAttention(4, 2, 0, 0.0));
        CausalAttention a = new CausalAttention(4, 2, 3, 0.0);
        var s = assertThrows(IllegalArgumentException.class,
            () -> a.forward(rand(DataType.FLOAT, 6, 12, 1), rand(DataType.FLOAT, 6, 12, 2), rand(DataType.FLOAT, 6, 6, 3), 1, 6, null, ForwardContext.inference()));
        assertTrue(s.getMessage().contains("[6, 6]") && s.getMessage().contains("[6, 12]"), s.getMessage());
    }

    @Test
    void causalLossShiftsLabelsAndAveragesCountedTargets() {
        int[][] labels = {{-100, 3, 1, -100}, {2, 0, -100, -100}};
        assertArrayEquals(new int[]{3, 1, -100, -100, 0, -100, -100, -100}, CausalLmLoss.shiftedTargets(labels));
        INDArray logits = rand(DataType.DOUBLE, 8, 5, 21);
        CausalLmLoss l = new CausalLmLoss();
        double loss = l.forward(logits, labels);
        double expect = 0;
        int[][] pairs = {{0, 3}, {1, 1}, {4, 0}};
        for (int[] p : pairs) {
            double lse = 0;
            for (int j = 0; j < 5; j++) lse += Math.exp(logits.getDouble(p[0], j));
            expect += Math.log(lse) - logits.getDouble(p[0], p[1]);
        }
        assertEquals(expect / 3, loss, 1e-12);
        assertEquals(3, l.count());
        INDArray g = l.backward();
        assertEquals(0.0, g.getRow(3).norm2Number().doubleValue(), "last position of a row has no target");
        assertEquals(0.0, g.getRow(2).norm2Number().doubleValue(), "target -100 has no gradient");
        assertEquals(CrossEntropy.IGNORE, CausalLmLoss.shiftedTargets(new int[][]{{5}})[0]);
    }

    @Test
    void positionIdsFollowTransformers() {
        assertArrayEquals(new int[]{0, 1, 2, 0, 1, 2}, CausalInputs.sequentialPositions(2, 3));
        int[][] p = CausalInputs.positionsFromMask(new int[][]{{0, 0, 1, 1, 1}, {1, 1, 1, 1, 0}});
        assertArrayEquals(new int[]{0, 0, 0, 1, 2}, p[0]);
        assertArrayEquals(new int[]{0, 1, 2, 3, 0}, p[1]);
    }
}
