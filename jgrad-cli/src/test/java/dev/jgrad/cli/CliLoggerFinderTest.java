package dev.jgrad.cli;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CliLoggerFinderTest {

    @Test
    void theJdkUsesItAndTheLinesReadAsBefore() {
        assertInstanceOf(CliLoggerFinder.class, System.LoggerFinder.getLoggerFinder());
        System.Logger log = System.getLogger("dev.jgrad.test");
        PrintStream stderr = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            log.log(System.Logger.Level.INFO, "jgrad: Vector API kernels (512-bit float vectors)");
            log.log(System.Logger.Level.WARNING, "jgrad: {0} failed to load ({1})", "X", "because");
            log.log(System.Logger.Level.ERROR, "broken", new IllegalStateException("not printed"));
            log.log(System.Logger.Level.DEBUG, "not shown");
            log.log(System.Logger.Level.TRACE, "not shown either");
        } finally {
            System.setErr(stderr);
        }
        assertEquals("""
                INFO jgrad: Vector API kernels (512-bit float vectors)
                WARNING jgrad: X failed to load (because)
                SEVERE broken
                """.replace("\n", System.lineSeparator()), captured.toString(StandardCharsets.UTF_8));
        assertTrue(log.isLoggable(System.Logger.Level.INFO));
        assertFalse(log.isLoggable(System.Logger.Level.DEBUG));
        assertFalse(log.isLoggable(System.Logger.Level.OFF));
        assertEquals("dev.jgrad.test", log.getName());
    }
}
