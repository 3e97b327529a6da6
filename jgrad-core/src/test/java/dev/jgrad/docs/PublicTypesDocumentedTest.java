package dev.jgrad.docs;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every public class, interface, enum and record of every module has a javadoc comment: the
 * javadoc build checks references, tags and HTML and fails on a warning, but it is told not to
 * report missing comments on every method, so the types are checked here.
 */
class PublicTypesDocumentedTest {
    private static final Pattern TYPE = Pattern.compile(
            "^\\s*public\\s+(?:(?:static|final|abstract|sealed|non-sealed|strictfp)\\s+)*(?:class|interface|enum|record|@interface)\\s+(\\w+)");

    @Test
    void everyPublicTypeHasAComment() throws IOException {
        Path root = Path.of("").toAbsolutePath().getParent();
        List<Path> sources = new ArrayList<>();
        try (Stream<Path> modules = Files.list(root)) {
            for (Path m : modules.filter(p -> p.getFileName().toString().startsWith("jgrad-")).toList()) {
                Path src = m.resolve("src/main/java");
                if (!Files.isDirectory(src) || m.getFileName().toString().equals("jgrad-bench")) continue;
                try (Stream<Path> files = Files.walk(src)) {
                    files.filter(p -> p.toString().endsWith(".java")).forEach(sources::add);
                }
            }
        }
        assertTrue(sources.size() > 50, "found the sources under " + root + ": " + sources.size());
        List<String> missing = new ArrayList<>();
        for (Path f : sources) {
            List<String> lines = Files.readAllLines(f);
            for (int i = 0; i < lines.size(); i++) {
                Matcher m = TYPE.matcher(lines.get(i));
                if (!m.find()) continue;
                int j = i - 1;
                // Skip annotations (which may span lines) between the comment and the declaration.
                while (j >= 0 && !lines.get(j).strip().endsWith("*/") && !lines.get(j).strip().endsWith(";")
                        && !lines.get(j).strip().endsWith("{") && !lines.get(j).strip().endsWith("}")) {
                    j--;
                }
                if (j < 0 || !lines.get(j).strip().endsWith("*/")) missing.add(root.relativize(f) + ":" + (i + 1) + " " + m.group(1));
            }
        }
        assertEquals(List.of(), missing, "public types without a javadoc comment");
    }
}
