package io.peft4j.app;

/**
 * {@code java -jar peft4j-app-VERSION.jar COMMAND ...}: the {@code bin/peft4j} commands without the
 * bash launcher. {@code kernel ...} starts or installs the Jupyter kernel, {@code run FILE.jsh} runs a
 * JShell script, anything else goes to the picocli commands ({@code demo}, {@code generate}, ...).
 * It prints the OpenBLAS core-type advice the launcher would act on (see {@link io.peft4j.cli.NativeAdvice}).
 */
public final class Launcher {
    private Launcher() {}

    public static void main(String[] args) throws Exception {
        String advice = io.peft4j.cli.NativeAdvice.advice(System.getenv(), io.peft4j.cli.NativeAdvice.detectCoreType());
        if (!advice.isEmpty()) System.err.print(advice);
        String cmd = args.length == 0 ? "" : args[0];
        String[] rest = args.length == 0 ? args : java.util.Arrays.copyOfRange(args, 1, args.length);
        switch (cmd) {
            case "kernel" -> io.peft4j.kernel.KernelMain.main(rest);
            case "run" -> io.peft4j.cli.JshRunner.main(rest);
            default -> io.peft4j.cli.Main.main(args);
        }
    }
}
