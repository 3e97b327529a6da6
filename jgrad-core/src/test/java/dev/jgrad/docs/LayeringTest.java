package dev.jgrad.docs;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The packages of jgrad-core depend downwards only, as docs/DESIGN.md draws them: a package
 * names (imports or qualifies) only the packages below it. A new package must be placed here.
 */
class LayeringTest {
    private static final Map<String, Set<String>> MAY_USE = Map.of(
            "tensor", Set.of(),
            "kernel", Set.of("tensor"),
            "nn", Set.of("tensor", "kernel"),
            "optim", Set.of("tensor", "kernel"),
            "data", Set.of("tensor"),
            "io", Set.of("tensor", "kernel", "nn", "optim", "data"),
            "train", Set.of("tensor", "kernel", "nn", "optim", "data", "io"),
            "check", Set.of("tensor", "kernel", "nn", "optim", "data", "io", "train"),
            "infer", Set.of("tensor", "kernel", "nn", "data", "io"));
    private static final Pattern REF = Pattern.compile("\\bdev\\.jgrad\\.([a-z]+)\\.");

    @Test
    void packagesDependDownwardsOnly() throws IOException {
        Path root = Path.of("src/main/java/dev/jgrad");
        List<String> wrong = new ArrayList<>();
        int files = 0;
        try (Stream<Path> all = Files.walk(root)) {
            for (Path f : all.filter(p -> p.toString().endsWith(".java")).toList()) {
                files++;
                String pkg = root.relativize(f).getName(0).toString();
                Set<String> allowed = MAY_USE.get(pkg);
                if (allowed == null) {
                    wrong.add(f + ": package '" + pkg + "' has no place in the layering");
                    continue;
                }
                Matcher m = REF.matcher(Files.readString(f));
                while (m.find()) {
                    String used = m.group(1);
                    if (!used.equals(pkg) && !allowed.contains(used)) wrong.add(f + " uses " + used);
                }
            }
        }
        assertTrue(files > 50, "read the sources: " + files);
        assertEquals(List.of(), wrong.stream().distinct().toList());
    }
}
