package dev.jgrad.bench;

import dev.jgrad.kernel.Kernels;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What a benchmark ran on, printed beside its figures: the processor's model, the processors
 * the JVM sees, and the kernels chosen (with their vector width). Kept apart from the tools
 * with peers, so that printing it loads no peer's classes.
 */
final class Machine {
    private Machine() {
    }

    /** The CPU model from /proc/cpuinfo, or "unknown" where there is none. */
    static String cpuName() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) return line.substring(line.indexOf(':') + 1).trim();
            }
        } catch (java.io.IOException e) {
            // not Linux: say so
        }
        return "unknown";
    }

    /** One line: CPU model, processors, kernels. */
    static String describe() {
        return cpuName() + ", " + Runtime.getRuntime().availableProcessors() + " processors; " + Kernels.get().description();
    }
}
