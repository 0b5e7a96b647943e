package io.peft4j.hf;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * SentencePiece's normalizer with the T5 settings: character rules from a precompiled charsmap
 * (longest match over UTF-8 bytes; {@code nmt_nfkc} for T5), {@code remove_extra_whitespaces}
 * (leading, trailing and repeated spaces dropped), {@code add_dummy_prefix} and
 * {@code escape_whitespaces} (space becomes U+2581).
 *
 * <p>Without a charsmap ("identity"), the character rule is a built-in whitespace fold: every
 * Unicode white or space-separator character, U+200B..U+200D and U+FEFF become a space; all other
 * characters stay as they are. That mode is what {@link UnigramTrainer}'s vocabularies use.
 *
 * <p>Thread-safe: no mutable state.
 */
public final class SpmNormalizer {
    static final String SPACE_SYMBOL = "\u2581";
    private static final byte[] SPACE_SYMBOL_BYTES = SPACE_SYMBOL.getBytes(StandardCharsets.UTF_8);
    private static final byte[] ONE_SPACE = {' '};

    private final PrecompiledCharsMap charsMap; // null: identity with whitespace folding

    public SpmNormalizer(PrecompiledCharsMap charsMap) { this.charsMap = charsMap; }

    boolean hasCharsMap() { return charsMap != null; }

    /** Normalizes {@code text} into the string the Viterbi segmentation works on ("" for blank input). */
    public String normalize(String text) {
        byte[] in = text.getBytes(StandardCharsets.UTF_8);
        int n = in.length;
        Prefix p = new Prefix();
        int pos = 0;
        // leading whitespace
        while (pos < n) {
            prefix(in, pos, n, p);
            if (!(p.len == 1 && p.src[p.start] == ' ')) break;
            pos += p.consumed;
        }
        if (pos >= n) return "";
        ByteOut out = new ByteOut(n * 3 / 2 + 8);
        out.append(SPACE_SYMBOL_BYTES, 0, SPACE_SYMBOL_BYTES.length); // dummy prefix
        boolean prevSpace = true;
        while (pos < n) {
            prefix(in, pos, n, p);
            int s = p.start, e = p.start + p.len;
            if (prevSpace) while (s < e && p.src[s] == ' ') s++;
            if (s < e) {
                for (int k = s; k < e; k++) {
                    byte b = p.src[k];
                    if (b == ' ') out.append(SPACE_SYMBOL_BYTES, 0, 3); else out.append(b);
                }
                prevSpace = p.src[e - 1] == ' ';
            }
            pos += p.consumed;
        }
        // trailing escaped spaces
        while (out.size >= 3 && out.endsWith(SPACE_SYMBOL_BYTES)) out.size -= 3;
        return new String(out.buf, 0, out.size, StandardCharsets.UTF_8);
    }

    /** One normalization step at {@code pos}: the replacement bytes and how many input bytes it consumed. */
    private void prefix(byte[] in, int pos, int end, Prefix p) {
        if (charsMap != null) {
            int len = charsMap.longestMatch(in, pos, end, p.tmp);
            if (len > 0) {
                byte[] blob = charsMap.normalizedBlob();
                int start = p.tmp[0];
                int stop = start;
                while (stop < blob.length && blob[stop] != 0) stop++;
                p.src = blob; p.start = start; p.len = stop - start; p.consumed = len;
                return;
            }
        }
        int clen = utf8Len(in, pos, end);
        if (clen <= 0) { // malformed UTF-8: one byte becomes U+FFFD
            p.src = REPLACEMENT; p.start = 0; p.len = REPLACEMENT.length; p.consumed = 1;
            return;
        }
        if (charsMap == null && isFoldedSpace(in, pos, clen)) {
            p.src = ONE_SPACE; p.start = 0; p.len = 1; p.consumed = clen;
            return;
        }
        p.src = in; p.start = pos; p.len = clen; p.consumed = clen;
    }

    private static final byte[] REPLACEMENT = "\uFFFD".getBytes(StandardCharsets.UTF_8);

    private static boolean isFoldedSpace(byte[] in, int pos, int clen) {
        int b0 = in[pos] & 0xff;
        int cp = switch (clen) {
            case 1 -> b0;
            case 2 -> (b0 & 0x1f) << 6 | (in[pos + 1] & 0x3f);
            case 3 -> (b0 & 0x0f) << 12 | (in[pos + 1] & 0x3f) << 6 | (in[pos + 2] & 0x3f);
            default -> (b0 & 0x07) << 18 | (in[pos + 1] & 0x3f) << 12 | (in[pos + 2] & 0x3f) << 6 | (in[pos + 3] & 0x3f);
        };
        return isFoldedSpace(cp);
    }

    /** The identity mode's whitespace rule (also used by the trainer). */
    public static boolean isFoldedSpace(int cp) {
        return Character.isWhitespace(cp) || Character.isSpaceChar(cp) || cp == 0x0085
            || (cp >= 0x200B && cp <= 0x200D) || cp == 0xFEFF;
    }

    /** Length of a valid UTF-8 character at pos, or 0 when malformed. */
    static int utf8Len(byte[] in, int pos, int end) {
        int b = in[pos] & 0xff;
        int len;
        if (b < 0x80) return 1;
        else if (b >= 0xC2 && b <= 0xDF) len = 2;
        else if (b >= 0xE0 && b <= 0xEF) len = 3;
        else if (b >= 0xF0 && b <= 0xF4) len = 4;
        else return 0;
        if (pos + len > end) return 0;
        for (int k = 1; k < len; k++) if ((in[pos + k] & 0xC0) != 0x80) return 0;
        return len;
    }

    private static final class Prefix {
        byte[] src; int start, len, consumed;
        final int[] tmp = new int[1];
    }

    private static final class ByteOut {
        byte[] buf; int size;
        ByteOut(int cap) { buf = new byte[Math.max(cap, 16)]; }
        void append(byte b) { if (size == buf.length) buf = Arrays.copyOf(buf, buf.length * 2); buf[size++] = b; }
        void append(byte[] b, int off, int len) {
            if (size + len > buf.length) buf = Arrays.copyOf(buf, Math.max(buf.length * 2, size + len));
            System.arraycopy(b, off, buf, size, len); size += len;
        }
        boolean endsWith(byte[] suf) {
            if (size < suf.length) return false;
            for (int i = 0; i < suf.length; i++) if (buf[size - suf.length + i] != suf[i]) return false;
            return true;
        }
    }
}
