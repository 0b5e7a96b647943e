package io.peft4j.model.t5;

import io.peft4j.model.Dropout;
import io.peft4j.model.Embedding;
import io.peft4j.model.ForwardContext;
import io.peft4j.model.Parameter;
import io.peft4j.model.RmsNorm;
import io.peft4j.ops.Buf;
import io.peft4j.ops.Fast;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;

/**
 * The encoder or decoder stack: shared embedding, dropout, blocks (block 0 owns the relative position
 * bias that every block uses), final RMS norm, dropout. The encoder can prepend a soft prompt
 * (prompt tuning) to every row's input embeddings.
 */
public final class T5Stack {
    /** Added at masked keys: the float32 minimum, as transformers does (not -inf). */
    public static final double MASK_MIN = -Float.MAX_VALUE;

    final boolean decoder;
    final Embedding embed;
    final RelativePositionBias rel;
    final T5Block[] blocks;
    final RmsNorm finalLn;
    final int heads;
    private final Dropout inDrop, outDrop;
    private final Buf prefixed = new Buf(), selfBias = new Buf(), crossBias = new Buf(), tokenGrad = new Buf(), stepBias = new Buf();
    private int B, T, L, nPrefix;
    private Parameter prefix;
    private int[][] keyMask;          // [B][T] effective mask incl. prefix (encoder)

    T5Stack(boolean decoder, Embedding embed, RelativePositionBias rel, T5Block[] blocks, RmsNorm finalLn, int heads, double dropout) {
        this.decoder = decoder; this.embed = embed; this.rel = rel; this.blocks = blocks; this.finalLn = finalLn; this.heads = heads;
        this.inDrop = new Dropout(dropout); this.outDrop = new Dropout(dropout);
        for (int i = 1; i < blocks.length; i++) blocks[i].shareBackwardBuffers(blocks[0]);
    }

    int length() { return T; }
    int[][] keyMask() { return keyMask; }

    static int[] flatten(int[][] a) {
        int w = a[0].length;
        int[] out = new int[a.length * w];
        for (int b = 0; b < a.length; b++) System.arraycopy(a[b], 0, out, b * w, w);
        return out;
    }

    /**
     * @param ids [B][L] validated ids; mask [B][L] (encoder) or null (decoder: causal only)
     * @param prefix soft prompt [n, d] (encoder only) or null
     * @param enc encoder states [B*S, d] and encMask [B][S] (decoder only)
     * @return final hidden states [B*T, d], T = n + L
     */
    INDArray forward(int[][] ids, int[][] mask, Parameter prefix, INDArray enc, int S, int[][] encMask, ForwardContext ctx) {
        B = ids.length; L = ids[0].length;
        this.prefix = prefix;
        nPrefix = prefix == null ? 0 : (int) prefix.value().size(0);
        T = nPrefix + L;
        INDArray e = embed.forward(flatten(ids));
        DataType dt = e.dataType();
        long d = e.size(1);
        INDArray x = e;
        if (nPrefix > 0) {
            x = prefixed.get(dt, (long) B * T, d);
            for (int b = 0; b < B; b++) {
                x.get(NDArrayIndex.interval((long) b * T, (long) b * T + nPrefix), NDArrayIndex.all()).assign(prefix.value());
                x.get(NDArrayIndex.interval((long) b * T + nPrefix, (long) (b + 1) * T), NDArrayIndex.all())
                    .assign(e.get(NDArrayIndex.interval((long) b * L, (long) (b + 1) * L), NDArrayIndex.all()));
            }
        }
        if (mask != null) {
            keyMask = new int[B][T];
            for (int b = 0; b < B; b++) {
                for (int i = 0; i < nPrefix; i++) keyMask[b][i] = 1;
                System.arraycopy(mask[b], 0, keyMask[b], nPrefix, L);
            }
        } else keyMask = null;
        x = inDrop.forwardInPlace(x, ctx);
        INDArray pos = rel.bias(T, T, 0);
        INDArray sb = buildBias(selfBias, dt, B, heads, T, T, pos, keyMask, decoder);
        INDArray cb = decoder ? buildBias(crossBias, dt, B, heads, T, S, null, encMask, false) : null;
        for (T5Block blk : blocks) x = blk.forward(x, B, T, sb, enc, S, cb, ctx);
        return outDrop.forwardInPlace(finalLn.forward(x), ctx);
    }

