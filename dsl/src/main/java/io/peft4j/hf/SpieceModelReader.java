package io.peft4j.hf;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads SentencePiece's {@code spiece.model} (a serialized {@code ModelProto}) with a small
 * protobuf wire-format parser of its own: {@code pieces} (1: piece 1, score 2, type 3),
 * {@code trainer_spec} (2: model_type 3, unk_id 40, bos_id 41, eos_id 42, pad_id 43) and
 * {@code normalizer_spec} (3: precompiled_charsmap 2, add_dummy_prefix 3,
 * remove_extra_whitespaces 4, escape_whitespaces 5). As Hugging Face's T5Tokenizer does, 100
 * sentinels {@code <extra_id_N>} are appended (id = pieces + 99 - N).
 */
final class SpieceModelReader {
    private SpieceModelReader() {}

    /** Sentinels appended after the SentencePiece pieces (T5Tokenizer's extra_ids). */
    static final int EXTRA_IDS = 100;

    static SentencePieceTokenizer read(Path file) throws IOException {
        byte[] data;
        try {
            data = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new TokenizerFileException(file, "file does not exist", e);
        }
        try {
            return parse(data, file.toString());
        } catch (IllegalArgumentException | IndexOutOfBoundsException e) {
            throw new TokenizerFileException(file, "not a valid SentencePiece model: " + e.getMessage(), e);
        }
    }

    static SentencePieceTokenizer parse(byte[] data, String source) {
        List<String> pieces = new ArrayList<>();
        List<Float> scores = new ArrayList<>();
        List<PieceType> types = new ArrayList<>();
        byte[] charsMap = null;
        int unkId = 0, eosId = 2, padId = -1, modelType = 1;
        boolean dummyPrefix = true, removeWs = true, escapeWs = true;
        Proto p = new Proto(data, 0, data.length);
        while (p.more()) {
            int tag = p.tag();
            int field = tag >>> 3, wire = tag & 7;
            if (field == 1 && wire == 2) {
                Proto sp = p.sub();
                String piece = null; float score = 0; int type = 1;
                while (sp.more()) {
                    int t = sp.tag();
                    if (t == (1 << 3 | 2)) piece = sp.string();
                    else if (t == (2 << 3 | 5)) score = Float.intBitsToFloat(sp.fixed32());
                    else if (t == (3 << 3)) type = (int) sp.varint();
                    else sp.skip(t & 7);
                }
                if (piece == null) throw new IllegalArgumentException("piece " + pieces.size() + " has no piece string");
                pieces.add(piece); scores.add(score); types.add(PieceType.fromProto(type));
            } else if (field == 2 && wire == 2) {
                Proto ts = p.sub();
                while (ts.more()) {
                    int t = ts.tag();
                    int f = t >>> 3;
                    if ((t & 7) == 0 && (f == 3 || (f >= 40 && f <= 43))) {
                        int val = (int) ts.varint();
                        switch (f) {
                            case 3 -> modelType = val;
                            case 40 -> unkId = val;
                            case 42 -> eosId = val;
                            case 43 -> padId = val;
                            default -> { }
                        }
                    } else ts.skip(t & 7);
                }
            } else if (field == 3 && wire == 2) {
                Proto ns = p.sub();
                while (ns.more()) {
                    int t = ns.tag();
                    if (t == (2 << 3 | 2)) charsMap = ns.bytes();
                    else if (t == (3 << 3)) dummyPrefix = ns.varint() != 0;
                    else if (t == (4 << 3)) removeWs = ns.varint() != 0;
                    else if (t == (5 << 3)) escapeWs = ns.varint() != 0;
                    else ns.skip(t & 7);
                }
            } else p.skip(wire);
        }
        if (pieces.isEmpty()) throw new IllegalArgumentException("no pieces");
        if (modelType != 1) throw new IllegalArgumentException("model_type " + modelType + " is not UNIGRAM (1)");
        if (!dummyPrefix || !removeWs || !escapeWs)
            throw new IllegalArgumentException("normalizer_spec must have add_dummy_prefix, remove_extra_whitespaces and escape_whitespaces true (T5's settings)");
        int n = pieces.size();
        if (unkId < 0 || unkId >= n || types.get(unkId) != PieceType.UNKNOWN)
            throw new IllegalArgumentException("trainer_spec.unk_id " + unkId + " is not an UNKNOWN piece");
        if (eosId < 0 || eosId >= n) throw new IllegalArgumentException("trainer_spec.eos_id " + eosId + " is outside [0, " + n + ")");
        if (padId >= n) throw new IllegalArgumentException("trainer_spec.pad_id " + padId + " is outside [0, " + n + ")");
        int v = n + EXTRA_IDS;
        String[] ps = new String[v]; float[] ss = new float[v]; PieceType[] ts = new PieceType[v];
        for (int i = 0; i < n; i++) { ps[i] = pieces.get(i); ss[i] = scores.get(i); ts[i] = types.get(i); }
        List<SentencePieceTokenizer.AddedToken> added = new ArrayList<>();
        for (int i = 0; i < n; i++)
            if (ts[i] == PieceType.CONTROL || ts[i] == PieceType.UNKNOWN)
                added.add(new SentencePieceTokenizer.AddedToken(ps[i], i, false, false));
        List<SentencePieceTokenizer.AddedToken> sentinels = SentencePieceTokenizer.sentinels(n, EXTRA_IDS);
        for (SentencePieceTokenizer.AddedToken a : sentinels) { ps[a.id()] = a.content(); ss[a.id()] = 0f; ts[a.id()] = PieceType.CONTROL; }
        added.addAll(sentinels);
        return new SentencePieceTokenizer(ps, ss, ts, unkId, padId, eosId, charsMap, added, source);
    }

