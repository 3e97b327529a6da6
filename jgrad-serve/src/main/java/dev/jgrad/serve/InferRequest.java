package dev.jgrad.serve;

import dev.jgrad.infer.InferenceModel;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * An inference request checked against its model: {@code rows} samples of FP32 features, every
 * one finite, the request's id and the outputs it asks for. Each fault is refused as an
 * {@link ApiError} 400 naming the field ({@code inputs[0].shape}, {@code inputs[0].data[17]}, ...).
 *
 * @param data    rows × features values
 * @param rows    samples
 * @param single  the shape was {@code [features]}: answers are shaped without a batch dimension
 * @param id      the request's id, echoed in the answer, or null
 * @param outputs names of the outputs asked for, or null for all
 */
record InferRequest(float[] data, int rows, boolean single, String id, Set<String> outputs) {

    boolean wants(String output) {
        return outputs == null || outputs.contains(output);
    }

    static InferRequest parse(byte[] body, int length, InferenceModel model, int maxRows) {
        Object root = JsonInput.parse(body, length);
        if (!(root instanceof Map<?, ?> req)) throw new ApiError(400, null, "the request must be a JSON object");
        Object idValue = req.get("id");
        if (idValue != null && !(idValue instanceof String)) throw new ApiError(400, "id", "must be a string");
        Object inputs = req.get("inputs");
        if (inputs == null) throw new ApiError(400, "inputs", "missing: the request needs one input tensor");
        List<?> list = asList(inputs);
        if (list == null) throw new ApiError(400, "inputs", "must be a list of tensors");
        if (list.size() != 1) {
            throw new ApiError(400, "inputs", "the model takes one input tensor ('" + InferenceApi.INPUT + "'), got " + list.size());
        }
        if (!(list.getFirst() instanceof Map<?, ?> t)) throw new ApiError(400, "inputs[0]", "must be a tensor object");
        Object name = t.get("name");
        if (name == null) throw new ApiError(400, "inputs[0].name", "missing");
        if (!InferenceApi.INPUT.equals(name)) {
            throw new ApiError(400, "inputs[0].name", "unknown input " + name + "; the model's input is '" + InferenceApi.INPUT + "'");
        }
        Object datatype = t.get("datatype");
        if (datatype == null) throw new ApiError(400, "inputs[0].datatype", "missing");
        if (!"FP32".equals(datatype)) throw new ApiError(400, "inputs[0].datatype", "the model takes FP32, not " + datatype);
        int w = model.inputSize();
        Object shapeValue = t.get("shape");
        if (shapeValue == null) throw new ApiError(400, "inputs[0].shape", "missing");
        if (!(shapeValue instanceof JsonInput.Numbers shape) || !shape.integers() || shape.values().length == 0
                || shape.values().length > 2) {
            throw new ApiError(400, "inputs[0].shape", "must be [N, " + w + "] or [" + w + "] in whole numbers");
        }
        float[] dims = shape.values();
        if (shape.maxInteger() > Integer.MAX_VALUE) throw new ApiError(400, "inputs[0].shape", "too large");
        boolean single = dims.length == 1;
        long rows = single ? 1 : (long) dims[0];
        long width = (long) dims[dims.length - 1];
        if (width != w || rows < 1) {
            throw new ApiError(400, "inputs[0].shape", shapeText(dims) + " does not fit the model's input [N, " + w + "] (N ≥ 1)");
        }
        if (rows > maxRows) throw new ApiError(400, "inputs[0].shape", rows + " rows, more than the " + maxRows + " a request may hold");
        Object dataValue = t.get("data");
        if (dataValue == null) throw new ApiError(400, "inputs[0].data", "missing");
        float[] data = flatten(dataValue, (int) rows, w);
        for (int i = 0; i < data.length; i++) {
            if (!Float.isFinite(data[i])) {
                throw new ApiError(400, "inputs[0].data[" + i + "]", "is " + data[i] + " in FP32: values must be finite");
            }
        }
        Set<String> outputs = null;
        Object out = req.get("outputs");
        if (out != null) {
            List<?> asked = asList(out);
            if (asked == null) throw new ApiError(400, "outputs", "must be a list of {\"name\": ...}");
            List<String> known = InferenceApi.outputNames(model);
            outputs = new java.util.HashSet<>();
            for (int i = 0; i < asked.size(); i++) {
                if (!(asked.get(i) instanceof Map<?, ?> o) || !(o.get("name") instanceof String n)) {
                    throw new ApiError(400, "outputs[" + i + "].name", "missing");
                }
                if (!known.contains(n)) throw new ApiError(400, "outputs[" + i + "].name", "unknown output '" + n + "'; the model gives " + known);
                outputs.add(n);
            }
        }
        return new InferRequest(data, (int) rows, single, (String) idValue, outputs);
    }

    /** A list value; an empty JSON array reads as empty numbers, which is an empty list here. */
    private static List<?> asList(Object v) {
        if (v instanceof List<?> l) return l;
        if (v instanceof JsonInput.Numbers n && n.values().length == 0) return List.of();
        return null;
    }

    /** The tensor's values, flat in row-major order, from a flat list or one list per row. */
    private static float[] flatten(Object v, int rows, int w) {
        int need = rows * w;
        if (v instanceof JsonInput.Numbers n) {
            if (n.values().length != need) {
                throw new ApiError(400, "inputs[0].data", "holds " + n.values().length + " values, the shape needs " + need);
            }
            return n.values();
        }
        if (!(v instanceof List<?> l)) throw new ApiError(400, "inputs[0].data", "must be a list of numbers");
        if (l.stream().anyMatch(e -> e instanceof Double)) {
            // A flat list with something else among the numbers: name the first such element.
            for (int i = 0; i < l.size(); i++) {
                if (!(l.get(i) instanceof Double)) throw new ApiError(400, "inputs[0].data[" + i + "]", "is " + what(l.get(i)) + "; data must hold numbers only");
            }
        }
        float[] out = new float[need];
        int at = 0;
        for (int i = 0; i < l.size(); i++) {
            Object row = l.get(i);
            if (!(row instanceof JsonInput.Numbers n)) {
                throw new ApiError(400, "inputs[0].data[" + i + "]", "is " + what(row) + "; data must hold numbers only");
            }
            if (at + n.values().length > need) {
                throw new ApiError(400, "inputs[0].data", "holds more values than the shape's " + need);
            }
            System.arraycopy(n.values(), 0, out, at, n.values().length);
            at += n.values().length;
        }
        if (at != need) throw new ApiError(400, "inputs[0].data", "holds " + at + " values, the shape needs " + need);
        return out;
    }

    private static String what(Object v) {
        return v instanceof List<?> ? "a list holding something other than numbers" : v == null ? "null"
                : v instanceof String ? "a string" : v instanceof Boolean ? "a boolean" : v instanceof Map ? "an object"
                : "a list of numbers";
    }

    private static String shapeText(float[] dims) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < dims.length; i++) sb.append(i > 0 ? ", " : "").append((long) dims[i]);
        return sb.append(']').toString();
    }
}
