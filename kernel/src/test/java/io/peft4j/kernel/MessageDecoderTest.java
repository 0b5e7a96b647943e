package io.peft4j.kernel;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The decoder behind {@link GuardedShellChannel}: signatures are checked before any JSON is
 * parsed, every hostile frame set gives a rejection (never an exception that would end the
 * receiving thread), and rejection reasons never carry the key or a valid signature.
 */
class MessageDecoderTest {
    static final String KEY = "s3cr3t-key-0123456789";

    static byte[] b(String s) { return s.getBytes(StandardCharsets.UTF_8); }

    static List<byte[]> frames(MessageDecoder d, String header, String content, String sigOverride) {
        byte[] h = b(header), p = b("{}"), m = b("{}"), c = b(content);
        String sig = sigOverride != null ? sigOverride : d.sign(h, p, m, c);
        return new ArrayList<>(List.of(b("client-1"), MessageDecoder.DELIMITER, b(sig), h, p, m, c));
    }

    static final String HEADER = "{\"msg_id\":\"1\",\"session\":\"s\",\"username\":\"u\",\"date\":\"2024-01-01T00:00:00.000Z\",\"msg_type\":\"kernel_info_request\",\"version\":\"5.3\"}";

    @Test void validSignedMessageDecodes() throws Exception {
        MessageDecoder d = new MessageDecoder("hmac-sha256", KEY);
        MessageDecoder.Decoded r = d.decode(frames(d, HEADER, "{}", null));
        assertTrue(r.ok(), r.rejected());
    }

    @Test void badMissingOrForeignSignaturesAreRejectedWithoutLeakingSecrets() throws Exception {
        MessageDecoder d = new MessageDecoder("hmac-sha256", KEY);
        String good = new String(frames(d, HEADER, "{}", null).get(2), StandardCharsets.US_ASCII);
        char flipped = good.charAt(10) == 'a' ? 'b' : 'a';
        String bad = good.substring(0, 10) + flipped + good.substring(11);
        MessageDecoder other = new MessageDecoder("hmac-sha256", "another key");
        String foreign = new String(frames(other, HEADER, "{}", null).get(2), StandardCharsets.US_ASCII);
        for (String sig : new String[]{bad, "", good.substring(0, 63), good + "0", good.toUpperCase(), foreign}) {
            MessageDecoder.Decoded r = d.decode(frames(d, HEADER, "{}", sig));
            assertFalse(r.ok(), "accepted signature " + sig);
            assertTrue(r.rejected().equals("bad signature") || r.rejected().equals("missing signature"), r.rejected());
            assertFalse(r.rejected().contains(KEY) || r.rejected().contains(good), r.rejected());
        }
    }

    @Test void signatureIsCheckedBeforeParsing() throws Exception {
        MessageDecoder d = new MessageDecoder("hmac-sha256", KEY);
        // unsigned garbage must be rejected for its signature, i.e. before any JSON parser sees it
        assertEquals("bad signature", d.decode(frames(d, "{not json", "[[[[", "00")).rejected());
    }

    @Test void malformedOversizedAndDeepFramesAreRejectedNotThrown() throws Exception {
        MessageDecoder d = new MessageDecoder("hmac-sha256", KEY);
        String deep = "[".repeat(200_000) + "]".repeat(200_000);
        String[][] cases = {
            {"{not json", "{}"}, {HEADER, "{not json"}, {"{\"msg_type\":\"no_such_request\"}", "{}"},
            {"{\"msg_type\":{\"x\":1}}", "{}"}, {"[]", "{}"}, {HEADER, deep}, {deep, "{}"},
            {HEADER, "{\"code\":\"" + "x".repeat(8 << 20) + "\"}"},   // 8 MiB content: parsed or rejected, no crash
            {"{\"msg_type\":\"\\u0000\\u001b[31m" + "y".repeat(500) + "\"}", "{}"},
        };
        for (String[] c : cases) {
            MessageDecoder.Decoded r = assertDoesNotThrow(() -> d.decode(frames(d, c[0], c[1], null)));
            if (r.ok()) continue;
            assertTrue(r.rejected().length() < 200 && r.rejected().chars().allMatch(ch -> ch >= 0x20 && ch < 0x7f), r.rejected());
        }
        assertFalse(d.decode(List.of(b("a"), b("b"))).ok());                       // no delimiter
        assertFalse(d.decode(List.of(MessageDecoder.DELIMITER, b("x"))).ok());     // too few frames
    }

    @Test void randomFramesNeverThrow() throws Exception {
        MessageDecoder d = new MessageDecoder("hmac-sha256", KEY);
        MessageDecoder open = new MessageDecoder("hmac-sha256", "");   // no key: JSON parsing reached every time
        Random rnd = new Random(42);
        String[] pieces = {"{", "}", "[", "]", "\"", ":", ",", "msg_type", "\"execute_request\"", "null", "1e999", "\\u", "\u00ff", "-"};
        for (int i = 0; i < 5_000; i++) {
            List<byte[]> fr = frames(open, HEADER, "{}", "");
            int k = 3 + rnd.nextInt(4);
            StringBuilder sb = new StringBuilder();
            for (int j = rnd.nextInt(40); j > 0; j--) sb.append(pieces[rnd.nextInt(pieces.length)]);
            fr.set(k, b(sb.toString()));
            assertDoesNotThrow(() -> open.decode(fr));
            assertDoesNotThrow(() -> d.decode(fr));
        }
    }
}
