package dev.jgrad.nn;

/**
 * The error function to full double precision, which the JDK lacks and exact GELU needs: a
 * gradient check at 1e-7 would see the error of a cruder approximation as a wrong derivative.
 */
final class Erf {
    private Erf() {
    }

    private static final double TWO_OVER_SQRT_PI = 1.1283791670955126;
    private static final double ONE_OVER_SQRT_PI = 0.5641895835477563;

    /** erf(x). */
    static double erf(double x) {
        if (Double.isNaN(x)) return x;
        double ax = Math.abs(x);
        double r = ax < 2 ? series(ax) : 1 - continuedFraction(ax);
        return x < 0 ? -r : r;
    }

    /** erfc(x) = 1 − erf(x), without cancellation for large x. */
    static double erfc(double x) {
        if (Double.isNaN(x)) return x;
        if (x < 0) return 2 - erfc(-x);
        return x < 1.5 ? 1 - series(x) : continuedFraction(x);
    }

    /** erf(x) = 2/√π · e^(−x²) · Σ (2x²)ⁿ x / (2n+1)!!, a series of positive terms (no cancellation). */
    private static double series(double x) {
        double x2 = 2 * x * x;
        double term = x, sum = x;
        for (int n = 1; n < 200; n++) {
            term *= x2 / (2 * n + 1);
            sum += term;
            if (term < sum * 1e-17) break;
        }
        return TWO_OVER_SQRT_PI * Math.exp(-x * x) * sum;
    }

    /** erfc(x) for x ≥ 1.5 by its continued fraction, evaluated with the modified Lentz method. */
    private static double continuedFraction(double x) {
        // erfc(x) = e^(−x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + ...)))))
        double tiny = 1e-300;
        double f = x, c = x, d = 0;
        for (int n = 1; n < 1000; n++) {
            double an = n * 0.5;
            d = x + an * d;
            d = d == 0 ? tiny : d;
            c = x + an / c;
            c = c == 0 ? tiny : c;
            d = 1 / d;
            double delta = c * d;
            f *= delta;
            if (Math.abs(delta - 1) < 1e-16) break;
        }
        return ONE_OVER_SQRT_PI * Math.exp(-x * x) / f;
    }
}
