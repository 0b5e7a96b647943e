package io.peft4j.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.util.concurrent.Callable;

/**
 * {@code bin/peft4j}: the command-line entry point. Each subcommand is its own class in this
 * package; register new ones in {@link #SUBCOMMANDS}.
 */
@Command(name = "peft4j", mixinStandardHelpOptions = true, version = io.peft4j.Version.VERSION,
         description = "Parameter-efficient fine-tuning (LoRA and friends) for the JVM.")
public final class Main implements Callable<Integer> {

    /** One line per subcommand; keep alphabetical to ease merges. */
    static final Object[] SUBCOMMANDS = {
        new BenchCommand(),
        new ChatTemplateCommand(),
        new DemoCommand(),
        new EnvCommand(),
        new GenDataCommand(),
        new PretrainDemoCommand(),
        new PretrainCausalDemoCommand(),
        new RougeCommand(),
        new TokenizeCommand(),
        new ForwardCommand(),
        new GenerateCommand(),
    };

    @Override public Integer call() {
        new CommandLine(this).usage(System.out);
        return 0;
    }

    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        for (Object sub : SUBCOMMANDS) cl.addSubcommand(sub);
        // every subcommand answers --help (and --version), whether or not its class asks for it
        for (CommandLine sub : cl.getSubcommands().values()) sub.getCommandSpec().mixinStandardHelpOptions(true);
        // a bad value (IllegalArgumentException: the message names it and what is valid) is one line and exit code 2,
        // not a stack trace; anything else still fails loudly
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            if (!(ex instanceof IllegalArgumentException)) throw ex;
            cmd.getErr().println("peft4j " + cmd.getCommandName() + ": " + ex.getMessage());
            return 2;
        });
        return cl;
    }

    public static void main(String[] args) {
        int rc = commandLine().execute(args);
        System.out.flush();
        System.exit(rc);
    }
}
