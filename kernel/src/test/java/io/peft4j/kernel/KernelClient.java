package io.peft4j.kernel;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.zeromq.SocketType;
import org.zeromq.ZContext;
import org.zeromq.ZMQ;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** A minimal Jupyter client over JeroMQ, as jupyter_client would talk to the kernel. */
final class KernelClient implements AutoCloseable {
    static final ObjectMapper JSON = new ObjectMapper();

    /** A parsed incoming message. */
    record Msg(String type, Map<String, Object> header, Map<String, Object> parent, Map<String, Object> content) {
        String parentId() { return parent == null ? null : (String) parent.get("msg_id"); }
        @SuppressWarnings("unchecked") Map<String, Object> map(String key) { return (Map<String, Object>) content.get(key); }
    }

    /** Ports and key of one kernel connection. */
    record Conn(String ip, int shell, int control, int iopub, int stdin, int hb, String key) {
        static Conn freshLoopback() throws Exception {
            int[] p = new int[5];
            List<ServerSocket> held = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress());
                held.add(s);
                p[i] = s.getLocalPort();
            }
            for (ServerSocket s : held) s.close();
            return new Conn("127.0.0.1", p[0], p[1], p[2], p[3], p[4], UUID.randomUUID().toString());
        }

        Path write(Path dir) throws Exception {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("shell_port", shell); m.put("control_port", control); m.put("iopub_port", iopub);
            m.put("stdin_port", stdin); m.put("hb_port", hb); m.put("ip", ip); m.put("key", key);
            m.put("transport", "tcp"); m.put("signature_scheme", "hmac-sha256"); m.put("kernel_name", "peft4j");
            Path f = dir.resolve("kernel-" + shell + ".json");
            Files.writeString(f, JSON.writeValueAsString(m));
            return f;
        }
    }

    private final ZContext ctx = new ZContext();
    private final Conn conn;
    private final Mac mac;
    private final String session = UUID.randomUUID().toString();
    final ZMQ.Socket shell, control, iopub;

    KernelClient(Conn conn) throws Exception {
        this.conn = conn;
        this.mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(conn.key().getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        shell = dealer(conn.shell());
        control = dealer(conn.control());
        iopub = ctx.createSocket(SocketType.SUB);
        iopub.subscribe(new byte[0]);
        iopub.connect("tcp://" + conn.ip() + ":" + conn.iopub());
    }

    private ZMQ.Socket dealer(int port) {
        ZMQ.Socket s = ctx.createSocket(SocketType.DEALER);
        s.setIdentity(UUID.randomUUID().toString().getBytes(StandardCharsets.US_ASCII));
        s.setLinger(0);
        s.connect("tcp://" + conn.ip() + ":" + port);
        return s;
    }

    String sign(byte[]... parts) {
        mac.reset();
        for (byte[] p : parts) mac.update(p);
        return HexFormat.of().formatHex(mac.doFinal());
    }

    /** The four signed frames of a new request: header, parent, metadata, content. */
    byte[][] frames(String msgId, String type, Map<String, Object> content) throws Exception {
        Map<String, Object> header = new LinkedHashMap<>();
        header.put("msg_id", msgId); header.put("session", session); header.put("username", "test");
        header.put("date", Instant.now().toString()); header.put("msg_type", type); header.put("version", "5.3");
        return new byte[][]{JSON.writeValueAsBytes(header), "{}".getBytes(), "{}".getBytes(), JSON.writeValueAsBytes(content)};
    }

    String send(ZMQ.Socket s, String type, Map<String, Object> content) throws Exception {
        String id = UUID.randomUUID().toString();
        byte[][] f = frames(id, type, content);
        sendRaw(s, List.of("<IDS|MSG>".getBytes(), sign(f).getBytes(), f[0], f[1], f[2], f[3]));
        return id;
    }

    void sendRaw(ZMQ.Socket s, List<byte[]> frames) {
        for (int i = 0; i < frames.size(); i++) {
            if (i < frames.size() - 1) s.sendMore(frames.get(i)); else s.send(frames.get(i));
        }
    }

    String execute(String code) throws Exception {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("code", code); c.put("silent", false); c.put("store_history", true);
        c.put("user_expressions", Map.of()); c.put("allow_stdin", false); c.put("stop_on_error", true);
        return send(shell, "execute_request", c);
    }

    /** Next message on a socket, or null after timeoutMs. Verifies the kernel's signature. */
    Msg recv(ZMQ.Socket s, long timeoutMs) throws Exception {
        s.setReceiveTimeOut((int) timeoutMs);
        byte[] first = s.recv();
        if (first == null) return null;
        List<byte[]> frames = new ArrayList<>();
        frames.add(first);
        while (s.hasReceiveMore()) frames.add(s.recv());
        int d = 0;
        while (!new String(frames.get(d), StandardCharsets.ISO_8859_1).equals("<IDS|MSG>")) d++;
        String sig = new String(frames.get(d + 1), StandardCharsets.US_ASCII);
        if (!sig.equals(sign(frames.get(d + 2), frames.get(d + 3), frames.get(d + 4), frames.get(d + 5)))) {
            throw new AssertionError("kernel sent a message with a bad signature");
        }
        TypeReference<Map<String, Object>> t = new TypeReference<>() {};
        Map<String, Object> header = JSON.readValue(frames.get(d + 2), t);
        return new Msg((String) header.get("msg_type"), header, JSON.readValue(frames.get(d + 3), t),
                JSON.readValue(frames.get(d + 5), t));
    }

    /** The reply to {@code msgId} on {@code s}, skipping replies to other requests. */
    Msg reply(ZMQ.Socket s, String msgId, long timeoutMs) throws Exception {
        long end = System.currentTimeMillis() + timeoutMs;
        while (System.currentTimeMillis() < end) {
            Msg m = recv(s, Math.max(1, end - System.currentTimeMillis()));
            if (m != null && msgId.equals(m.parentId())) return m;
        }
        throw new AssertionError("no reply to " + msgId + " within " + timeoutMs + " ms");
    }

    /** iopub messages for {@code msgId} up to and including its idle status. */
    List<Msg> iopubUntilIdle(String msgId, long timeoutMs) throws Exception {
        List<Msg> out = new ArrayList<>();
        long end = System.currentTimeMillis() + timeoutMs;
        while (System.currentTimeMillis() < end) {
            Msg m = recv(iopub, Math.max(1, end - System.currentTimeMillis()));
            if (m == null || !msgId.equals(m.parentId())) continue;
            out.add(m);
            if (m.type().equals("status") && "idle".equals(m.content().get("execution_state"))) return out;
        }
        throw new AssertionError("no idle status for " + msgId + " within " + timeoutMs + " ms; got " + out);
    }

    /** kernel_info until iopub delivers its status (the SUB socket has joined). */
    Msg waitReady(long timeoutMs) throws Exception {
        long end = System.currentTimeMillis() + timeoutMs;
        while (System.currentTimeMillis() < end) {
            String id = send(shell, "kernel_info_request", Map.of());
            Msg reply = reply(shell, id, Math.max(1, end - System.currentTimeMillis()));
            long until = System.currentTimeMillis() + 300;
            while (System.currentTimeMillis() < until) {
                Msg m = recv(iopub, 50);
                if (m != null && id.equals(m.parentId())) return reply;
            }
        }
        throw new AssertionError("kernel not ready within " + timeoutMs + " ms");
    }

    @Override public void close() { ctx.close(); }
}
