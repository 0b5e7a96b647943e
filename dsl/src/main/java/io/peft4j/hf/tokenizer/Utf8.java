package io.peft4j.hf.tokenizer;

/**
 * Lossy UTF-8 decoding exactly as Rust's {@code String::from_utf8_lossy} (which Hugging Face's
 * ByteLevel decoder uses): each maximal prefix of a would-be valid sequence that breaks off becomes
 * one U+FFFD, and a byte that cannot start a sequence becomes one U+FFFD.
 */
final class Utf8 {
    private Utf8() {}

    static final char REPLACEMENT = '\uFFFD';

    static String decodeLossy(byte[] b, int off, int len) {
        StringBuilder sb = new StringBuilder(len);
        int i = off, end = off + len;
        while (i < end) {
            int c = b[i] & 0xFF;
            if (c < 0x80) { sb.append((char) c); i++; continue; }
            int need, lo = 0x80, hi = 0xBF, cp;
            if (c >= 0xC2 && c <= 0xDF) { need = 1; cp = c & 0x1F; }
            else if (c >= 0xE0 && c <= 0xEF) {
                need = 2; cp = c & 0x0F;
                if (c == 0xE0) lo = 0xA0;
                else if (c == 0xED) hi = 0x9F;
            } else if (c >= 0xF0 && c <= 0xF4) {
                need = 3; cp = c & 0x07;
                if (c == 0xF0) lo = 0x90;
                else if (c == 0xF4) hi = 0x8F;
            } else { sb.append(REPLACEMENT); i++; continue; }
            int j = i + 1;
            boolean ok = true;
            for (int k = 0; k < need; k++, j++) {
                int d = j < end ? b[j] & 0xFF : -1;
                int l = k == 0 ? lo : 0x80, h = k == 0 ? hi : 0xBF;
                if (d < l || d > h) { ok = false; break; }
                cp = cp << 6 | (d & 0x3F);
            }
            if (ok) { sb.appendCodePoint(cp); i = j; }
            else { sb.append(REPLACEMENT); i = j; }   // j is the first byte that broke the sequence
        }
        return sb.toString();
    }

    /** Strict decoding: the string, or null when {@code b} is not valid UTF-8. */
    static String decodeStrict(byte[] b) {
        try {
            return java.nio.charset.StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
                .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT)
                .decode(java.nio.ByteBuffer.wrap(b)).toString();
        } catch (java.nio.charset.CharacterCodingException e) {
            return null;
        }
    }
}
