package dev.jgrad.cli;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Base64;
import java.util.List;

/**
 * Pictures of an input and of its gradient for the web pages: images as PNG data URIs (scaled up
 * by whole pixels, so they stay sharp anywhere), colour legends and a ranked bar chart as inline
 * SVG. Nothing refers to anything outside the page.
 */
final class HeatMap {
    private HeatMap() {
    }

    /** How values become colours. */
    enum Palette {
        /** The input: dark strokes on white, from the sample's own range. */
        GRAY,
        /** A signed gradient: blue below zero, white at zero, red above, symmetric in the largest |value|. */
        SIGNED,
        /** |gradient|: white at zero to dark red at the largest. */
        MAGNITUDE
    }

    private static final int[] BLUE = {33, 102, 172}, RED = {178, 24, 43}, WHITE = {255, 255, 255},
            ORANGE = {253, 141, 60}, DARK = {103, 0, 13};

    /** The RGB colour of v on the palette, given the scale (lo..hi for GRAY, the largest magnitude otherwise). */
    static int rgb(Palette p, double v, double lo, double hi) {
        switch (p) {
            case GRAY -> {
                int g = hi > lo ? (int) Math.round(255 * (v - lo) / (hi - lo)) : 0;
                int c = 255 - Math.max(0, Math.min(255, g));
                return c << 16 | c << 8 | c;
            }
            case SIGNED -> {
                double t = hi > 0 ? Math.max(-1, Math.min(1, v / hi)) : 0;
                return t < 0 ? mix(WHITE, BLUE, -t) : mix(WHITE, RED, t);
            }
            default -> {
                double t = hi > 0 ? Math.min(1, Math.abs(v) / hi) : 0;
                return t < 0.5 ? mix(WHITE, ORANGE, 2 * t) : mix(ORANGE, DARK, 2 * t - 1);
            }
        }
    }

    private static int mix(int[] a, int[] b, double t) {
        int r = (int) Math.round(a[0] + (b[0] - a[0]) * t), g = (int) Math.round(a[1] + (b[1] - a[1]) * t),
                bl = (int) Math.round(a[2] + (b[2] - a[2]) * t);
        return r << 16 | g << 8 | bl;
    }

    static double maxAbs(double[] v) {
        double m = 0;
        for (double d : v) m = Math.max(m, Math.abs(d));
        return m;
    }

    /** The values as an h × w image, each value a zoom × zoom block, as a base64 PNG. */
    static String png(double[] v, int h, int w, Palette p, int zoom) {
        double lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
        for (double d : v) {
            lo = Math.min(lo, d);
            hi = Math.max(hi, d);
        }
        if (p != Palette.GRAY) hi = maxAbs(v);
        BufferedImage img = new BufferedImage(w * zoom, h * zoom, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int c = rgb(p, v[y * w + x], lo, hi);
                for (int dy = 0; dy < zoom; dy++) for (int dx = 0; dx < zoom; dx++) img.setRGB(x * zoom + dx, y * zoom + dy, c);
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            ImageIO.write(img, "png", out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return Base64.getEncoder().encodeToString(out.toByteArray());
    }

    /** An {@code <img>} of the values with a caption under it. */
    static String figure(double[] v, int[] shape, Palette p, int zoom, String caption, String alt) {
        return "<figure class=\"hm\"><img alt=\"" + Html.esc(alt) + "\" width=\"" + shape[1] * zoom + "\" height=\"" + shape[0] * zoom
                + "\" src=\"data:image/png;base64," + png(v, shape[0], shape[1], p, zoom) + "\"><figcaption>" + caption + "</figcaption></figure>";
    }

    /** A horizontal colour bar for the palette with its two ends (and zero) labelled. */
    static String legend(Palette p, double scale, String low, String high) {
        int w = 160, h = 10;
        StringBuilder sb = new StringBuilder(String.format("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" role=\"img\" aria-label=\"colour scale\">", w + 80, h + 16));
        int steps = 32;
        for (int i = 0; i < steps; i++) {
            double t = i / (double) (steps - 1);
            double v = p == Palette.SIGNED ? (2 * t - 1) * scale : t * scale;
            int c = rgb(p, v, 0, scale);
            sb.append(String.format("<rect x=\"%.1f\" y=\"0\" width=\"%.1f\" height=\"%d\" fill=\"#%06x\"/>", 40 + t * (w - w / (double) steps), w / (double) steps + 0.5, h, c));
        }
        sb.append(String.format("<rect x=\"40\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#99a\"/>", w, h));
        sb.append(String.format("<text x=\"40\" y=\"%d\" font-size=\"10\">%s</text>", h + 12, Html.esc(low)));
        sb.append(String.format("<text x=\"%d\" y=\"%d\" font-size=\"10\" text-anchor=\"end\">%s</text>", 40 + w, h + 12, Html.esc(high)));
        if (p == Palette.SIGNED) sb.append(String.format("<text x=\"%d\" y=\"%d\" font-size=\"10\" text-anchor=\"middle\">0</text>", 40 + w / 2, h + 12));
        return sb.append("</svg>").toString();
    }

    /**
     * Bars of the n values of largest magnitude, largest first, signed from a middle axis (blue
     * below zero, red above), each with its name and value.
     */
    static String rankedBars(String title, List<String> names, double[] v, int n) {
        int[] top = Summary.largest(v, n);
        int rowH = 20, left = 200, half = 220, top0 = 28;
        int w = left + 2 * half + 90, h = top0 + rowH * top.length + 10;
        double max = Math.max(maxAbs(v), 1e-300);
        StringBuilder sb = new StringBuilder(String.format("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" role=\"img\" aria-label=\"%s\">", w, h, Html.esc(title)));
        sb.append(String.format("<text x=\"4\" y=\"16\" font-size=\"13\" font-weight=\"600\">%s</text>", Html.esc(title)));
        int axis = left + half;
        sb.append(String.format("<line x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\" stroke=\"#889\"/>", axis, axis, top0 - 4, h - 6));
        for (int k = 0; k < top.length; k++) {
            int i = top[k];
            double len = half * Math.abs(v[i]) / max;
            double x = v[i] < 0 ? axis - len : axis;
            int y = top0 + k * rowH;
            sb.append(String.format("<text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"end\">%s</text>", left - 8, y + 13, Html.esc(names.get(i))));
            sb.append(String.format("<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\"><title>%s: %s</title></rect>",
                    x, y + 3, Math.max(len, 0.5), rowH - 6, v[i] < 0 ? "#2166ac" : "#b2182b", Html.esc(names.get(i)), ExplainText.num(v[i])));
            sb.append(String.format("<text x=\"%d\" y=\"%d\" font-size=\"10\" fill=\"#445\">%s</text>", left + 2 * half + 6, y + 13, ExplainText.num(v[i])));
        }
        return sb.append("</svg>").toString();
    }

    /** The input, dL/dx and |dL/dx| side by side (each gradient map on its own scale, given under it). */
    static String triptych(double[] raw, int[] shape, double[] grad, String what, int zoom) {
        double m = maxAbs(grad);
        return "<div class=\"trip\">" + figure(raw, shape, Palette.GRAY, zoom, "input", "input")
                + figure(grad, shape, Palette.SIGNED, zoom, "dL/dx " + Html.esc(what) + "<br>±" + ExplainText.num(m), "dL/dx " + what)
                + figure(grad, shape, Palette.MAGNITUDE, zoom, "|dL/dx| " + Html.esc(what) + "<br>0 … " + ExplainText.num(m), "|dL/dx| " + what)
                + "</div>";
    }
}
