package io.peft4j.hf.tokenizer;

import java.nio.charset.StandardCharsets;

/**
 * GPT-2's {@code bytes_to_unicode}: every byte maps to one printable character, so a byte-level
 * BPE vocabulary is a set of ordinary strings. Printable ASCII {@code !..~} and Latin-1
 * {@code ¡..¬}, {@code ®..ÿ} map to themselves; the other 68 bytes map, in byte order, to
 * U+0100, U+0101, ... (space 0x20 becomes {@code Ġ} U+0120, newline 0x0A becomes {@code Ċ} U+010A).
 */
public final class ByteLevel {
    private ByteLevel() {}

    private static final char[] BYTE_TO_CHAR = new char[256];
    private static final int[] CHAR_TO_BYTE = new int[512];   // -1 where a char is no byte's image

    static {
        java.util.Arrays.fill(CHAR_TO_BYTE, -1);
        int n = 0;
        for (int b = 0; b < 256; b++) {
            boolean keep = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            char c = keep ? (char) b : (char) (256 + n++);
            BYTE_TO_CHAR[b] = c;
            CHAR_TO_BYTE[c] = b;
        }
    }

    /** The character standing for byte {@code b} (0..255). */
    public static char charOf(int b) { return BYTE_TO_CHAR[b & 0xFF]; }

    /** The byte a character stands for, or -1 when it stands for none. */
    public static int byteOf(char c) { return c < CHAR_TO_BYTE.length ? CHAR_TO_BYTE[c] : -1; }

    /** {@code s} as UTF-8 bytes, each written as its character. Lone surrogates count as U+FFFD. */
    public static String encode(CharSequence s) {
        int n = s.length();
        StringBuilder sb = new StringBuilder(n + 8);
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c < 0x80) { sb.append(BYTE_TO_CHAR[c]); continue; }
            int cp;
            if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
                cp = Character.toCodePoint(c, s.charAt(++i));
            } else if (Character.isSurrogate(c)) {
                cp = 0xFFFD;
            } else {
                cp = c;
            }
            if (cp < 0x800) {
                sb.append(BYTE_TO_CHAR[0xC0 | cp >> 6]).append(BYTE_TO_CHAR[0x80 | cp & 0x3F]);
            } else if (cp < 0x10000) {
                sb.append(BYTE_TO_CHAR[0xE0 | cp >> 12]).append(BYTE_TO_CHAR[0x80 | cp >> 6 & 0x3F])
                  .append(BYTE_TO_CHAR[0x80 | cp & 0x3F]);
            } else {
                sb.append(BYTE_TO_CHAR[0xF0 | cp >> 18]).append(BYTE_TO_CHAR[0x80 | cp >> 12 & 0x3F])
                  .append(BYTE_TO_CHAR[0x80 | cp >> 6 & 0x3F]).append(BYTE_TO_CHAR[0x80 | cp & 0x3F]);
            }
        }
        return sb.toString();
    }

    /**
     * Appends the bytes a token stands for: its characters' bytes when every character is a byte's
     * image, else the token's own UTF-8 bytes (how Hugging Face's ByteLevel decoder treats added
     * tokens such as {@code <|im_end|>} whose characters are not all byte images).
     */
    static void appendBytes(String token, ByteSink out) {
        int n = token.length();
        for (int i = 0; i < n; i++) {
            if (byteOf(token.charAt(i)) < 0) {
                out.write(token.getBytes(StandardCharsets.UTF_8));
                return;
            }
        }
        for (int i = 0; i < n; i++) out.write(byteOf(token.charAt(i)));
    }

    /** Growable byte buffer. */
    static final class ByteSink {
        private byte[] a = new byte[64];
        private int n;

        void write(int b) {
            if (n == a.length) a = java.util.Arrays.copyOf(a, n * 2);
            a[n++] = (byte) b;
        }

        void write(byte[] b) { for (byte x : b) write(x); }

        int size() { return n; }

        byte[] toByteArray() { return java.util.Arrays.copyOf(a, n); }

        void reset() { n = 0; }
    }
}
