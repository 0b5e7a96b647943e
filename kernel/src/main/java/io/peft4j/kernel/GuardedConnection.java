package io.peft4j.kernel;

import io.github.spencerpark.jupyter.channels.JupyterConnection;
import io.github.spencerpark.jupyter.kernel.KernelConnectionProperties;
import io.github.spencerpark.jupyter.messages.Message;
import io.github.spencerpark.jupyter.messages.publish.PublishStatus;
import org.zeromq.ZMQ;

import java.security.GeneralSecurityException;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * basekernel's connection with the shell and control channels replaced by
 * {@link GuardedShellChannel}s (heartbeat, stdin and iopub stay basekernel's). Every socket binds
 * to the connection file's transport and ip only. {@link #close()} is idempotent and safe to call
 * from a channel thread (a shutdown_request).
 */
final class GuardedConnection extends JupyterConnection {
    private final KernelConnectionProperties props;
    private final ZMQ.Context guardedContext = ZMQ.context(1);
    private final GuardedShellChannel guardedShell;
    private final GuardedShellChannel guardedControl;
    private final AtomicBoolean closing = new AtomicBoolean();
    private final CountDownLatch closed = new CountDownLatch(1);

    GuardedConnection(KernelConnectionProperties props) throws GeneralSecurityException {
        super(props);
        this.props = props;
        this.guardedShell = new GuardedShellChannel(guardedContext, props.createHMACGenerator(), false, this,
                new MessageDecoder(props.getSignatureScheme(), props.getKey()));
        this.guardedControl = new GuardedShellChannel(guardedContext, props.createHMACGenerator(), true, this,
                new MessageDecoder(props.getSignatureScheme(), props.getKey()));
    }

    @Override public void connect() {
        heartbeat.bind(props);
        guardedShell.bind(props);
        guardedControl.bind(props);
        stdin.bind(props);
        iopub.bind(props);
        iopub.sendMessage(new Message<>(null, PublishStatus.MESSAGE_TYPE, PublishStatus.STARTING));
    }

    /** The endpoints actually bound: heartbeat, shell, control, stdin, iopub. */
    List<String> endpoints() {
        return List.of(heartbeat.getLastEndpoint(), guardedShell.endpoint(), guardedControl.endpoint(),
                stdin.getLastEndpoint(), iopub.getLastEndpoint());
    }

    long rejectedMessages() { return guardedShell.rejected() + guardedControl.rejected(); }

    long servedMessages() { return guardedShell.served() + guardedControl.served(); }

    @Override public void close() {
        if (!closing.compareAndSet(false, true)) return;
        String me = Thread.currentThread().getName();
        if (me.equals("peft4j-shell") || me.equals("peft4j-control")) {
            Thread t = new Thread(this::doClose, "peft4j-close");
            t.setDaemon(false);
            t.start();
        } else {
            doClose();
        }
    }

    private void doClose() {
        try {
            guardedShell.close();
            guardedControl.close();
            super.close();
            guardedContext.close();
        } finally {
            closed.countDown();
        }
    }

    @Override public void waitUntilClose() {
        try {
            closed.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    boolean isClosed() { return closed.getCount() == 0; }
}
