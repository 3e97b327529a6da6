package dev.jgrad.cli;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.DoubleConsumer;
import java.util.function.IntConsumer;
import java.util.function.LongConsumer;

/**
 * A command's name, description and options, the parser that applies an argument list to them,
 * and its help text. Every command declares its options here, each with the code that stores its
 * value, so parsing needs no reflection and no annotations: a {@code jgrad predict} of one row
 * is over in a few hundred milliseconds, and a general command-line library's start-up (its
 * reflection, annotation proxies and, for older class files, classes the ahead-of-time cache
 * cannot hold) was most of that. The syntax and messages follow the common conventions:
 * {@code --name value} or {@code --name=value}, {@code --[no-]flag}, {@code -h}/{@code --help}
 * and {@code -V}/{@code --version} on every command, errors as "Unknown option: '--x'".
 */
final class CommandOptions {
    /** Help lines are wrapped to this many characters. */
    static final int WIDTH = 80;
    /** Option names longer than this put their description on the next line. */
    private static final int LONG_NAME_COLUMN = 20;

    private enum Kind { FLAG, NEGATABLE, VALUE, LIST }

    /** What parsing asks of the caller beyond running the command. */
    enum Outcome { RUN, HELP, VERSION }

    private static final class Option {
        final String name;
        final String label;
        final String[] description;
        final Kind kind;
        final Consumer<String> set;
        final List<String> values = new ArrayList<>();
        boolean required;
        boolean seen;

        Option(String name, String label, String[] description, Kind kind, Consumer<String> set) {
            this.name = name;
            this.label = label;
            this.description = description;
            this.kind = kind;
            this.set = set;
        }

        /** How the option is written in help and messages: --model=FILE, --[no-]header, --json. */
        String text() {
            return switch (kind) {
                case FLAG -> name;
                case NEGATABLE -> "--[no-]" + name.substring(2);
                case VALUE -> name + "=" + label;
                case LIST -> name + "=" + label + "[," + label + "...]";
            };
        }

        String sortKey() {
            return name.substring(2);
        }
    }

    private static final Option HELP = new Option("--help", null, new String[]{"Show this help message and exit."}, Kind.FLAG, v -> { });
    private static final Option VERSION = new Option("--version", null, new String[]{"Print version information and exit."}, Kind.FLAG, v -> { });

    private final String name;
    private final String[] description;
    private final List<Option> options = new ArrayList<>();
    private final List<String[]> oneOf = new ArrayList<>();
    private boolean sorted;
    private String positionalLabel;
    private String positionalDescription;
    private Consumer<String> positional;

    /** A command called {@code name} (as in {@code jgrad name}), described by these lines. */
    CommandOptions(String name, String... description) {
        this.name = name;
        this.description = description;
    }

    String name() {
        return name;
    }

    /** The first line of the description, for the list of commands. */
    String summary() {
        return description[0];
    }

    /** Lists the options alphabetically in the help rather than in the order declared. */
    CommandOptions sortedInHelp() {
        sorted = true;
        return this;
    }

    /** A string option. */
    CommandOptions string(String name, String label, String description, Consumer<String> set) {
        return add(new Option(name, label, lines(description), Kind.VALUE, set));
    }

    /** A path option; a path the platform cannot represent is a usage error. */
    CommandOptions path(String name, String label, String description, Consumer<Path> set) {
        return add(new Option(name, label, lines(description), Kind.VALUE, v -> {
            try {
                set.accept(Path.of(v));
            } catch (InvalidPathException e) {
                throw invalid(name, v, "is not a valid path (" + e.getReason() + ")");
            }
        }));
    }

    /** An int option. */
    CommandOptions integer(String name, String label, String description, IntConsumer set) {
        return number(name, label, description, "an int", v -> set.accept(Integer.parseInt(v)));
    }

    /** A long option. */
    CommandOptions longInteger(String name, String label, String description, LongConsumer set) {
        return number(name, label, description, "a long", v -> set.accept(Long.parseLong(v)));
    }

