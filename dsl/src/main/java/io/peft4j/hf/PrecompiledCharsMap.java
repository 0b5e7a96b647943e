package io.peft4j.hf;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * SentencePiece's precompiled normalization map ({@code precompiled_charsmap}): a darts-clone
 * double-array trie over UTF-8 byte sequences whose values are offsets into a blob of
 * NUL-terminated replacement strings.
 *
 * <p>Blob layout: a little-endian uint32 {@code trieBytes}, then {@code trieBytes} bytes of
 * double-array units (little-endian uint32 each), then the replacement strings.
 *
 * <p>A unit packs: bit 8 = has-leaf, bits 0-7 (with bit 31) = label, value = low 31 bits (for leaf
 * units), offset = {@code (unit >>> 10) << ((unit & (1 << 9)) >>> 6)}.
 */
final class PrecompiledCharsMap {
    private final int[] units;
    private final byte[] normalized;

    private PrecompiledCharsMap(int[] units, byte[] normalized) {
        this.units = units;
        this.normalized = normalized;
    }

    /**
     * Decodes a charsmap blob.
     *
     * @throws IllegalArgumentException where the blob is too short or its sizes are inconsistent
     */
    static PrecompiledCharsMap decode(byte[] blob) {
        if (blob.length < 4) throw new IllegalArgumentException("precompiled charsmap has " + blob.length + " bytes, needs at least 4");
        ByteBuffer bb = ByteBuffer.wrap(blob).order(ByteOrder.LITTLE_ENDIAN);
        long trieSize = bb.getInt() & 0xffffffffL;
        if (trieSize % 4 != 0 || trieSize > blob.length - 4L || trieSize == 0)
            throw new IllegalArgumentException("precompiled charsmap trie size " + trieSize + " is invalid for a blob of " + blob.length + " bytes");
        int[] units = new int[(int) (trieSize / 4)];
        for (int i = 0; i < units.length; i++) units[i] = bb.getInt();
        byte[] normalized = new byte[blob.length - 4 - (int) trieSize];
        bb.get(normalized);
        return new PrecompiledCharsMap(units, normalized);
    }

    private static int offset(int unit) { return (unit >>> 10) << ((unit & (1 << 9)) >>> 6); }
    private static boolean hasLeaf(int unit) { return ((unit >>> 8) & 1) == 1; }
    private static int label(int unit) { return unit & ((1 << 31) | 0xff); }
    private static int value(int unit) { return unit & 0x7fffffff; }

    /**
     * Longest rule matching a prefix of {@code in[pos..end)}.
     *
     * @param out receives {@code [valueOffset]} of the replacement string on a match
     * @return the matched length in bytes, 0 when no rule applies
     */
    int longestMatch(byte[] in, int pos, int end, int[] out) {
        int nodePos = 0;
        int unit = units[0];
        nodePos ^= offset(unit);
        int best = 0;
        for (int i = pos; i < end; i++) {
            int c = in[i] & 0xff;
            nodePos ^= c;
            if (nodePos < 0 || nodePos >= units.length) return best;
            unit = units[nodePos];
            if (label(unit) != c) return best;
            nodePos ^= offset(unit);
            if (hasLeaf(unit)) {
                if (nodePos < 0 || nodePos >= units.length) return best;
                best = i + 1 - pos;
                out[0] = value(units[nodePos]);
            }
        }
        return best;
    }

    /** Start of the replacement string at {@code offset}; its end is the next NUL. */
    byte[] normalizedBlob() { return normalized; }
}
