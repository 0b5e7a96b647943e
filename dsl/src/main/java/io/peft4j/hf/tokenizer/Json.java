package io.peft4j.hf.tokenizer;

import com.fasterxml.jackson.databind.ObjectMapper;

/** Shared JSON helpers of the tokenizer readers. */
final class Json {
    private Json() {}

    static final ObjectMapper MAPPER = new ObjectMapper();

    static String firstLine(String s) {
        if (s == null) return "";
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    static String abbreviate(String s) { return s.length() > 60 ? s.substring(0, 60) + "..." : s; }
}
