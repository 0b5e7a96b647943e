package io.peft4j.kernel;

import io.github.spencerpark.jupyter.kernel.KernelConnectionProperties;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

class KernelServerTest {
    @Test void bindsOnlyTheConnectionFileAddress() throws Exception {
        KernelClient.Conn c = KernelClient.Conn.freshLoopback();
        Path f = c.write(Files.createTempDirectory("peft4j-bind"));
        KernelConnectionProperties props = KernelServer.readConnectionFile(f);
        KernelServer server = KernelServer.start(props);
        try {
            List<String> eps = server.endpoints();
            assertEquals(List.of("tcp://127.0.0.1:" + c.hb(), "tcp://127.0.0.1:" + c.shell(), "tcp://127.0.0.1:" + c.control(),
                    "tcp://127.0.0.1:" + c.stdin(), "tcp://127.0.0.1:" + c.iopub()), eps);
        } finally {
            server.close();
        }
        assertTrue(server.isClosed());
    }

    @Test void badConnectionFilesAreNamed() throws Exception {
        Path dir = Files.createTempDirectory("peft4j-conn");
        Path f = dir.resolve("k.json");
        Files.writeString(f, "{\"transport\":\"udp\",\"ip\":\"127.0.0.1\",\"shell_port\":1,\"control_port\":2,"
                + "\"iopub_port\":3,\"stdin_port\":4,\"hb_port\":5,\"key\":\"k\",\"signature_scheme\":\"hmac-sha256\"}");
        Exception e = assertThrows(java.io.IOException.class, () -> KernelServer.readConnectionFile(f));
        assertTrue(e.getMessage().contains("'udp'") && e.getMessage().contains("tcp, ipc"), e.getMessage());
        assertThrows(java.io.IOException.class, () -> KernelServer.readConnectionFile(dir.resolve("missing.json")));
    }

    @Test void exitsWhenJupyterParentDies() throws Exception {
        Process parent = new ProcessBuilder("sleep", "120").start();
        KernelClient.Conn c = KernelClient.Conn.freshLoopback();
        Path f = c.write(Files.createTempDirectory("peft4j-parent"));
        try (KernelProcess k = KernelProcess.start(f, Map.of("JPY_PARENT_PID", String.valueOf(parent.pid())));
             KernelClient client = new KernelClient(c)) {
            client.waitReady(60_000);
            parent.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            assertTrue(k.waitExit(15_000), "kernel outlived its parent");
        } finally {
            parent.destroyForcibly();
        }
    }

    @Test void kernelspecIsWrittenAtomicallyWithMessageInterrupts() throws Exception {
        Path prefix = Files.createTempDirectory("peft4j-spec");
        Path dir = KernelMain.installDir(List.of("--prefix", prefix.toString()));
        assertEquals(prefix.toAbsolutePath().resolve("share/jupyter/kernels/peft4j"), dir);
        Path json = KernelSpecInstaller.install(dir, KernelSpecInstaller.spec(List.of("/a.jar"), List.of("-Xmx1g"),
                Map.of("OPENBLAS_CORETYPE", "Haswell", "OMP_NUM_THREADS", "2")));
        Map<?, ?> spec = KernelClient.JSON.readValue(json.toFile(), Map.class);
        assertEquals("Java (peft4j)", spec.get("display_name"));
        assertEquals("message", spec.get("interrupt_mode"));
        assertEquals("java", spec.get("language"));
        List<?> argv = (List<?>) spec.get("argv");
        assertEquals("{connection_file}", argv.get(argv.size() - 1));
        assertTrue(argv.contains("io.peft4j.kernel.KernelMain") && argv.contains("-Xmx1g"));
        assertEquals("Haswell", ((Map<?, ?>) spec.get("env")).get("OPENBLAS_CORETYPE"));
        try (var s = Files.list(dir)) { assertEquals(List.of(json), s.toList(), "no temp file left behind"); }
        Exception e = assertThrows(IllegalArgumentException.class, () -> KernelMain.installDir(List.of("--sys")));
        assertTrue(e.getMessage().contains("--prefix DIR"));
    }
}
