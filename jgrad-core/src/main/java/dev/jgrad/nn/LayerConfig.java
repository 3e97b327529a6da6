package dev.jgrad.nn;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A layer's saved configuration: its type and named values (numbers, strings, booleans), as a
 * model file keeps them in JSON. Readers are typed and strict: a missing field, a field of the
 * wrong type or out of range is refused with a message naming the layer type and the field, and
 * nothing is allocated from a value that has not passed its check.
 */
public final class LayerConfig {
    private final String type;
    private final Map<String, Object> values;

    private LayerConfig(String type, Map<String, Object> values) {
        this.type = type;
        this.values = values;
    }

    /** An empty configuration to write a layer of this type into. */
    public static LayerConfig of(String type) {
        return new LayerConfig(type, new LinkedHashMap<>());
    }

    /** A configuration read from a file: {@code values} as parsed JSON (numbers, strings, booleans). */
    public static LayerConfig read(String type, Map<String, Object> values) {
        return new LayerConfig(type, new LinkedHashMap<>(values));
    }

    /** The layer type, the key under which {@link LayerRegistry} knows its codec. */
    public String type() {
        return type;
    }

    /** The values in insertion order, without the type. */
    public Map<String, Object> values() {
        return Collections.unmodifiableMap(values);
    }

    public LayerConfig put(String key, int value) {
        return putValue(key, value);
    }

    public LayerConfig put(String key, double value) {
        return putValue(key, value);
    }

    public LayerConfig put(String key, String value) {
        return putValue(key, value);
    }

    public LayerConfig put(String key, boolean value) {
        return putValue(key, value);
    }

    private LayerConfig putValue(String key, Object value) {
        values.put(key, value);
        return this;
    }

    public boolean has(String key) {
        return values.containsKey(key);
    }

    /** A whole number in [min, max]. */
    public int getInt(String key, int min, int max) {
        Object v = require(key);
        if (!(v instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue())) {
            throw bad(key, "is " + describe(v) + ", not a whole number");
        }
        double d = n.doubleValue();
        if (d < min || d > max) throw bad(key, "is " + format(d) + ", outside [" + min + ", " + max + "]");
        return (int) d;
    }

    /** A size: a whole number from 1 up to {@code Integer.MAX_VALUE}. */
    public int getSize(String key) {
        return getInt(key, 1, Integer.MAX_VALUE);
    }

    /** A finite number in [min, max]. */
    public double getDouble(String key, double min, double max) {
        Object v = require(key);
        if (!(v instanceof Number n) || !Double.isFinite(n.doubleValue())) throw bad(key, "is " + describe(v) + ", not a number");
        double d = n.doubleValue();
        if (d < min || d > max) throw bad(key, "is " + format(d) + ", outside [" + format(min) + ", " + format(max) + "]");
        return d;
    }

    /** {@link #getDouble(String, double, double)}, or {@code fallback} when the field is absent. */
    public double getDouble(String key, double min, double max, double fallback) {
        return has(key) ? getDouble(key, min, max) : fallback;
    }

    public String getString(String key) {
        Object v = require(key);
        if (!(v instanceof String s)) throw bad(key, "is " + describe(v) + ", not a string");
        return s;
    }

    public String getString(String key, String fallback) {
        return has(key) ? getString(key) : fallback;
    }

    public boolean getBoolean(String key, boolean fallback) {
        if (!has(key)) return fallback;
        Object v = values.get(key);
        if (!(v instanceof Boolean b)) throw bad(key, "is " + describe(v) + ", not true or false");
        return b;
    }

    /** An activation by its spec, as {@link Activations#parse} reads it. */
    public Activation getActivation(String key) {
        String s = getString(key);
        try {
            return Activations.parse(s);
        } catch (IllegalArgumentException e) {
            throw bad(key, e.getMessage());
        }
    }

    private Object require(String key) {
        Object v = values.get(key);
        if (v == null) throw bad(key, "is missing");
        return v;
    }

    private IllegalArgumentException bad(String key, String what) {
        return new IllegalArgumentException(type + " layer: '" + key + "' " + what);
    }

    private static String describe(Object v) {
        return v instanceof String s ? "the string \"" + (s.length() > 40 ? s.substring(0, 40) + "…" : s) + "\""
                : v instanceof Map<?, ?> ? "an object" : v instanceof java.util.List<?> ? "a list" : String.valueOf(v);
    }

    private static String format(double d) {
        return d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString((long) d) : Double.toString(d);
    }

    @Override
    public String toString() {
        return type + values;
    }
}
