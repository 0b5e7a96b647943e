package io.peft4j.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** Every subcommand of {@code bin/peft4j} answers {@code --help} with its usage and exit status 0. */
class HelpTest {
    @Test void everySubcommandAnswersHelp() {
        Map<String, CommandLine> subs = Main.commandLine().getSubcommands();
        assertTrue(subs.keySet().containsAll(java.util.List.of("bench", "demo", "env", "forward", "generate", "rouge", "tokenize",
            "gen-data", "pretrain-demo")), subs.keySet().toString());
        for (String name : subs.keySet()) {
            for (String flag : new String[]{"--help", "-h"}) {
                StringWriter out = new StringWriter(), err = new StringWriter();
                CommandLine cl = Main.commandLine();
                cl.setOut(new PrintWriter(out));
                cl.setErr(new PrintWriter(err));
                int rc = cl.execute(name, flag);
                assertEquals(0, rc, name + " " + flag + ": " + err);
                assertTrue(out.toString().startsWith("Usage: peft4j " + name), name + " " + flag + ": " + out);
                assertTrue(out.toString().contains("-h, --help"), out.toString());
                assertEquals("", err.toString(), name);
            }
        }
    }

    @Test void aBadValueIsOneLineNamingItAndExitCode2(@org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        CommandLine cl = Main.commandLine();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        java.nio.file.Path model = tmp.resolve("model");
        int rc = cl.execute("pretrain-demo", "--max-length", "8", "--steps", "1", "--out", model.toString());
        assertEquals(2, rc, err.toString());
        assertEquals("peft4j pretrain-demo: maxLength must be >= 16, got 8", err.toString().strip());
        assertFalse(java.nio.file.Files.exists(model), "nothing written for a refused recipe");
    }

    @Test void jshRunnerAnswersHelp() {
        var out = new java.io.ByteArrayOutputStream();
        int rc = new JshRunner(new java.io.PrintStream(out), System.err).run(new String[]{"--help"});
        assertEquals(0, rc);
        assertTrue(out.toString().startsWith("usage: peft4j run FILE.jsh"), out.toString());
    }
}
