package io.peft4j.fuzz;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One edit of a valid file, as a record so that jqwik shrinks and prints it readably. Positions
 * are fractions in [0, 1) of the length of the part edited. For {@link Format#SAFETENSORS} the text
 * edits ({@link ReplaceNumber}, {@link ReplaceString}, {@link DeepNest}) apply to the JSON header and
 * then rewrite the 8-byte header length to match (so they reach the header validation rather than
 * stopping at the length check); byte edits apply to the whole file.
 */
sealed interface Mutation {
    /** How a file is laid out, so that text edits land in its JSON part. */
    enum Format { TEXT, SAFETENSORS, BINARY }

    byte[] apply(byte[] in, Format f);

    static int at(double frac, int len) { return len == 0 ? 0 : Math.min(len - 1, (int) (frac * len)); }

    record BitFlip(double at, int bit) implements Mutation {
        public byte[] apply(byte[] in, Format f) {
            if (in.length == 0) return in;
            byte[] out = in.clone();
            out[Mutation.at(at, in.length)] ^= (byte) (1 << bit);
            return out;
        }
    }

    record Truncate(double keep) implements Mutation {
        public byte[] apply(byte[] in, Format f) { return Arrays.copyOf(in, (int) (keep * in.length)); }
    }

    record DeleteRange(double at, int len) implements Mutation {
        public byte[] apply(byte[] in, Format f) {
            int p = Mutation.at(at, in.length), n = Math.min(len, in.length - p);
            byte[] out = new byte[in.length - n];
            System.arraycopy(in, 0, out, 0, p);
            System.arraycopy(in, p + n, out, p, in.length - p - n);
            return out;
        }
    }

    /** Inserts {@code bytes} (often not UTF-8: 0xFF, 0xC0 0x80, lone continuation bytes, huge varints). */
    record Insert(double at, byte[] bytes) implements Mutation {
        public byte[] apply(byte[] in, Format f) {
            int p = Mutation.at(at, in.length);
            byte[] out = new byte[in.length + bytes.length];
            System.arraycopy(in, 0, out, 0, p);
            System.arraycopy(bytes, 0, out, p, bytes.length);
            System.arraycopy(in, p, out, p + bytes.length, in.length - p);
            return out;
        }
        @Override public String toString() { return "Insert[at=" + at + ", bytes=" + Arrays.toString(bytes) + "]"; }
    }

    record Overwrite(double at, byte[] bytes) implements Mutation {
        public byte[] apply(byte[] in, Format f) {
            byte[] out = in.clone();
            int p = Mutation.at(at, in.length);
            for (int i = 0; i < bytes.length && p + i < out.length; i++) out[p + i] = bytes[i];
            return out;
        }
        @Override public String toString() { return "Overwrite[at=" + at + ", bytes=" + Arrays.toString(bytes) + "]"; }
    }

    /** Repeats a range of the file {@code times} times (grows files, duplicates keys and records). */
    record Duplicate(double at, int len, int times) implements Mutation {
        public byte[] apply(byte[] in, Format f) {
            int p = Mutation.at(at, in.length), n = Math.min(len, in.length - p);
            byte[] out = new byte[in.length + n * times];
            System.arraycopy(in, 0, out, 0, p + n);
            for (int k = 0; k < times; k++) System.arraycopy(in, p, out, p + n + k * n, n);
            System.arraycopy(in, p + n, out, p + n + n * times, in.length - p - n);
            return out;
        }
    }

    /** Sets the safetensors header length (bytes 0..7) to {@code value}; other formats: first 8 bytes. */
    record HeaderLength(long value) implements Mutation {
        public byte[] apply(byte[] in, Format f) {
            byte[] out = in.length < 8 ? Arrays.copyOf(in, 8) : in.clone();
            ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN).putLong(0, value);
            return out;
        }
    }

    Pattern NUMBER = Pattern.compile("-?\\d+(\\.\\d+)?([eE][-+]?\\d+)?");
    Pattern STRING = Pattern.compile("\"[^\"\\\\]*+(?:\\\\.[^\"\\\\]*+)*+\"");   // no per-character recursion

    /** Replaces the k-th number of the JSON text (mod the count) by {@code replacement}. */
    record ReplaceNumber(int k, String replacement) implements Mutation {
        public byte[] apply(byte[] in, Format f) { return Mutation.textEdit(in, f, NUMBER, k, replacement); }
    }

    /** Replaces the k-th quoted string of the JSON text (mod the count) by {@code replacement}. */
    record ReplaceString(int k, String replacement) implements Mutation {
        public byte[] apply(byte[] in, Format f) { return Mutation.textEdit(in, f, STRING, k, replacement); }
    }

    /** Replaces the k-th number by that number inside {@code depth} nested arrays or objects. */
    record DeepNest(int k, int depth, boolean objects) implements Mutation {
        public byte[] apply(byte[] in, Format f) {
            String open = objects ? "{\"a\":" : "[", close = objects ? "}" : "]";
            return Mutation.textEdit(in, f, NUMBER, k, open.repeat(depth) + "1" + close.repeat(depth));
        }
        @Override public String toString() { return "DeepNest[k=" + k + ", depth=" + depth + ", objects=" + objects + "]"; }
    }

    private static byte[] textEdit(byte[] in, Format f, Pattern p, int k, String replacement) {
        if (f == Format.BINARY) return in;
        int start = 0, end = in.length;
        if (f == Format.SAFETENSORS) {
            if (in.length < 8) return in;
            long len = ByteBuffer.wrap(in).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
            if (len < 0 || len > in.length - 8) return in;
            start = 8; end = 8 + (int) len;
        }
        String text = new String(in, start, end - start, StandardCharsets.ISO_8859_1);   // byte-preserving
        Matcher m = p.matcher(text);
        int count = 0;
        while (m.find()) count++;
        if (count == 0) return in;
        m.reset();
        int target = Math.floorMod(k, count);
        for (int i = 0; i <= target; i++) m.find();
        byte[] rep = replacement.getBytes(StandardCharsets.UTF_8);
        String edited = text.substring(0, m.start()) + new String(rep, StandardCharsets.ISO_8859_1) + text.substring(m.end());
        byte[] mid = edited.getBytes(StandardCharsets.ISO_8859_1);
        byte[] out = new byte[start + mid.length + (in.length - end)];
        System.arraycopy(in, 0, out, 0, start);
        System.arraycopy(mid, 0, out, start, mid.length);
        System.arraycopy(in, end, out, start + mid.length, in.length - end);
        if (f == Format.SAFETENSORS) ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN).putLong(0, mid.length);
        return out;
    }
}
