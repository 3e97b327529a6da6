package dev.jgrad.cli;

import java.io.PrintStream;
import java.text.MessageFormat;
import java.util.MissingResourceException;
import java.util.ResourceBundle;

/**
 * Where the {@link System.Logger} messages of the jgrad command go: one line on standard error,
 * {@code LEVEL message} (SEVERE, WARNING, INFO), INFO and above. The JDK finds it as its logger
 * finder (a service of this jar) instead of starting java.util.logging: the one line the
 * kernels log on every run (which kernels run) otherwise brings up the logging configuration
 * and, through the log formatter's time stamp, the time-zone and locale data, about a tenth of
 * a one-row {@code jgrad predict}. The lines read as they did with java.util.logging and the
 * format {@code "%4$s %5$s%n"}.
 */
public final class CliLoggerFinder extends System.LoggerFinder {
    /** The service loader's constructor. */
    public CliLoggerFinder() {
    }

    @Override
    public System.Logger getLogger(String name, Module module) {
        return new LineLogger(name);
    }

    /** The name java.util.logging gives the level, so that the lines read as before. */
    static String levelName(System.Logger.Level level) {
        return switch (level) {
            case ERROR -> "SEVERE";
            case WARNING -> "WARNING";
            case INFO -> "INFO";
            case DEBUG -> "FINE";
            case TRACE -> "FINER";
            case ALL -> "ALL";
            case OFF -> "OFF";
        };
    }

    private record LineLogger(String name) implements System.Logger {
        @Override
        public String getName() {
            return name;
        }

        @Override
        public boolean isLoggable(Level level) {
            return level != Level.OFF && level.getSeverity() >= Level.INFO.getSeverity();
        }

        @Override
        public void log(Level level, ResourceBundle bundle, String msg, Throwable thrown) {
            if (isLoggable(level)) print(level, localized(bundle, msg));
        }

        @Override
        public void log(Level level, ResourceBundle bundle, String format, Object... params) {
            if (!isLoggable(level)) return;
            String pattern = localized(bundle, format);
            print(level, params == null || params.length == 0 ? pattern : MessageFormat.format(pattern, params));
        }

        private static String localized(ResourceBundle bundle, String key) {
            if (bundle == null || key == null) return key;
            try {
                return bundle.getString(key);
            } catch (MissingResourceException e) {
                return key;
            }
        }

        private static void print(Level level, String message) {
            PrintStream err = System.err;
            err.println(levelName(level) + " " + message);
        }
    }
}
