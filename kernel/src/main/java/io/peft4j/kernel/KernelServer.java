package io.peft4j.kernel;

import io.peft4j.kernel.execution.CellEvaluator;
import io.peft4j.kernel.display.Display;
import io.peft4j.kernel.display.KernelDisplaySink;
import io.peft4j.kernel.display.RunProgress;

import io.github.spencerpark.jupyter.kernel.KernelConnectionProperties;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.logging.Logger;

/**
 * A running kernel: evaluator + basekernel handlers + guarded connection. {@link #start} binds the
 * five sockets on the connection file's transport and ip only; {@link #awaitShutdown()} returns
 * after a shutdown_request (or {@link #close()}).
 */
public final class KernelServer implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(KernelServer.class.getName());

    private final CellEvaluator evaluator;
    private final PeftKernel kernel;
    private final GuardedConnection connection;

    private KernelServer(CellEvaluator evaluator, PeftKernel kernel, GuardedConnection connection) {
        this.evaluator = evaluator;
        this.kernel = kernel;
        this.connection = connection;
    }

    /** Reads and validates a Jupyter connection file. */
    public static KernelConnectionProperties readConnectionFile(Path file) throws IOException {
        if (!Files.isRegularFile(file)) throw new IOException("connection file not found: " + file);
        KernelConnectionProperties p;
        try {
            p = KernelConnectionProperties.parse(Files.readString(file, StandardCharsets.UTF_8));
        } catch (RuntimeException e) {
            throw new IOException("connection file " + file + " is not valid JSON: " + e.getMessage(), e);
        }
        if (p == null) throw new IOException("connection file " + file + " is empty");
        String transport = p.getTransport();
        if (!"tcp".equals(transport) && !"ipc".equals(transport)) {
            throw new IOException("connection file " + file + ": transport '" + transport + "' invalid; valid: tcp, ipc");
        }
        if (p.getIp() == null || p.getIp().isBlank()) throw new IOException("connection file " + file + ": ip missing");
        for (int port : new int[]{p.getShellPort(), p.getControlPort(), p.getIopubPort(), p.getStdinPort(), p.getHbPort()}) {
            if ("tcp".equals(transport) && (port < 1 || port > 65535)) {
                throw new IOException("connection file " + file + ": port " + port + " out of range 1..65535");
            }
        }
        return p;
    }

    public static KernelServer start(KernelConnectionProperties props) throws Exception {
        CellEvaluator evaluator = new CellEvaluator();
        PeftKernel kernel = new PeftKernel(evaluator);
        Display.install(new KernelDisplaySink(kernel));
        // every DSL training run (lora(...).train, fullFineTune, rankSweep, ...) shows one live display
        io.peft4j.Peft.onTraining(new RunProgress(Display::progress));
        // generation, ROUGE scoring and comparisons show one live display each once they run > 0.5 s
        io.peft4j.progress.Progress.addListener(new io.peft4j.kernel.display.TaskProgressDisplay(
                Display.sink(), System::nanoTime, io.peft4j.kernel.display.ProgressDisplay.DEFAULT_MIN_INTERVAL_NANOS));
        // every hub download (T5.load("org/name"), ...) shows one live display per load instead of a terminal bar
        io.peft4j.Peft.onDownload(new io.peft4j.kernel.display.DownloadDisplay(Display::sink, System::nanoTime, io.peft4j.kernel.display.DownloadDisplay.DEFAULT_MIN_INTERVAL_NANOS));
        GuardedConnection connection = new GuardedConnection(props);
        kernel.becomeHandlerForConnection(connection);
        connection.connect();
        LOG.info("kernel listening on " + connection.endpoints());
        return new KernelServer(evaluator, kernel, connection);
    }

    /** Bound endpoints: heartbeat, shell, control, stdin, iopub. */
    public List<String> endpoints() { return connection.endpoints(); }

    long rejectedMessages() { return connection.rejectedMessages(); }

    public void awaitShutdown() { connection.waitUntilClose(); }

    public boolean isClosed() { return connection.isClosed(); }

    @Override public void close() {
        evaluator.close();
        connection.close();
        connection.waitUntilClose();
    }
}