    /** Minimal protobuf wire-format reader over a byte range. */
    private static final class Proto {
        final byte[] b; int pos; final int end;
        Proto(byte[] b, int pos, int end) { this.b = b; this.pos = pos; this.end = end; }
        boolean more() { return pos < end; }
        int tag() { return (int) varint(); }
        long varint() {
            long r = 0;
            for (int shift = 0; shift < 64; shift += 7) {
                if (pos >= end) throw new IllegalArgumentException("truncated varint at byte " + pos);
                int x = b[pos++] & 0xff;
                r |= (long) (x & 0x7f) << shift;
                if ((x & 0x80) == 0) return r;
            }
            throw new IllegalArgumentException("varint too long at byte " + pos);
        }
        int fixed32() {
            need(4);
            int v = (b[pos] & 0xff) | (b[pos + 1] & 0xff) << 8 | (b[pos + 2] & 0xff) << 16 | (b[pos + 3] & 0xff) << 24;
            pos += 4; return v;
        }
        int length() {
            long len = varint();
            if (len < 0 || len > end - pos) throw new IllegalArgumentException("length " + len + " at byte " + pos + " runs past the end (" + end + ")");
            return (int) len;
        }
        Proto sub() { int len = length(); Proto s = new Proto(b, pos, pos + len); pos += len; return s; }
        String string() { int len = length(); String s = new String(b, pos, len, StandardCharsets.UTF_8); pos += len; return s; }
        byte[] bytes() { int len = length(); byte[] r = java.util.Arrays.copyOfRange(b, pos, pos + len); pos += len; return r; }
        void need(int k) { if (pos + k > end) throw new IllegalArgumentException("truncated field at byte " + pos); }
        void skip(int wire) {
            switch (wire) {
                case 0 -> varint();
                case 1 -> { need(8); pos += 8; }
                case 2 -> { int len = length(); pos += len; }
                case 5 -> { need(4); pos += 4; }
                default -> throw new IllegalArgumentException("unsupported wire type " + wire + " at byte " + pos);
            }
        }
    }
}
