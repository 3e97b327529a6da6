package dev.jgrad.cli;

import java.io.PrintWriter;
import java.util.List;

/**
 * The {@code jgrad} command. Exit codes: 0 success, 1 failure (bad data, a diverged run, a
 * failed check), 2 usage error.
 */
public final class Main {
    static final String VERSION = "jgrad 0.1.0";
    private static final String DESCRIPTION = "Trains, evaluates and explains neural networks by backpropagation.";
    /** The commands, in the order the help lists them. */
    static final List<String> COMMANDS = List.of("train", "eval", "predict", "info", "grad", "import", "export",
            "gradcheck", "explain", "serve");

    private Main() {
    }

    public static void main(String[] args) {
        System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Runs the command line and returns its exit code; tests call this directly. */
    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        int code;
        try {
            code = dispatch(args, out, err);
        } catch (OutOfMemoryError | StackOverflowError e) {
            // Readers check sizes before allocating; should anything still run out, one line, not a trace.
            err.println("jgrad: " + e.getClass().getSimpleName() + (e.getMessage() != null ? ": " + e.getMessage() : ""));
            code = 1;
        }
        out.flush();
        err.flush();
        return code;
    }

    /** A new instance of the command called {@code name}, or null when there is none. */
    static Subcommand create(String name) {
        return switch (name) {
            case "train" -> new TrainCommand();
            case "eval" -> new EvalCommand();
            case "predict" -> new PredictCommand();
            case "info" -> new InfoCommand();
            case "grad" -> new GradCommand();
            case "import" -> new ImportCommand();
            case "export" -> new ExportCommand();
            case "gradcheck" -> new GradcheckCommand();
            case "explain" -> new ExplainCommand();
            case "serve" -> new ServeCommand();
            default -> null;
        };
    }

    private static int dispatch(String[] args, PrintWriter out, PrintWriter err) {
        if (args.length == 0) return usageError(err, new UsageException(null, "a command is required (try 'jgrad train')"));
        String first = args[0];
        switch (first) {
            case "-h", "--help" -> {
                out.print(usage());
                return 0;
            }
            case "-V", "--version" -> {
                out.println(VERSION);
                return 0;
            }
            case "help" -> {
                return help(args, out, err);
            }
            default -> {
            }
        }
        Subcommand command = create(first);
        if (command == null) return usageError(err, unknownCommand(first));
        CommandOptions options = command.options();
        try {
            switch (options.parse(args, 1)) {
                case HELP -> {
                    out.print(options.usage());
                    return 0;
                }
                case VERSION -> {
                    out.println(VERSION);
                    return 0;
                }
                case RUN -> {
                }
            }
        } catch (UsageException e) {
            return usageError(err, e);
        }
        command.stdout = out;
        command.stderr = err;
        try {
            return command.call();
        } catch (UsageException e) {
            return usageError(err, e);
        } catch (Exception e) {
            err.println("jgrad " + first + ": " + message(e));
            if (Boolean.getBoolean("jgrad.debug")) e.printStackTrace(err);
            err.flush();
            return e instanceof IllegalArgumentException && e.getMessage() != null && e.getMessage().startsWith("usage:") ? 2 : 1;
        }
    }

    /** {@code jgrad help [COMMAND]}. */
    private static int help(String[] args, PrintWriter out, PrintWriter err) {
        if (args.length == 1) {
            out.print(usage());
            return 0;
        }
        if (args.length > 2) return usageError(err, new UsageException(null, "Unmatched argument at index 2: '" + args[2] + "'"));
        Subcommand command = create(args[1]);
        if (command == null) return usageError(err, new UsageException(null, "Unknown subcommand '" + args[1] + "'."));
        out.print(command.options().usage());
        return 0;
    }

    private static UsageException unknownCommand(String arg) {
        String near = null;
        for (String c : COMMANDS) if (near == null && CommandOptions.editDistance(c, arg) <= 2) near = c;
        String what = arg.startsWith("-") ? "Unknown option: '" + arg + "'" : "Unmatched argument at index 0: '" + arg + "'";
        return new UsageException(null, what + (near != null ? "\nDid you mean: jgrad " + near + "?" : ""), near == null);
    }

    private static int usageError(PrintWriter err, UsageException e) {
        err.println(e.getMessage());
        if (e.showUsage()) err.print(e.command() != null ? e.command().usage() : usage());
        err.flush();
        return 2;
    }

    /** jgrad's own help: the synopsis, the standard options and the list of commands. */
    static String usage() {
        StringBuilder sb = new StringBuilder("Usage: jgrad [-hV] [COMMAND]\n").append(DESCRIPTION).append('\n');
        sb.append("  -h, --help      Show this help message and exit.\n");
        sb.append("  -V, --version   Print version information and exit.\n");
        sb.append("Commands:\n");
        int column = 2 + "gradcheck".length() + 2;
        for (String c : COMMANDS) commandRow(sb, c, create(c).options().summary(), column);
        commandRow(sb, "help", "Display help information about the specified command.", column);
        return sb.toString();
    }

    private static void commandRow(StringBuilder sb, String name, String summary, int column) {
        String left = "  " + name;
        sb.append(left).append(" ".repeat(column - left.length()));
        CommandOptions.wrapRest(sb, summary, column, column + 2);
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
