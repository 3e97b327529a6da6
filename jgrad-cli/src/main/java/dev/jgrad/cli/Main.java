package dev.jgrad.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.PrintWriter;

/**
 * The {@code jgrad} command. Exit codes: 0 success, 1 failure (bad data, a diverged run, a
 * failed check), 2 usage error.
 */
@Command(name = "jgrad", mixinStandardHelpOptions = true, version = "jgrad 0.1.0",
        description = "Trains, evaluates and explains neural networks by backpropagation.",
        subcommands = {TrainCommand.class, EvalCommand.class, PredictCommand.class, InfoCommand.class,
                GradCommand.class, ImportCommand.class, ExportCommand.class, GradcheckCommand.class, ExplainCommand.class, ServeCommand.class,
                CommandLine.HelpCommand.class})
public final class Main implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a command is required (try 'jgrad train')");
    }

    public static void main(String[] args) {
        System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Runs the command line and returns its exit code; tests call this directly. */
    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        CommandLine cl = new CommandLine(new Main());
        cl.setOut(out);
        cl.setErr(err);
        cl.setExitCodeExceptionMapper(e -> e instanceof CommandLine.ParameterException ? 2 : 1);
        cl.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            commandLine.getErr().println("jgrad " + commandLine.getCommandName() + ": " + message(e));
            if (Boolean.getBoolean("jgrad.debug")) e.printStackTrace(commandLine.getErr());
            commandLine.getErr().flush();
            return e instanceof IllegalArgumentException && e.getMessage() != null && e.getMessage().startsWith("usage:") ? 2 : 1;
        });
        int code;
        try {
            code = cl.execute(args);
        } catch (OutOfMemoryError | StackOverflowError e) {
            // Readers check sizes before allocating; should anything still run out, one line, not a trace.
            err.println("jgrad: " + e.getClass().getSimpleName() + (e.getMessage() != null ? ": " + e.getMessage() : ""));
            code = 1;
        }
        out.flush();
        err.flush();
        return code;
    }

    /** The message on one line: a value quoted from a hostile file may hold line breaks or control characters. */
    private static String message(Throwable e) {
        String m = rawMessage(e);
        StringBuilder sb = new StringBuilder(m.length());
        for (int i = 0; i < m.length(); i++) {
            char c = m.charAt(i);
            if (c == '\n') sb.append("\\n");
            else if (c == '\r') sb.append("\\r");
            else if (c < 0x20 || c == 0x7f) sb.append(String.format("\\x%02x", (int) c));
            else sb.append(c);
        }
        return sb.toString();
    }

    private static String rawMessage(Throwable e) {
        String m = e.getMessage();
        if (e instanceof java.nio.file.NoSuchFileException) return "no such file: " + m;
        if (e instanceof java.io.UncheckedIOException u && u.getCause() != null) return rawMessage(u.getCause());
        return m != null ? m : e.toString();
    }
}
