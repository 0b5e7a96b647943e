package io.peft4j.model.t5;

import io.peft4j.model.DecodingSession;
import io.peft4j.model.ForwardContext;
import io.peft4j.ops.Buf;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Arrays;

/**
 * T5's {@link DecodingSession}: the encoder runs once (its output repeated per copy), the decoder
 * keeps self-attention KV caches that grow by one position per step and cross-attention caches
 * computed once; every row starts with the decoder start token.
 */
final class T5Decoding implements DecodingSession {
    private final T5Model m;
    private final Attention.KvCache[] self, cross;
    private final INDArray crossBias;
    private final int n, start;
    private int pos;

    T5Decoding(T5Model m, int[][] ids, int[][] mask, int copies, int maxNewTokens) {
        this.m = m;
        int b = ids.length;
        n = b * copies;
        start = m.config().decoderStartTokenId();
        INDArray enc = m.encodeInternal(ids, mask);
        int s = m.encoderLength();
        int[][] km = m.encoderKeyMask();
        if (copies > 1) {
            int[] rep = new int[n];
            int[][] kmN = new int[n][];
            for (int i = 0; i < n; i++) { rep[i] = i / copies; kmN[i] = km[i / copies]; }
            long d = enc.size(1);
            enc = Nd4j.pullRows(enc.reshape(b, (long) s * d), 1, rep).reshape((long) n * s, d);
            km = kmN;
        }
        T5Stack dec = m.decoder;
        T5Config c = m.config();
        int capacity = maxNewTokens + 1;
        self = new Attention.KvCache[dec.blocks.length];
        cross = new Attention.KvCache[dec.blocks.length];
        for (int i = 0; i < dec.blocks.length; i++) {
            self[i] = new Attention.KvCache(m.dataType(), n, c.numHeads(), capacity, c.dKv());
            cross[i] = dec.blocks[i].cross.crossCache(enc, n, s);
        }
        crossBias = T5Stack.buildBias(new Buf(), m.dataType(), n, c.numHeads(), 1, s, null, km, false).dup();
    }

    @Override public int[][] prefix() {
        int[][] p = new int[n][1];
        for (int[] r : p) r[0] = start;
        return p;
    }

    @Override public double[][] first() {
        int[] tok = new int[n];
        Arrays.fill(tok, start);
        return next(tok);
    }

    @Override public double[][] next(int[] tokens) {
        INDArray h = m.decoder.step(tokens, pos++, self, cross, crossBias);
        if (m.headScale() != 1.0) h = h.mul(m.headScale());
        return m.lmHead.get().forward(h, ForwardContext.inference()).toDoubleMatrix();
    }

    @Override public void reorder(int[] rows) {
        for (Attention.KvCache c : self) c.reorder(rows);
    }
}
