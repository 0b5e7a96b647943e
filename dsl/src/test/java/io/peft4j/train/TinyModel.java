package io.peft4j.train;

import io.peft4j.model.ForwardContext;
import io.peft4j.model.Parameter;
import io.peft4j.model.ProjectionSlot;
import io.peft4j.model.Batch;
import io.peft4j.model.TrainableModel;
import org.nd4j.linalg.factory.Nd4j;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.SplittableRandom;

/**
 * A tiny "sequence-to-sequence" model for trainer tests, with explicit gradients in plain float
 * arithmetic: label position t is predicted from input token min(t, S-1) through
 * embedding [V, D] -> dropout -> relu(x W1 [D, H]) -> W2 [H, V] + b2 [V], mean cross-entropy.
 * Deterministic for a given seed; float32 throughout, so a huge learning rate overflows to Inf/NaN.
 */
final class TinyModel implements TrainableModel {
    final int vocab, dim, hidden;
    final double dropout;
    final Parameter emb, w1, w2, b2;
    private final List<Parameter> params;
    // kept for backward
    private int[] xs, ys;
    private float[][] e, h, probs;
    private boolean[][] mask;
    private int n;
    private float scaleUsed = 1f;

    TinyModel(int vocab, int dim, int hidden, double dropout, long seed) {
        this.vocab = vocab; this.dim = dim; this.hidden = hidden; this.dropout = dropout;
        Random r = new Random(seed);
        emb = new Parameter("shared.weight", rand(r, vocab, dim, 1.0), true);
        w1 = new Parameter("encoder.w1.weight", rand(r, dim, hidden, 1.0 / Math.sqrt(dim)), true);
        w2 = new Parameter("lm_head.weight", rand(r, hidden, vocab, 1.0 / Math.sqrt(hidden)), true);
        b2 = new Parameter("lm_head.bias", rand(r, 1, vocab, 0.1).reshape(vocab), true);
        params = List.of(emb, w1, w2, b2);
    }

    private static org.nd4j.linalg.api.ndarray.INDArray rand(Random r, int a, int b, double std) {
        float[] f = new float[a * b];
        for (int i = 0; i < f.length; i++) f[i] = (float) (r.nextGaussian() * std);
        return Nd4j.create(f, new long[] {a, b}, 'c');
    }

    @Override public List<Parameter> parameters() { return params; }
    @Override public Map<String, ProjectionSlot> projections() { return Map.of(); }

    @Override public double forwardLoss(Batch batch, ForwardContext ctx) {
        float[] E = emb.value().data().asFloat(), W1 = w1.value().data().asFloat(),
            W2 = w2.value().data().asFloat(), B2 = b2.value().data().asFloat();
        List<int[]> pos = new ArrayList<>();
        for (int b = 0; b < batch.size(); b++) {
            int[] lab = batch.labels()[b];
            int[] in = batch.inputIds()[b];
            for (int t = 0; t < lab.length; t++) if (lab[t] != -100) pos.add(new int[] {in[Math.min(t, in.length - 1)], lab[t]});
        }
        n = pos.size();
        xs = new int[n]; ys = new int[n];
        e = new float[n][dim]; h = new float[n][hidden]; probs = new float[n][vocab]; mask = new boolean[n][dim];
        SplittableRandom rnd = ctx.training() && dropout > 0 ? ctx.nextRandom() : null;
        float keepScale = (float) (1.0 / (1.0 - dropout));
        scaleUsed = rnd == null ? 1f : keepScale;
        double loss = 0;
        for (int i = 0; i < n; i++) {
            int x = pos.get(i)[0], y = pos.get(i)[1];
            xs[i] = x; ys[i] = y;
            for (int d = 0; d < dim; d++) {
                boolean keep = rnd == null || rnd.nextDouble() >= dropout;
                mask[i][d] = keep;
                e[i][d] = keep ? E[x * dim + d] * (rnd == null ? 1f : keepScale) : 0f;
            }
            for (int j = 0; j < hidden; j++) {
                float s = 0;
                for (int d = 0; d < dim; d++) s += e[i][d] * W1[d * hidden + j];
                h[i][j] = Math.max(0f, s);
            }
            float max = Float.NEGATIVE_INFINITY;
            float[] logit = new float[vocab];
            for (int v = 0; v < vocab; v++) {
                float s = B2[v];
                for (int j = 0; j < hidden; j++) s += h[i][j] * W2[j * vocab + v];
                logit[v] = s;
                max = Math.max(max, s);
            }
            float z = 0;
            for (int v = 0; v < vocab; v++) { probs[i][v] = (float) Math.exp(logit[v] - max); z += probs[i][v]; }
            for (int v = 0; v < vocab; v++) probs[i][v] /= z;
            loss += -(logit[y] - max - Math.log(z));
        }
        return n == 0 ? 0 : (float) (loss / n);
    }

    @Override public void backward() {
        float[] W1 = w1.value().data().asFloat(), W2 = w2.value().data().asFloat();
        float[] gE = new float[vocab * dim], gW1 = new float[dim * hidden], gW2 = new float[hidden * vocab], gB2 = new float[vocab];
        for (int i = 0; i < n; i++) {
            float[] dl = new float[vocab];
            for (int v = 0; v < vocab; v++) dl[v] = (probs[i][v] - (v == ys[i] ? 1f : 0f)) / n;
            for (int v = 0; v < vocab; v++) gB2[v] += dl[v];
            float[] dh = new float[hidden];
            for (int j = 0; j < hidden; j++) {
                float s = 0;
                for (int v = 0; v < vocab; v++) { gW2[j * vocab + v] += h[i][j] * dl[v]; s += dl[v] * W2[j * vocab + v]; }
                dh[j] = h[i][j] > 0 ? s : 0f;
            }
            for (int d = 0; d < dim; d++) {
                float s = 0;
                for (int j = 0; j < hidden; j++) { gW1[d * hidden + j] += e[i][d] * dh[j]; s += dh[j] * W1[d * hidden + j]; }
                if (mask[i][d]) gE[xs[i] * dim + d] += s * scaleUsed;
            }
        }
        add(emb, gE); add(w1, gW1); add(w2, gW2); add(b2, gB2);
    }


    private static void add(Parameter p, float[] g) {
        if (!p.trainable()) return;
        p.grad().addi(Nd4j.create(g, p.value().shape(), 'c'));
    }

    /** Copy task batches: labels = inputs, some rows padded with -100. */
    static List<Batch> copyTask(int batches, int rows, int len, int vocab, long seed) {
        Random r = new Random(seed);
        List<Batch> out = new ArrayList<>();
        for (int b = 0; b < batches; b++) {
            int[][] in = new int[rows][len], mask = new int[rows][len], lab = new int[rows][len];
            for (int i = 0; i < rows; i++) {
                int valid = len - r.nextInt(2);
                for (int t = 0; t < len; t++) {
                    in[i][t] = t < valid ? 2 + r.nextInt(vocab - 2) : 0;
                    mask[i][t] = t < valid ? 1 : 0;
                    lab[i][t] = t < valid ? in[i][t] : -100;
                }
            }
            out.add(new Batch(in, mask, lab));
        }
        return out;
    }

    /** Copies of every parameter value. */
    Map<String, float[]> snapshot() {
        Map<String, float[]> m = new java.util.LinkedHashMap<>();
        for (Parameter p : params) m.put(p.name(), p.value().data().asFloat());
        return m;
    }
}
