package io.peft4j.kernel;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Bounded loopback load: N trivial execute requests pipelined on one client, then several
 * clients interleaving execute / kernel_info / complete / is_complete. Every reply is accounted
 * for and the kernel's thread count does not grow. CI size by default; set
 * PEFT4J_KERNEL_LOAD=1000 and PEFT4J_KERNEL_CLIENTS=10 for the full benchmark.
 */
class KernelLoadTest {
    static final int N = Integer.parseInt(System.getenv().getOrDefault("PEFT4J_KERNEL_LOAD", "200"));
    static final int CLIENTS = Integer.parseInt(System.getenv().getOrDefault("PEFT4J_KERNEL_CLIENTS", "5"));
    static final int PER_CLIENT = 20;

    private static int threads(KernelClient c) throws Exception {
        String id = c.execute("java.lang.management.ManagementFactory.getThreadMXBean().getThreadCount()");
        c.reply(c.shell, id, 30_000);
        for (KernelClient.Msg m : c.iopubUntilIdle(id, 30_000)) {
            if (m.type().equals("execute_result")) return Integer.parseInt((String) m.map("data").get("text/plain"));
        }
        throw new AssertionError("no thread count");
    }

    @Test void everyReplyAccountedForAndNoThreadLeak() throws Exception {
        Path dir = Files.createTempDirectory("peft4j-load");
        KernelClient.Conn conn = KernelClient.Conn.freshLoopback();
        try (KernelProcess kernel = KernelProcess.start(conn.write(dir), Map.of());
             KernelClient main = new KernelClient(conn)) {
            main.waitReady(60_000);
            for (int i = 0; i < 5; i++) main.reply(main.shell, main.execute("1"), 30_000); // warm up
            int before = threads(main);

            long t0 = System.nanoTime();
            Set<String> sent = new HashSet<>();
            for (int i = 0; i < N; i++) sent.add(main.execute("int v" + i + " = " + i + ";"));
            Set<String> answered = new HashSet<>();
            while (answered.size() < N) {
                KernelClient.Msg m = main.recv(main.shell, 60_000);
                assertNotNull(m, "replies stopped after " + answered.size() + " of " + N);
                assertEquals("ok", m.content().get("status"), m.content().toString());
                assertTrue(sent.contains(m.parentId()) && answered.add(m.parentId()), "unexpected or duplicate reply");
            }
            double sec = (System.nanoTime() - t0) / 1e9;
            System.out.printf("load: %d pipelined executes in %.2f s (%.0f/s)%n", N, sec, N / sec);

            List<KernelClient> clients = new ArrayList<>();
            try {
                for (int c = 0; c < CLIENTS; c++) clients.add(new KernelClient(conn));
                List<Set<String>> expected = new ArrayList<>();
                for (int c = 0; c < CLIENTS; c++) expected.add(new HashSet<>());
                t0 = System.nanoTime();
                for (int i = 0; i < PER_CLIENT; i++) {
                    for (int c = 0; c < CLIENTS; c++) {
                        KernelClient k = clients.get(c);
                        String id = switch (i % 4) {
                            case 0 -> k.execute("v" + (i % N) + " + " + c);
                            case 1 -> k.send(k.shell, "kernel_info_request", Map.of());
                            case 2 -> k.send(k.shell, "complete_request", Map.of("code", "Math.m", "cursor_pos", 6));
                            default -> k.send(k.shell, "is_complete_request", Map.of("code", "int x = 1;"));
                        };
                        expected.get(c).add(id);
                    }
                }
                for (int c = 0; c < CLIENTS; c++) {
                    KernelClient k = clients.get(c);
                    Set<String> got = new HashSet<>();
                    while (got.size() < PER_CLIENT) {
                        KernelClient.Msg m = k.recv(k.shell, 60_000);
                        assertNotNull(m, "client " + c + " got " + got.size() + " of " + PER_CLIENT + " replies");
                        assertTrue(expected.get(c).contains(m.parentId()), "reply routed to the wrong client");
                        got.add(m.parentId());
                    }
                }
                System.out.printf("load: %d clients x %d interleaved requests in %.2f s%n",
                        CLIENTS, PER_CLIENT, (System.nanoTime() - t0) / 1e9);
            } finally {
                clients.forEach(KernelClient::close);
            }
            int after = threads(main);
            System.out.printf("load: kernel threads before %d, after %d%n", before, after);
            assertTrue(after <= before + 2, "thread count grew from " + before + " to " + after);
        }
    }
}
