package dev.jgrad.cli;

import java.io.PrintWriter;

/**
 * One of jgrad's commands ({@code train}, {@code predict}, ...): its options, declared with the
 * code that stores each value in a field, and what it does with them. {@link Main} makes a new
 * instance per run, parses the arguments into it and calls it once.
 */
abstract class Subcommand {
    /** Where the command writes its results and its messages; set before {@link #call()}. */
    PrintWriter stdout;
    PrintWriter stderr;

    /** The command's name, description and options, bound to this instance's fields. */
    abstract CommandOptions options();

    /** Runs the command and returns its exit code; an exception is reported by {@link Main}. */
    abstract int call() throws Exception;
}
