package dev.jgrad.io;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The JSON reader is strict and bounded: every refusal names the source, the position and the path. */
class JsonTest {

    private static String refused(String text) {
        InvalidModelException e = assertThrows(InvalidModelException.class, () -> Json.parse(text, "f.json"), text);
        assertTrue(e.getMessage().startsWith("f.json: "), e.getMessage());
        return e.getMessage();
    }

    @Test
    void readsWhatItWrites() {
        Map<String, Object> doc = Json.parseObject("{\"a\": [1, -2.5e3, true, false, null, \"x\\u00e9\\ud83d\\ude00\\n\"], \"b\": {}}");
        assertEquals(List.of(1L, -2500.0, true, false, "x\u00e9\ud83d\ude00\n"), ((List<?>) doc.get("a")).stream()
                .filter(java.util.Objects::nonNull).toList());
        assertEquals(Json.write(doc), Json.write(Json.parseObject(Json.write(doc))));
        assertEquals(1e30, Json.parse("1000000000000000000000000000000"), "integers beyond 64 bits read as doubles");
        assertEquals(-0.0, Json.parse("-0.0"));
    }

    @Test
    void deepNestingIsRefusedWithoutExhaustingTheStack() {
        String deep = "[".repeat(100_000) + "]".repeat(100_000);
        assertTrue(refused(deep).contains("nested deeper than " + Json.MAX_DEPTH + " levels at character 64 ($"), refused(deep));
        String objects = "{\"a\":".repeat(65) + "1" + "}".repeat(65);
        assertTrue(refused(objects).contains("($.a.a.a"), refused(objects));
        String ok = "[".repeat(Json.MAX_DEPTH) + "]".repeat(Json.MAX_DEPTH);
        Json.parse(ok);
    }

    @Test
    void grammarIsStrict() {
        for (String bad : List.of("01", "+1", "1.", ".5", "1e", "1e+", "-", "NaN", "Infinity", "[1,]", "{\"a\":1,}", "[1 2]",
                "{\"a\" 1}", "{a:1}", "'a'", "\"a", "\"\\x\"", "\"\\u12G4\"", "\"\\u+123\"", "\"tab\there\"", "[1]x", "tru", "nul",
                "\"\\ud800\"", "\"\\udc00\"", "\"\\ud800\\u0041\"", "1e400", "-1e400", "\u00a01", "[1,\u000b2]", "")) {
            refused(bad);
        }
    }

    @Test
    void duplicateKeysAreRefusedWithTheirPath() {
        String m = refused("{\"layers\": [{\"type\": \"dense\", \"type\": \"dropout\"}]}");
        assertTrue(m.contains("duplicate key") && m.contains("$.layers[0].type"), m);
    }

    @Test
    void limitsOnNumbersStringsAndValues() {
        assertTrue(refused("1" + "0".repeat(Json.MAX_NUMBER_LENGTH)).contains("a number longer than"));
        Json.parse("1" + "0".repeat(Json.MAX_NUMBER_LENGTH - 1));
        String many = "[" + "0,".repeat(Json.MAX_VALUES) + "0]";
        assertTrue(refused(many).contains("more than " + Json.MAX_VALUES + " values"));
    }

    @Test
    void invalidUtf8IsRefusedWithItsOffset() {
        byte[][] bad = {
                {'"', (byte) 0xC0, (byte) 0x80, '"'},                 // overlong NUL
                {'"', 'a', (byte) 0xFF, '"'},                          // never valid
                {'"', (byte) 0xED, (byte) 0xA0, (byte) 0x80, '"'},     // a surrogate encoded in UTF-8
                {'"', (byte) 0xE2, (byte) 0x82, '"'},                  // truncated sequence
        };
        for (byte[] b : bad) {
            InvalidModelException e = assertThrows(InvalidModelException.class, () -> Json.parse(b, "h.json"));
            assertTrue(e.getMessage().startsWith("h.json: invalid UTF-8 at byte "), e.getMessage());
        }
        InvalidModelException e = assertThrows(InvalidModelException.class, () -> Json.parse(new byte[]{'"', 'a', (byte) 0xFF, '"'}, "h"));
        assertTrue(e.getMessage().contains("at byte 2"), e.getMessage());
        assertEquals("é€", Json.parse("\"é€\"".getBytes(StandardCharsets.UTF_8), "ok"));
    }
}
