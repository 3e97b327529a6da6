package dev.jgrad.cli;

import dev.jgrad.nn.Activation;
import dev.jgrad.nn.Activations;
import dev.jgrad.nn.Init;
import dev.jgrad.nn.Sequential;
import dev.jgrad.nn.SequentialBuilder;

import java.util.ArrayList;
import java.util.List;

/**
 * Reads {@code --layers 256:relu,128:relu}: hidden dense layers as width:activation (the
 * activation defaults to relu). The output layer is added by the task: one unit per class with
 * softmax for classification, one per target with identity for regression.
 */
record NetworkSpec(List<Integer> widths, List<Activation> activations) {

    static NetworkSpec parse(String text) {
        List<Integer> w = new ArrayList<>();
        List<Activation> a = new ArrayList<>();
        if (text == null || text.isBlank() || text.equals("none")) return new NetworkSpec(w, a);
        for (String part : splitTopLevel(text)) {
            String p = part.trim();
            int colon = p.indexOf(':');
            String width = colon < 0 ? p : p.substring(0, colon);
            try {
                int n = Integer.parseInt(width.trim());
                if (n <= 0) throw new NumberFormatException();
                w.add(n);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("usage: --layers takes width:activation items like 256:relu,128:tanh; '"
                        + p + "' has no positive width");
            }
            a.add(colon < 0 ? Activations.RELU : Activations.parse(p.substring(colon + 1)));
        }
        return new NetworkSpec(w, a);
    }

    /** Splits on commas outside parentheses, so leaky_relu(0.1) stays whole. */
    private static List<String> splitTopLevel(String s) {
        List<String> out = new ArrayList<>();
        int depth = 0, start = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '(') depth++;
            else if (c == ')') depth--;
            else if (c == ',' && depth == 0) {
                out.add(s.substring(start, i));
                start = i + 1;
            }
        }
        out.add(s.substring(start));
        return out;
    }

    /** Adds the hidden layers (each optionally followed by a normalisation layer and dropout) to a builder. */
    void addHidden(SequentialBuilder b, String norm, double dropout) {
        addHidden(b, norm, dropout, null);
    }

    /** As above, with one initialisation for every layer (null: each activation's default). */
    void addHidden(SequentialBuilder b, String norm, double dropout, Init init) {
        for (int i = 0; i < widths.size(); i++) {
            if (init != null) b.dense(widths.get(i), activations.get(i), init);
            else b.dense(widths.get(i), activations.get(i));
            if ("batch".equals(norm)) b.batchNorm();
            else if ("layer".equals(norm)) b.layerNorm();
            if (dropout > 0) b.dropout(dropout);
        }
    }

    String describe() {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < widths.size(); i++) {
            if (i > 0) sb.append(',');
            sb.append(widths.get(i)).append(':').append(activations.get(i).spec());
        }
        return sb.toString();
    }
}