    /** A double option. */
    CommandOptions decimal(String name, String label, String description, DoubleConsumer set) {
        return number(name, label, description, "a double", v -> set.accept(Double.parseDouble(v)));
    }

    /** A numeric option: the trimmed value parsed by {@code parse}, or "is not {@code kind}". */
    private CommandOptions number(String name, String label, String description, String kind, Consumer<String> parse) {
        return add(new Option(name, label, lines(description), Kind.VALUE, v -> {
            try {
                parse.accept(v.trim());
            } catch (NumberFormatException e) {
                throw invalid(name, v, "is not " + kind);
            }
        }));
    }

    /** A comma-separated list; the option may be given more than once, the lists are joined. */
    CommandOptions list(String name, String label, String description, Consumer<List<String>> set) {
        Option[] self = new Option[1];
        self[0] = new Option(name, label, lines(description), Kind.LIST, v -> set.accept(List.copyOf(self[0].values)));
        return add(self[0]);
    }

    /** An option without a value: {@code set} runs when it is given. */
    CommandOptions flag(String name, String description, Runnable set) {
        return add(new Option(name, null, lines(description), Kind.FLAG, v -> set.run()));
    }

    /** {@code --name} gives true, {@code --no-name} false; {@code set} is not called when neither is given. */
    CommandOptions negatable(String name, String description, Consumer<Boolean> set) {
        return add(new Option(name, null, lines(description), Kind.NEGATABLE, v -> set.accept(Boolean.parseBoolean(v))));
    }

    /** Makes the option declared last required. */
    CommandOptions required() {
        options.getLast().required = true;
        return this;
    }

    /** Exactly one of these options (already declared) must be given. */
    CommandOptions exactlyOneOf(String... names) {
        oneOf.add(names);
        return this;
    }

    /** One optional positional argument. */
    CommandOptions positional(String label, String description, Consumer<String> set) {
        positionalLabel = label;
        positionalDescription = description;
        positional = set;
        return this;
    }

    private CommandOptions add(Option o) {
        options.add(o);
        return this;
    }

    private static String[] lines(String description) {
        return description.isEmpty() ? new String[0] : description.split("\n");
    }

    private UsageException invalid(String option, String value, String why) {
        return new UsageException(this, "Invalid value for option '" + option + "': '" + value + "' " + why);
    }

