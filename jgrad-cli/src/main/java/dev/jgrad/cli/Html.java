package dev.jgrad.cli;

import java.util.List;

/** Small pieces shared by the generated pages: escaping, the style sheet, an SVG line chart. */
final class Html {
    private Html() {
    }

    static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    static final String STYLE = """
            body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;max-width:1100px;color:#1d2330;padding:0 1rem}
            h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #dde;padding-bottom:.3rem}
            .sub{color:#667;margin-top:0}table{border-collapse:collapse;font-size:.9rem}td,th{padding:.25rem .6rem;border-bottom:1px solid #eef;text-align:right}
            th{background:#f4f6fb}td.l,th.l{text-align:left}.grid{display:flex;flex-wrap:wrap;gap:1.5rem}.card{background:#f8f9fc;border-radius:8px;padding:1rem}
            .num{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.85rem}.ok{color:#18794e}.bad{color:#c62828}
            math{font-size:1.1rem}.mis{display:inline-block;margin:.3rem;text-align:center;font-size:.75rem}.mis img{image-rendering:pixelated;border:1px solid #ccd}
            .trip{display:flex;gap:.4rem}.hm{margin:0;text-align:center;font-size:.75rem;color:#445}.hm img{border:1px solid #ccd;display:block}
            pre.q{margin:0;font-size:.8rem;white-space:pre-wrap}
            """;

    static String page(String title, String body) {
        return "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" + esc(title)
                + "</title><style>" + STYLE + "</style></head><body>\n" + body + "\n</body></html>\n";
    }

    /** A line chart of one or more series over epochs 1..n, with axes, ticks and a legend. */
    static String lineChart(String title, List<String> names, List<double[]> series, List<String> colors) {
        int w = 480, h = 260, left = 56, right = 16, top = 28, bottom = 40;
        double min = Double.POSITIVE_INFINITY, max = Double.NEGATIVE_INFINITY;
        int n = 0;
        for (double[] s : series) {
            n = Math.max(n, s.length);
            for (double v : s) if (!Double.isNaN(v)) {
                min = Math.min(min, v);
                max = Math.max(max, v);
            }
        }
        StringBuilder sb = new StringBuilder();
        sb.append(String.format("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" role=\"img\" aria-label=\"%s\">", w, h, esc(title)));
        sb.append(String.format("<text x=\"%d\" y=\"18\" font-size=\"14\" font-weight=\"600\">%s</text>", left, esc(title)));
        if (n == 0 || min == Double.POSITIVE_INFINITY) return sb.append("</svg>").toString();
        if (max - min < 1e-12) {
            max += 0.5;
            min -= 0.5;
        }
        double pad = (max - min) * 0.05;
        min -= pad;
        max += pad;
        int pw = w - left - right, ph = h - top - bottom;
        sb.append(String.format("<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#fff\" stroke=\"#ccd\"/>", left, top, pw, ph));
        for (int i = 0; i <= 4; i++) {
            double v = min + (max - min) * i / 4;
            double y = top + ph - ph * i / 4.0;
            sb.append(String.format("<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#eef\"/>", left, left + pw, y, y));
            sb.append(String.format("<text x=\"%d\" y=\"%.1f\" font-size=\"11\" text-anchor=\"end\">%.3g</text>", left - 4, y + 4, v));
        }
        for (int e = 1; e <= n; e++) {
            if (n > 12 && e % Math.max(1, n / 10) != 0 && e != 1) continue;
            double x = left + (n == 1 ? pw / 2.0 : pw * (e - 1) / (double) (n - 1));
            sb.append(String.format("<text x=\"%.1f\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\">%d</text>", x, top + ph + 15, e));
        }
        sb.append(String.format("<text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\">epoch</text>", left + pw / 2, h - 6));
        for (int s = 0; s < series.size(); s++) {
            double[] vals = series.get(s);
            StringBuilder pts = new StringBuilder();
            for (int i = 0; i < vals.length; i++) {
                if (Double.isNaN(vals[i])) continue;
                double x = left + (n == 1 ? pw / 2.0 : pw * i / (double) (n - 1));
                double y = top + ph - ph * (vals[i] - min) / (max - min);
                pts.append(String.format("%.1f,%.1f ", x, y));
                sb.append(String.format("<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" fill=\"%s\"/>", x, y, colors.get(s)));
            }
            sb.append(String.format("<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"%s\"/>", colors.get(s), pts.toString().trim()));
            sb.append(String.format("<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"3\" fill=\"%s\"/><text x=\"%d\" y=\"%d\" font-size=\"11\">%s</text>",
                    left + pw - 110, top + 10 + 15 * s, colors.get(s), left + pw - 94, top + 14 + 15 * s, esc(names.get(s))));
        }
        return sb.append("</svg>").toString();
    }
}
