package dev.jgrad.cli;

import java.io.PrintWriter;
import java.util.StringJoiner;

/** The explanation as text for a terminal. */
final class ExplainText {
    private ExplainText() {
    }

    static String v(double[] a) {
        StringJoiner j = new StringJoiner(", ", "[", "]");
        for (double d : a) j.add(num(d));
        return j.toString();
    }

    static String m(double[][] a, String indent) {
        StringJoiner j = new StringJoiner(",\n" + indent + " ", "[", "]");
        for (double[] r : a) j.add(v(r));
        return j.toString();
    }

    static String num(double d) {
        if (d == 0) return "0";
        double a = Math.abs(d);
        return a >= 1e-4 && a < 1e5 ? String.format("%.6f", d).replaceAll("0+$", "").replaceAll("\\.$", "") : String.format("%.4e", d);
    }

    static void print(PrintWriter p, Explanation e, long seed) {
        StringBuilder arch = new StringBuilder().append(e.net().inputSize());
        for (Explanation.Step s : e.steps().reversed()) arch.append('-').append(s.out());
        p.printf("jgrad explain: a %s network, loss %s, one sample, weights seeded with %d, float64%n%n", arch, e.loss().spec(), seed);
        p.printf("x = %s%nt = %s%n%n", v(e.x()), v(e.t()));
        p.println("forward");
        for (Explanation.Step s : e.steps().reversed()) {
            int k = s.layer() + 1;
            p.printf("  layer %d (%d → %d, %s)%n", k, s.in(), s.out(), s.activation());
            p.printf("    W = %s%n", m(s.w(), "        "));
            p.printf("    b = %s%n", v(s.b()));
            p.printf("    z = W x + b = %s%n", v(s.z()));
            p.printf("    y = %s(z) = %s%n", s.activation(), v(s.y()));
        }
        p.printf("  L = %s = %s%n%n", e.loss().spec(), num(e.lossValue()));
        p.println("backward, from the loss down (each gradient has the shape of what it differentiates)");
        for (Explanation.Step s : e.steps()) {
            int k = s.layer() + 1;
            p.printf("  layer %d (%d → %d, %s)%n", k, s.in(), s.out(), s.activation());
            if (s.gradY() != null) p.printf("    ∇_y L             = %s%n", v(s.gradY()));
            if (s.fPrime() != null) p.printf("    f'(z)             = %s%n", v(s.fPrime()));
            p.printf("    %s%n", s.deltaRule());
            p.printf("    δ                 = %s%n", v(s.delta()));
            p.printf("    x                 = %s%n", v(s.x()));
            p.printf("    dL/dW = δ xᵀ      = %s%n", m(s.dW(), "                        "));
            p.printf("                        finite differences agree to %.1e (max relative error)%n", e.error("layers." + s.layer() + ".weight"));
            p.printf("    dL/db = δ         = %s%n", v(s.db()));
            p.printf("                        finite differences agree to %.1e%n", e.error("layers." + s.layer() + ".bias"));
            p.printf("    dL/dx = Wᵀ δ      = %s%n", v(s.dx()));
            if (s.layer() > 0) p.printf("                        → ∇_y L of layer %d%n", s.layer());
            else p.printf("                        finite differences agree to %.1e%n", e.error("input"));
        }
        p.printf("%nthe library's backward pass gives the same gradients (largest difference %.1e);%n", e.maxDiffFromLibrary());
        p.printf("worst relative error against finite differences: %.2e (%s)%n", e.check().maxRelativeError(),
                e.check().passes(1e-7) ? "within 1e-7" : "ABOVE 1e-7");
    }
}