    /** Applies {@code args[from..]} to the options; throws {@link UsageException} on a usage error. */
    Outcome parse(String[] args, int from) {
        boolean positionalTaken = false, optionsEnded = false;
        for (int i = from; i < args.length; i++) {
            String a = args[i];
            if (!optionsEnded && a.equals("--")) {
                optionsEnded = true;
                continue;
            }
            if (optionsEnded || !a.startsWith("-") || a.length() == 1) {
                if (positional == null || positionalTaken) {
                    throw new UsageException(this, "Unmatched argument at index " + i + ": '" + a + "'");
                }
                positionalTaken = true;
                positional.accept(a);
                continue;
            }
            if (a.equals("-h") || a.equals("--help")) return Outcome.HELP;
            if (a.equals("-V") || a.equals("--version")) return Outcome.VERSION;
            int eq = a.indexOf('=');
            String optName = a.startsWith("--") && eq > 0 ? a.substring(0, eq) : a;
            String value = a.startsWith("--") && eq > 0 ? a.substring(eq + 1) : null;
            boolean negated = false;
            Option o = find(optName);
            if (o == null && optName.startsWith("--no-")) {
                o = find("--" + optName.substring(5));
                if (o != null && o.kind != Kind.NEGATABLE) o = null;
                negated = o != null;
            }
            if (o == null) throw unknown(optName);
            if (o.seen && o.kind != Kind.LIST) {
                throw new UsageException(this, "option '" + o.name + "' (" + (o.label != null ? o.label : o.text())
                        + ") should be specified only once");
            }
            o.seen = true;
            switch (o.kind) {
                case FLAG, NEGATABLE -> {
                    boolean v = value == null || booleanValue(o, value);
                    if (o.kind == Kind.FLAG) {
                        if (v) o.set.accept("true");
                    } else {
                        o.set.accept(Boolean.toString(v != negated));
                    }
                }
                case VALUE, LIST -> {
                    if (value == null) {
                        if (i + 1 >= args.length || isOption(args[i + 1])) {
                            throw new UsageException(this, "Missing required parameter for option '" + o.name + "' (" + o.label + ")");
                        }
                        value = args[++i];
                    }
                    if (o.kind == Kind.LIST) {
                        for (String part : value.split(",")) o.values.add(part);
                    }
                    o.set.accept(value);
                }
            }
        }
        List<String> missing = new ArrayList<>();
        for (Option o : options) if (o.required && !o.seen) missing.add("'" + o.text() + "'");
        if (missing.size() == 1) throw new UsageException(this, "Missing required option: " + missing.getFirst());
        if (!missing.isEmpty()) throw new UsageException(this, "Missing required options: " + String.join(", ", missing));
        for (String[] group : oneOf) {
            List<String> given = new ArrayList<>(), all = new ArrayList<>();
            for (String n : group) {
                Option o = find(n);
                all.add(o.text());
                if (o.seen) given.add(o.text());
            }
            if (given.size() > 1) {
                throw new UsageException(this, "Error: " + String.join(", ", given) + " are mutually exclusive (specify only one)");
            }
            if (given.isEmpty()) {
                throw new UsageException(this, "Error: Missing required argument (specify one of these): (" + String.join(" | ", all) + ")");
            }
        }
        return Outcome.RUN;
    }

    private boolean booleanValue(Option o, String value) {
        if (value.equalsIgnoreCase("true")) return true;
        if (value.equalsIgnoreCase("false")) return false;
        throw invalid(o.name, value, "is not a boolean");
    }

    private Option find(String optName) {
        for (Option o : options) if (o.name.equals(optName)) return o;
        return null;
    }

    /** Whether {@code arg} names one of this command's options (then it is not taken as a value). */
    private boolean isOption(String arg) {
        int eq = arg.indexOf('=');
        String n = eq > 0 ? arg.substring(0, eq) : arg;
        if (n.equals("-h") || n.equals("--help") || n.equals("-V") || n.equals("--version")) return true;
        if (find(n) != null) return true;
        return n.startsWith("--no-") && find("--" + n.substring(5)) != null;
    }

    private UsageException unknown(String optName) {
        List<String> near = new ArrayList<>();
        for (Option o : options) {
            if (editDistance(o.name, optName) <= 2 || o.name.startsWith(optName)) near.add(o.name);
        }
        return new UsageException(null, "Unknown option: '" + optName + "'"
                + (near.isEmpty() ? "" : "\nPossible solutions: " + String.join(", ", near)), false);
    }