    /** @param dOut [B*T, d]; dEnc accumulates encoder-state gradients (decoder) @return d(input embeddings) */
    INDArray backward(INDArray dOut, INDArray dEnc) {
        INDArray g = finalLn.backward(outDrop.backward(dOut));
        boolean relGrad = rel.table().trainable();
        INDArray posAcc = relGrad ? Nd4j.zeros(g.dataType(), (long) heads * T * T) : null;
        for (int i = blocks.length - 1; i >= 0; i--) {
            g = blocks[i].backward(g, dEnc);
            if (relGrad) posAcc.addi(blocks[i].self.lastDScores().reshape(B, (long) heads * T * T).sum(0));
        }
        if (relGrad) rel.backward(posAcc.reshape(heads, T, T), 0);
        g = inDrop.backward(g);
        if (nPrefix == 0) {
            embed.backward(g);
            return g;
        }
        long d = g.size(1);
        INDArray tg = tokenGrad.get(g.dataType(), (long) B * L, d);
        for (int b = 0; b < B; b++) {
            INDArray rows = g.get(NDArrayIndex.interval((long) b * T, (long) b * T + nPrefix), NDArrayIndex.all());
            if (prefix.trainable()) prefix.grad().addi(rows);
            tg.get(NDArrayIndex.interval((long) b * L, (long) (b + 1) * L), NDArrayIndex.all())
                .assign(g.get(NDArrayIndex.interval((long) b * T + nPrefix, (long) (b + 1) * T), NDArrayIndex.all()));
        }
        embed.backward(tg);
        return g;
    }

    /** Generation: one new token per row at decoder position {@code pos}; returns final states [N, d]. */
    private INDArray stepBiasStore;   // grow-only float32 storage behind the decode step's [N, H, 1, len] bias

    /**
     * The decode step's self-attention bias [N, H, 1, len] (relative position bias of query position
     * {@code qPos} against keys 0..len-1; no mask is needed) written straight from the bucket table
     * into grow-only storage: the sequence grows by one key per step, and a fresh ND4J buffer per step
     * cost ~10% of decoding time in allocation.
     */
    private INDArray stepBiasFast(int n, int len, int qPos) {
        long need = (long) n * heads * len;
        if (stepBiasStore == null || stepBiasStore.length() < need)
            stepBiasStore = Nd4j.createUninitialized(DataType.FLOAT, Math.max(need, (long) n * heads * 128));
        INDArray view = Nd4j.create(stepBiasStore.data(), new long[]{n, heads, 1, len}, new long[]{(long) heads * len, len, len, 1}, 0, 'c');
        int[] bucket = rel.buckets(1, len, qPos);
        FloatBuffer t = Fast.fb(rel.table().value()), o = Fast.fb(stepBiasStore);
        int H = heads;
        for (int h = 0; h < H; h++)
            for (int j = 0; j < len; j++) {
                float v = t.get(bucket[j] * H + h);
                for (int b = 0; b < n; b++) o.put((b * H + h) * len + j, v);
            }
        return view;
    }

    INDArray step(int[] tokens, int pos, Attention.KvCache[] selfC, Attention.KvCache[] crossC, INDArray crossBiasN) {
        INDArray x = embed.forward(tokens);
        int n = tokens.length;
        INDArray sb = x.dataType() == DataType.FLOAT && Fast.plain(rel.table().value())
            ? stepBiasFast(n, pos + 1, pos)
            : buildBias(stepBias, x.dataType(), n, heads, 1, pos + 1, rel.bias(1, pos + 1, pos), null, false);
        for (int i = 0; i < blocks.length; i++) x = blocks[i].step(x, selfC[i], sb, crossC[i], crossBiasN);
        return finalLn.forward(x);
    }

    /**
     * bias[b, h, i, j] = pos[h, i, j] (if given) + MASK_MIN where key j is masked (keyMask[b][j] == 0)
     * or, when causal, where j > i.
     */
    static INDArray buildBias(Buf buf, DataType dt, int B, int H, int T, int S, INDArray pos, int[][] keyMask, boolean causal) {
        INDArray out = buf.get(dt, B, H, T, S);
        double[] p = pos == null ? null : pos.dup('c').data().asDouble();
        long n = (long) B * H * T * S;
        FloatBuffer fb = dt == DataType.FLOAT ? out.data().asNioFloat() : null;
        DoubleBuffer db = dt == DataType.DOUBLE ? out.data().asNioDouble() : null;
        if (fb == null && db == null) throw new IllegalArgumentException("unsupported type " + dt);
        int idx = 0;
        for (int b = 0; b < B; b++)
            for (int h = 0; h < H; h++)
                for (int i = 0; i < T; i++)
                    for (int j = 0; j < S; j++, idx++) {
                        double v = p == null ? 0.0 : p[(h * T + i) * S + j];
                        boolean masked = (keyMask != null && keyMask[b][j] == 0) || (causal && j > i);
                        if (fb != null) fb.put(idx, masked ? (float) v + (float) MASK_MIN : (float) v);
                        else db.put(idx, masked ? v + MASK_MIN : v);
                    }
        return out;
    }
}
