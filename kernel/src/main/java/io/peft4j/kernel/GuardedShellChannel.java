package io.peft4j.kernel;

import io.github.spencerpark.jupyter.channels.ShellChannel;
import io.github.spencerpark.jupyter.channels.ShellHandler;
import io.github.spencerpark.jupyter.channels.ShellReplyEnvironment;
import io.github.spencerpark.jupyter.kernel.KernelConnectionProperties;
import io.github.spencerpark.jupyter.messages.HMACGenerator;
import io.github.spencerpark.jupyter.messages.Message;
import org.zeromq.ZMQ;

import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A shell or control channel that survives hostile input. basekernel's own loop dies on the first
 * message with a bad signature (uncaught SecurityException) or malformed JSON; this one reads the
 * frames itself, lets a {@link MessageDecoder} validate them, logs and drops what is rejected, and
 * keeps serving. Handler failures are logged too and never end the loop.
 */
final class GuardedShellChannel extends ShellChannel {
    /** Larger messages make JeroMQ drop the sending peer instead of buffering them. */
    static final long MAX_MESSAGE_BYTES = 64L << 20;
    static final int MAX_FRAMES = 1_000;

    private final String name;
    private final GuardedConnection connection;
    private final MessageDecoder decoder;
    private final Logger log;
    private final AtomicLong served = new AtomicLong();
    private final AtomicLong rejected = new AtomicLong();
    private volatile boolean running;
    private volatile Thread loop;

    GuardedShellChannel(ZMQ.Context ctx, HMACGenerator signer, boolean isControl, GuardedConnection connection,
                        MessageDecoder decoder) {
        super(ctx, signer, isControl, connection);
        this.name = isControl ? "control" : "shell";
        this.connection = connection;
        this.decoder = decoder;
        this.log = Logger.getLogger("io.peft4j.kernel." + name);
    }

    long served() { return served.get(); }

    long rejected() { return rejected.get(); }

    @Override public void bind(KernelConnectionProperties p) {
        if (loop != null) throw new IllegalStateException(name + " channel already bound");
        int port = name.equals("control") ? p.getControlPort() : p.getShellPort();
        setMaxMsgSize(MAX_MESSAGE_BYTES);
        setReceiveTimeOut(100);
        setLinger(0);
        super.bind(p.getTransport() + "://" + p.getIp() + ":" + port);
        running = true;
        Thread t = new Thread(this::serve, "peft4j-" + name);
        t.setDaemon(true);
        loop = t;
        t.start();
    }

    private void serve() {
        try {
            while (running) {
                try {
                    List<byte[]> frames = receiveFrames();
                    if (frames != null) handle(frames);
                } catch (Throwable t) { // never let one message end the channel
                    if (!running) break;
                    log.log(Level.SEVERE, name + ": error while serving a message: " + t.getClass().getName());
                }
            }
        } finally {
            try { super.close(); } catch (RuntimeException ignored) { }
        }
    }

    private List<byte[]> receiveFrames() {
        synchronized (this) {
            byte[] first = recv(0);
            if (first == null) return null;
            List<byte[]> frames = new ArrayList<>();
            frames.add(first);
            while (hasReceiveMore()) {
                byte[] next = recv(0);
                if (frames.size() < MAX_FRAMES) frames.add(next);
            }
            return frames;
        }
    }

    @SuppressWarnings({"rawtypes", "unchecked"})
    private void handle(List<byte[]> frames) {
        MessageDecoder.Decoded d = decoder.decode(frames);
        if (!d.ok()) {
            rejected.incrementAndGet();
            log.warning(name + ": rejected message from peer " + peer(frames) + ": " + d.rejected());
            return;
        }
        Message<?> message = d.message();
        ShellHandler handler = connection.getHandler(message.getHeader().getType());
        if (handler == null) {
            rejected.incrementAndGet();
            log.warning(name + ": no handler for " + message.getHeader().getType().getName() + "; dropped");
            return;
        }
        ShellReplyEnvironment env = connection.prepareReplyEnv(this, message);
        try {
            handler.handle(env, message);
        } catch (Exception e) {
            log.log(Level.SEVERE, name + ": handler for " + message.getHeader().getType().getName() + " failed: " + e);
        } finally {
            try { env.resolveDeferrals(); } catch (RuntimeException e) { log.warning(name + ": reply failed: " + e); }
        }
        served.incrementAndGet();
        if (env.isMarkedForShutdown()) connection.close();
    }

    private static String peer(List<byte[]> frames) {
        byte[] id = frames.isEmpty() ? new byte[0] : frames.get(0);
        String hex = HexFormat.of().formatHex(id, 0, Math.min(id.length, 8));
        return hex.isEmpty() ? "?" : hex;
    }

    /** Stops serving; the loop closes the socket itself. Joins unless called from the loop. */
    @Override public void close() {
        running = false;
        Thread t = loop;
        if (t != null && t != Thread.currentThread()) {
            try { t.join(5_000); } catch (InterruptedException e) { Thread.currentThread().interrupt(); }
        }
    }

    @Override public void waitUntilClose() {
        Thread t = loop;
        if (t != null && t != Thread.currentThread()) {
            try { t.join(); } catch (InterruptedException e) { Thread.currentThread().interrupt(); }
        }
    }

    String endpoint() { return getLastEndpoint(); }

    boolean isServing() { Thread t = loop; return t != null && t.isAlive(); }

}