    static int editDistance(String a, String b) {
        int[] prev = new int[b.length() + 1], cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) prev[j] = j;
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int sub = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                cur[j] = Math.min(sub, Math.min(prev[j], cur[j - 1]) + 1);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }

    /** The help text: synopsis, description, options, each line at most {@link #WIDTH} characters. */
    String usage() {
        StringBuilder sb = new StringBuilder();
        String head = "Usage: jgrad " + name + " ";
        List<String> tokens = new ArrayList<>();
        tokens.add("[-hV]");
        List<Option> bySort = new ArrayList<>(options);
        bySort.sort(Comparator.comparing(Option::sortKey));
        List<String> inGroups = new ArrayList<>();
        for (String[] g : oneOf) inGroups.addAll(List.of(g));
        for (Option o : bySort) {
            if ((o.kind == Kind.FLAG || o.kind == Kind.NEGATABLE) && !inGroups.contains(o.name)) tokens.add("[" + o.text() + "]");
        }
        for (Option o : bySort) {
            if (o.kind == Kind.VALUE && !inGroups.contains(o.name)) tokens.add(o.required ? o.text() : "[" + o.text() + "]");
        }
        for (Option o : bySort) {
            if (o.kind == Kind.LIST && !inGroups.contains(o.name)) tokens.add((o.required ? o.text() : "[" + o.text() + "]") + "...");
        }
        for (String[] g : oneOf) {
            List<String> alts = new ArrayList<>();
            for (String n : g) alts.add(find(n).text());
            tokens.add("(" + String.join(" | ", alts) + ")");
        }
        if (positional != null) tokens.add("[" + positionalLabel + "]");
        StringBuilder line = new StringBuilder(head.stripTrailing());
        for (String t : tokens) {
            if (line.length() + 1 + t.length() >= WIDTH && line.length() > head.length()) {
                sb.append(line).append('\n');
                line = new StringBuilder(" ".repeat(head.length() - 1));
            }
            line.append(' ').append(t);
        }
        sb.append(line).append('\n');
        for (String d : description) wrap(sb, d, 0, 0);
        appendOptions(sb);
        return sb.toString();
    }

    private void appendOptions(StringBuilder sb) {
        List<Option> rows = new ArrayList<>(options);
        rows.add(HELP);
        rows.add(VERSION);
        if (sorted) rows.sort(Comparator.comparing(Option::sortKey));
        int widest = positional != null ? positionalLabel.length() + 2 : 0;
        for (Option o : rows) {
            int n = o.text().length();
            if (n <= LONG_NAME_COLUMN) widest = Math.max(widest, n);
        }
        int column = 6 + widest + 3;
        if (positional != null) appendRow(sb, "      [" + positionalLabel + "]", new String[]{positionalDescription}, column);
        for (Option o : rows) {
            String shortName = o == HELP ? "  -h, " : o == VERSION ? "  -V, " : "      ";
            appendRow(sb, shortName + o.text(), o.description, column);
        }
    }

    private static void appendRow(StringBuilder sb, String left, String[] description, int column) {
        if (description.length == 0) {
            sb.append(left).append('\n');
            return;
        }
        if (left.length() < column) {
            sb.append(left).append(" ".repeat(column - left.length()));
        } else {
            sb.append(left).append('\n').append(" ".repeat(column));
        }
        for (int i = 0; i < description.length; i++) {
            if (i > 0) sb.append(" ".repeat(column));
            wrapRest(sb, description[i], column, column + 2);
        }
    }

    /** Appends {@code text} from the start of a line indented by {@code first}, later lines by {@code rest}. */
    private static void wrap(StringBuilder sb, String text, int first, int rest) {
        sb.append(" ".repeat(first));
        wrapRest(sb, text, first, rest);
    }

    /**
     * Appends {@code text} to a line already {@code at} characters long, wrapping between words: a
     * word fits when it and the space after it do, the last word when it alone does.
     */
    static void wrapRest(StringBuilder sb, String text, int at, int rest) {
        int col = at, start = 0;
        boolean lineHasText = false;
        while (start < text.length()) {
            int end = start;
            while (end < text.length() && text.charAt(end) == ' ') end++;
            while (end < text.length() && text.charAt(end) != ' ') end++;
            while (end < text.length() && text.charAt(end) == ' ') end++;
            String word = text.substring(start, end);
            int need = end == text.length() ? word.stripTrailing().length() : word.length();
            if (lineHasText && col + need > WIDTH) {
                trimLine(sb);
                sb.append('\n').append(" ".repeat(rest));
                col = rest;
                word = word.stripLeading();
            }
            sb.append(word);
            col += word.length();
            lineHasText = true;
            start = end;
        }
        trimLine(sb);
        sb.append('\n');
    }

    private static void trimLine(StringBuilder sb) {
        int n = sb.length();
        while (n > 0 && sb.charAt(n - 1) == ' ') n--;
        sb.setLength(n);
    }
}
