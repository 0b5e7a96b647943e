package io.peft4j.kernel;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.reflect.TypeToken;
import io.github.spencerpark.jupyter.messages.Header;
import io.github.spencerpark.jupyter.messages.KernelTimestamp;
import io.github.spencerpark.jupyter.messages.Message;
import io.github.spencerpark.jupyter.messages.MessageType;
import io.github.spencerpark.jupyter.messages.adapters.HeaderAdapter;
import io.github.spencerpark.jupyter.messages.adapters.HistoryRequestAdapter;
import io.github.spencerpark.jupyter.messages.adapters.KernelTimestampAdapter;
import io.github.spencerpark.jupyter.messages.adapters.MessageTypeAdapter;
import io.github.spencerpark.jupyter.messages.adapters.PublishStatusAdapter;
import io.github.spencerpark.jupyter.messages.publish.PublishStatus;
import io.github.spencerpark.jupyter.messages.request.HistoryRequest;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.lang.reflect.Type;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * Turns the frames of one ZeroMQ multipart message into a Jupyter {@link Message}, or says why it
 * must be dropped. Unlike basekernel's reader it never throws: a bad or missing HMAC signature
 * (checked in constant time), a missing delimiter, too few frames, malformed JSON or an unknown
 * message type all give a {@link Decoded#rejected() rejection} with a short reason that contains
 * neither the key nor the signature.
 *
 * <p>One instance per receiving thread ({@link Mac} is not thread-safe).
 */
final class MessageDecoder {
    static final byte[] DELIMITER = "<IDS|MSG>".getBytes(StandardCharsets.US_ASCII);
    private static final Type MAP_TYPE = new TypeToken<Map<String, Object>>() {}.getType();
    static final Gson GSON = new GsonBuilder()
            .registerTypeAdapter(KernelTimestamp.class, KernelTimestampAdapter.INSTANCE)
            .registerTypeAdapter(Header.class, HeaderAdapter.INSTANCE)
            .registerTypeAdapter(MessageType.class, MessageTypeAdapter.INSTANCE)
            .registerTypeAdapter(PublishStatus.class, PublishStatusAdapter.INSTANCE)
            .registerTypeAdapter(HistoryRequest.class, HistoryRequestAdapter.INSTANCE)
            .create();

    /** Either a message or the reason it was rejected. */
    record Decoded(Message<?> message, String rejected) {
        static Decoded reject(String why) { return new Decoded(null, why); }
        boolean ok() { return message != null; }
    }

    private final Mac mac; // null: the connection file has an empty key (no authentication)

    MessageDecoder(String signatureScheme, String key) throws GeneralSecurityException {
        if (key == null || key.isEmpty()) {
            this.mac = null;
        } else {
            if (!"hmac-sha256".equalsIgnoreCase(signatureScheme)) {
                throw new GeneralSecurityException("unsupported signature_scheme '" + signatureScheme
                        + "'; valid: hmac-sha256");
            }
            this.mac = Mac.getInstance("HmacSHA256");
            this.mac.init(new SecretKeySpec(key.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        }
    }

    /** Hex HMAC-SHA256 over header, parent header, metadata and content ("" without a key). */
    String sign(byte[]... parts) {
        if (mac == null) return "";
        mac.reset();
        for (byte[] p : parts) mac.update(p);
        return HexFormat.of().formatHex(mac.doFinal());
    }

    Decoded decode(List<byte[]> frames) {
        int delim = -1;
        for (int i = 0; i < frames.size(); i++) {
            if (Arrays.equals(DELIMITER, frames.get(i))) { delim = i; break; }
        }
        if (delim < 0) return Decoded.reject("no <IDS|MSG> delimiter");
        if (frames.size() - delim - 1 < 5) return Decoded.reject("too few frames (" + (frames.size() - delim - 1) + " after delimiter, need 5)");
        List<byte[]> identities = new ArrayList<>(frames.subList(0, delim));
        byte[] sig = frames.get(delim + 1);
        byte[] header = frames.get(delim + 2), parent = frames.get(delim + 3),
               metadata = frames.get(delim + 4), content = frames.get(delim + 5);
        if (mac != null) {
            byte[] expected = sign(header, parent, metadata, content).getBytes(StandardCharsets.US_ASCII);
            if (sig.length == 0) return Decoded.reject("missing signature");
            if (!MessageDigest.isEqual(expected, sig)) return Decoded.reject("bad signature");
        }
        List<byte[]> buffers = new ArrayList<>(frames.subList(delim + 6, frames.size()));
        for (byte[] part : new byte[][]{header, parent, metadata, content})
            if (nestingDepth(part) > MAX_DEPTH) return Decoded.reject("JSON nested deeper than " + MAX_DEPTH);
        try {
            JsonObject rawHeader = GSON.fromJson(utf8(header), JsonObject.class);
            if (rawHeader == null || !rawHeader.has("msg_type") || !rawHeader.get("msg_type").isJsonPrimitive()) {
                return Decoded.reject("header without msg_type");
            }
            String typeName = rawHeader.get("msg_type").getAsString();
            MessageType<?> type = MessageType.getType(typeName);
            if (type == null || type == MessageType.UNKNOWN) return Decoded.reject("unknown msg_type '" + printable(typeName) + "'");
            Header<?> h = GSON.fromJson(rawHeader, Header.class);
            if (h == null || h.getType() == null) return Decoded.reject("unreadable header");
            Header<?> parentHeader = null;
            JsonElement p = GSON.fromJson(utf8(parent), JsonElement.class);
            if (p != null && p.isJsonObject() && p.getAsJsonObject().size() > 0) parentHeader = GSON.fromJson(p, Header.class);
            Map<String, Object> meta = GSON.fromJson(utf8(metadata), MAP_TYPE);
            Object body = GSON.fromJson(utf8(content), type.getContentType());
            if (body == null) return Decoded.reject("empty content for " + typeName);
            @SuppressWarnings({"rawtypes", "unchecked"})
            Message<?> m = new Message(identities, h, parentHeader, meta, body, buffers);
            return new Decoded(m, null);
        } catch (RuntimeException e) {
            return Decoded.reject("malformed JSON (" + e.getClass().getSimpleName() + ")");
        }
    }

    /** Deepest JSON nesting accepted (Gson parses recursively: deeper input overflows the stack). */
    static final int MAX_DEPTH = 256;

    /** Maximum depth of '[' / '{' outside string literals (a cheap scan before parsing). */
    static int nestingDepth(byte[] json) {
        int depth = 0, max = 0;
        boolean inString = false;
        for (int i = 0; i < json.length; i++) {
            byte c = json[i];
            if (inString) {
                if (c == '\\') i++;
                else if (c == '"') inString = false;
            } else if (c == '"') inString = true;
            else if (c == '[' || c == '{') max = Math.max(max, ++depth);
            else if (c == ']' || c == '}') depth--;
        }
        return max;
    }

    private static String utf8(byte[] b) { return new String(b, StandardCharsets.UTF_8); }

    /** Attacker-controlled text made safe for a log line. */
    static String printable(String s) {
        String t = s.length() > 64 ? s.substring(0, 64) + "..." : s;
        return t.replaceAll("[^\\x20-\\x7E]", "?");
    }
}
