package dev.jgrad.cli;

/**
 * A command line jgrad cannot run (an unknown option, a missing or malformed value): exit code 2,
 * the message and, unless the message already says what to type instead, the help of the command
 * it was meant for.
 */
final class UsageException extends RuntimeException {
    private final transient CommandOptions command;
    private final boolean showUsage;

    /** {@code command} is the command whose help follows the message, or null for jgrad's own. */
    UsageException(CommandOptions command, String message) {
        this(command, message, true);
    }

    UsageException(CommandOptions command, String message, boolean showUsage) {
        super(message);
        this.command = command;
        this.showUsage = showUsage;
    }

    boolean showUsage() {
        return showUsage;
    }

    CommandOptions command() {
        return command;
    }
}
