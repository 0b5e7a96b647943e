package io.peft4j.hf.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A {@code tokenizer.json} decoder: the token strings of the ids (special ones already dropped when
 * asked) in, strings out, joined at the end. Each step works as tokenizers' {@code decode_chain}.
 */
sealed interface Decoder {
    List<String> decodeChain(List<String> tokens);

    /** Joins the tokens, maps characters back to bytes and decodes them lossily as UTF-8. */
    record Bytes() implements Decoder {
        @Override public List<String> decodeChain(List<String> tokens) {
            ByteLevel.ByteSink sink = new ByteLevel.ByteSink();
            for (String t : tokens) ByteLevel.appendBytes(t, sink);
            byte[] b = sink.toByteArray();
            return List.of(Utf8.decodeLossy(b, 0, b.length));
        }
    }

    /** Replacement character to space; on the first token it is dropped unless the scheme is "never". */
    record Metaspace(char replacement, String prependScheme) implements Decoder {
        @Override public List<String> decodeChain(List<String> tokens) {
            List<String> out = new ArrayList<>(tokens.size());
            boolean dropFirst = !prependScheme.equals("never");
            for (int i = 0; i < tokens.size(); i++) {
                String t = tokens.get(i);
                StringBuilder sb = new StringBuilder(t.length());
                for (int k = 0; k < t.length(); k++) {
                    char c = t.charAt(k);
                    if (c == replacement) {
                        if (!(i == 0 && dropFirst)) sb.append(' ');
                    } else {
                        sb.append(c);
                    }
                }
                out.add(sb.toString());
            }
            return out;
        }
    }

    /** Replaces a pattern in each token. */
    record Replace(Pattern pattern, String content) implements Decoder {
        @Override public List<String> decodeChain(List<String> tokens) {
            List<String> out = new ArrayList<>(tokens.size());
            for (String t : tokens) {
                if (t.isEmpty()) { out.add(t); continue; }
                Matcher m = pattern.matcher(Regexes.input(pattern, t));
                StringBuilder sb = new StringBuilder(t.length());
                int prev = 0;
                while (m.find()) {
                    if (m.end() == m.start()) continue;
                    sb.append(t, prev, m.start()).append(content);
                    prev = m.end();
                }
                out.add(sb.append(t, prev, t.length()).toString());
            }
            return out;
        }
    }

    /**
     * {@code <0xNN>} tokens become their bytes: a run of them is decoded as UTF-8 when valid, else
     * each byte becomes U+FFFD.
     */
    record ByteFallback() implements Decoder {
        @Override public List<String> decodeChain(List<String> tokens) {
            List<String> out = new ArrayList<>(tokens.size());
            ByteLevel.ByteSink run = new ByteLevel.ByteSink();
            for (String t : tokens) {
                int b = byteOfToken(t);
                if (b >= 0) { run.write(b); continue; }
                flush(run, out);
                out.add(t);
            }
            flush(run, out);
            return out;
        }

        private static void flush(ByteLevel.ByteSink run, List<String> out) {
            if (run.size() == 0) return;
            String s = Utf8.decodeStrict(run.toByteArray());
            if (s != null) out.add(s);
            else for (int i = 0; i < run.size(); i++) out.add("\uFFFD");
            run.reset();
        }

        /** The byte of a {@code <0xNN>} token (Rust's u8::from_str_radix on the two characters), else -1. */
        static int byteOfToken(String t) {
            if (t.length() != 6 || !t.startsWith("<0x") || t.charAt(5) != '>') return -1;
            char a = t.charAt(3), b = t.charAt(4);
            if (a == '+') return Character.digit(b, 16) >= 0 && b < 128 ? Character.digit(b, 16) : -1;
            if (a >= 128 || b >= 128) return -1;
            int hi = Character.digit(a, 16), lo = Character.digit(b, 16);
            return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
        }
    }

    /** Joins all tokens into one. */
    record Fuse() implements Decoder {
        @Override public List<String> decodeChain(List<String> tokens) { return List.of(String.join("", tokens)); }
    }

    /** Removes up to {@code start} leading and {@code stop} trailing copies of a character from each token. */
    record Strip(char content, int start, int stop) implements Decoder {
        @Override public List<String> decodeChain(List<String> tokens) {
            List<String> out = new ArrayList<>(tokens.size());
            for (String t : tokens) {
                int[] cps = t.codePoints().toArray();
                int startCut = 0;
                for (int i = 0; i < Math.min(start, cps.length); i++) {
                    if (cps[i] == content) startCut = i + 1;
                    else break;
                }
                int stopCut = cps.length;
                for (int i = 0; i < Math.min(stop, cps.length); i++) {
                    int index = cps.length - i - 1;
                    if (cps[index] == content) stopCut = index;
                    else break;
                }
                if (stopCut < startCut) stopCut = startCut;
                out.add(new String(cps, startCut, stopCut - startCut));
            }
            return out;
        }
    }

    /** Decoders applied in order. */
    record Sequence(List<Decoder> steps) implements Decoder {
        public Sequence { steps = List.copyOf(steps); }

        @Override public List<String> decodeChain(List<String> tokens) {
            for (Decoder d : steps) tokens = d.decodeChain(tokens);
            return tokens;
        }
    }
}
