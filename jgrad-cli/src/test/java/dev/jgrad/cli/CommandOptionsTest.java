package dev.jgrad.cli;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The command line: every command's options, defaults, help and usage errors. The help and the
 * messages are those jgrad printed before it parsed its own command line (same synopsis, option
 * table and wording), so scripts and habits keep working.
 */
class CommandOptionsTest {

    private static <T extends Subcommand> T parse(T command, String... args) {
        assertEquals(CommandOptions.Outcome.RUN, command.options().parse(args, 0));
        return command;
    }

    private static CliTest.Result run(String... args) {
        return CliTest.run(args);
    }

    @Test
    void trainDefaultsAreTheDocumentedOnes() {
        TrainCommand t = parse(new TrainCommand());
        assertEquals(DataSource.BUILTIN, t.data);
        assertEquals("256:relu,128:relu", t.layers);
        assertEquals("adam", t.optimizer);
        assertEquals(128, t.batch);
        assertEquals(10, t.epochs);
        assertEquals(1L, t.seed);
        assertEquals(0.1, t.validation);
        assertEquals("auto", t.normalize);
        assertEquals("loss", t.monitor);
        assertEquals("constant", t.schedule);
        assertNull(t.lr);
        assertNull(t.header);
        assertNull(t.threads);
        assertFalse(t.json || t.quiet || t.testEveryEpoch);
    }

    @Test
    void everyValueSyntaxAndType() {
        TrainCommand t = parse(new TrainCommand(), "--epochs", "3", "--lr=0.5", "--no-header", "--json",
                "--seed", "-7", "--momentum", "-0.25", "--out", "m.safetensors", "--threads=2", "--data", "x.csv");
        assertEquals(3, t.epochs);
        assertEquals(0.5, t.lr);
        assertEquals(Boolean.FALSE, t.header);
        assertTrue(t.json);
        assertEquals(-7L, t.seed);
        assertEquals(-0.25, t.momentum);
        assertEquals(Path.of("m.safetensors"), t.modelFile);
        assertEquals(2, t.threads);
        assertEquals("x.csv", t.data);
        assertEquals(Boolean.TRUE, parse(new PredictCommand(), "--model", "m", "--input", "i", "--header").header);
        assertEquals(Boolean.TRUE, parse(new PredictCommand(), "--model", "m", "--input", "i", "--header=true").header);
    }

    @Test
    void serveDefaultsAndItsNegatableSwitch() {
        ServeCommand s = parse(new ServeCommand(), "--model", "models");
        assertEquals(8080, s.port);
        assertEquals("127.0.0.1", s.host);
        assertTrue(s.batching);
        assertEquals(200L, s.windowMicros);
        assertEquals(256, s.maxBatch);
        assertEquals(4_194_304, s.maxBody);
        assertEquals(30_000L, s.idleMillis);
        assertFalse(parse(new ServeCommand(), "--model", "m", "--no-batching").batching);
        assertTrue(parse(new ServeCommand(), "--model", "m", "--batching").batching);
    }

    @Test
    void listsPositionalsAndGroups() {
        ImportCommand i = parse(new ImportCommand(), "net.onnx", "--out", "m.safetensors", "--classes", "a,b", "--classes=c");
        assertEquals(Path.of("net.onnx"), i.onnx);
        assertEquals(List.of("a", "b", "c"), i.classes);
        assertNull(i.activations);
        GradCommand g = parse(new GradCommand(), "--weights", "w", "--activations", "relu,identity", "--loss", "mse",
                "--input", "x.csv", "--target", "t.csv");
        assertEquals(Path.of("w"), g.source.weights);
        assertNull(g.source.model);
        assertEquals(List.of("relu", "identity"), g.activations);
        assertEquals("float", g.precision);
        ExportCommand e = parse(new ExportCommand(), "--model", "m", "--onnx", "o");
        assertEquals(17, e.opset);
        assertFalse(e.label);
        GradcheckCommand c = parse(new GradcheckCommand());
        assertEquals(1e-7, c.tolerance);
        assertEquals(1e-4, c.floor);
        assertEquals("softmax_cross_entropy", c.loss);
        ExplainCommand x = parse(new ExplainCommand());
        assertEquals("3:sigmoid,2:sigmoid", x.layers);
        assertEquals(2, x.inputSize);
        assertEquals("mse", x.loss);
    }

    @Test
    void helpOfEveryCommand() {
        for (String cmd : Main.COMMANDS) {
            CliTest.Result h = run(cmd, "--help");
            assertEquals(0, h.code(), cmd);
            assertTrue(h.out().startsWith("Usage: jgrad " + cmd + " [-hV]"), h.out());
            assertTrue(h.out().contains("  -h, --help ") && h.out().contains("  -V, --version "), h.out());
            for (String line : h.out().split("\n")) assertTrue(line.length() <= CommandOptions.WIDTH, line);
            assertEquals(h.out(), run("help", cmd).out());
            assertEquals(h.out(), run(cmd, "-h").out());
        }
        assertTrue(run("train", "--help").out().contains(
                "      --epochs=<epochs>      epochs (default: 10)\n"
                        + "      --seed=<seed>          seed for weights, splits, shuffles and dropout\n"
                        + "                               (default: 1)\n"));
        assertTrue(run("grad", "--help").out().contains("                  (--model=FILE | --weights=FILE)\n"));
        assertTrue(run("import", "--help").out().contains("[--classes=<classes>[,<classes>...]]... [MODEL.onnx]\n"));
    }

    @Test
    void predictHelpIsAsBefore() {
        assertEquals("""
                Usage: jgrad predict [-hV] [--[no-]header] --input=PATH [--label=COL]
                                     --model=FILE [--output=FILE]
                Predicts for new inputs: CSV or IDX in, CSV out (class and class probabilities,
                or regression values).
                Example: jgrad predict --model m.safetensors --input new.csv --output
                predictions.csv
                      --model=FILE
                      --input=PATH    a CSV of feature rows, an IDX images file, or an IDX
                                        directory (its test images)
                      --label=COL     a CSV column to ignore (e.g. a label), by name or index
                      --[no-]header   CSV has a header line (default: detected)
                      --output=FILE   CSV to write (default: standard output)
                  -h, --help          Show this help message and exit.
                  -V, --version       Print version information and exit.
                """, run("predict", "--help").out());
    }

    @Test
    void jgradsOwnHelpVersionAndCommandList() {
        CliTest.Result h = run("--help");
        assertEquals(0, h.code());
        assertTrue(h.out().startsWith("Usage: jgrad [-hV] [COMMAND]\n"), h.out());
        for (String cmd : Main.COMMANDS) assertTrue(h.out().contains("\n  " + cmd + " "), cmd);
        assertTrue(h.out().contains("  predict    Predicts for new inputs: CSV or IDX in, CSV out (class and class\n"
                + "               probabilities, or regression values).\n"), h.out());
        assertEquals(h.out(), run("help").out());
        assertEquals("jgrad 0.1.0\n", run("--version").out());
        assertEquals("jgrad 0.1.0\n", run("predict", "-V").out());
        CliTest.Result none = run();
        assertEquals(2, none.code());
        assertTrue(none.err().startsWith("a command is required (try 'jgrad train')\nUsage: jgrad"), none.err());
    }

    @Test
    void usageErrorsSayWhatIsWrong() {
        CliTest.Result r = run("train", "--epochz", "3");
        assertEquals(2, r.code());
        assertEquals("Unknown option: '--epochz'\nPossible solutions: --epochs\n", r.err());
        r = run("train", "--epochs", "x");
        assertEquals(2, r.code());
        assertTrue(r.err().startsWith("Invalid value for option '--epochs': 'x' is not an int\nUsage: jgrad train "), r.err());
        r = run("train", "--lr", "abc");
        assertTrue(r.err().startsWith("Invalid value for option '--lr': 'abc' is not a double\n"), r.err());
        r = run("train", "--seed", "1.5");
        assertTrue(r.err().startsWith("Invalid value for option '--seed': '1.5' is not a long\n"), r.err());
        r = run("predict", "--input", "x");
        assertEquals(2, r.code());
        assertTrue(r.err().startsWith("Missing required option: '--model=FILE'\nUsage: jgrad predict "), r.err());
        r = run("predict");
        assertTrue(r.err().startsWith("Missing required options: '--model=FILE', '--input=PATH'\n"), r.err());
        r = run("predict", "--model");
        assertTrue(r.err().startsWith("Missing required parameter for option '--model' (FILE)\n"), r.err());
        r = run("predict", "--model", "--input", "x");
        assertTrue(r.err().startsWith("Missing required parameter for option '--model' (FILE)\n"), r.err());
        r = run("train", "--epochs", "1", "--epochs", "2");
        assertTrue(r.err().startsWith("option '--epochs' (<epochs>) should be specified only once\n"), r.err());
        r = run("info", "--model", "m", "extra");
        assertTrue(r.err().startsWith("Unmatched argument at index 3: 'extra'\n"), r.err());
        r = run("import", "a.onnx", "b.onnx", "--out", "m");
        assertTrue(r.err().startsWith("Unmatched argument at index 2: 'b.onnx'\n"), r.err());
        r = run("grad", "--model", "a", "--weights", "b", "--input", "x", "--target", "y");
        assertTrue(r.err().startsWith("Error: --model=FILE, --weights=FILE are mutually exclusive (specify only one)\n"), r.err());
        r = run("grad", "--input", "x", "--target", "y");
        assertTrue(r.err().startsWith("Error: Missing required argument (specify one of these): (--model=FILE | --weights=FILE)\n"), r.err());
        r = run("predict", "--json", "--model", "m", "--input", "i");
        assertEquals("Unknown option: '--json'\n", r.err());
        r = run("info", "--model", "m", "--json=maybe");
        assertTrue(r.err().startsWith("Invalid value for option '--json': 'maybe' is not a boolean\n"), r.err());
        r = run("trian");
        assertEquals(2, r.code());
        assertEquals("Unmatched argument at index 0: 'trian'\nDid you mean: jgrad train?\n", r.err());
        r = run("frobnicate");
        assertTrue(r.err().startsWith("Unmatched argument at index 0: 'frobnicate'\nUsage: jgrad [-hV] [COMMAND]\n"), r.err());
        r = run("help", "frobnicate");
        assertEquals(2, r.code());
        for (String[] bad : List.of(new String[]{"serve", "--model", "m", "--port", "http"},
                new String[]{"explain", "--row", "-"}, new String[]{"export", "--model", "m", "--onnx", "o", "--opset", "17.0"})) {
            CliTest.Result b = run(bad);
            assertEquals(2, b.code(), String.join(" ", bad));
            assertTrue(b.err().contains("Usage: jgrad " + bad[0]), b.err());
        }
        assertThrows(UsageException.class, () -> new TrainCommand().options().parse(new String[]{"--no-json"}, 0));
    }

    @Test
    void suggestionsAreNearNames() {
        assertEquals(0, CommandOptions.editDistance("--epochs", "--epochs"));
        assertEquals(1, CommandOptions.editDistance("--epochs", "--epochz"));
        assertEquals(2, CommandOptions.editDistance("train", "trian"));
        assertEquals(3, CommandOptions.editDistance("", "abc"));
    }
}
