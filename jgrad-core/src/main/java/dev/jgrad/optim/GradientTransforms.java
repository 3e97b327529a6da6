package dev.jgrad.optim;

import dev.jgrad.tensor.Tensor;

/**
 * What is done to the flat gradient before an optimizer step: clipping and the gradients of
 * L1 and L2 penalties. The penalties apply to weights only (the mask), as Keras's kernel
 * regularizers do; an optimizer's own weight decay applies to every parameter, as in PyTorch.
 */
public final class GradientTransforms {
    private GradientTransforms() {
    }

    /** The global L2 norm of g, summed in double. */
    public static double norm(Tensor g) {
        double s = 0;
        for (int i = 0, n = g.size(); i < n; i++) {
            double v = g.get(i);
            s += v * v;
        }
        return Math.sqrt(s);
    }

    /** Scales g so its global norm is at most maxNorm (torch.nn.utils.clip_grad_norm_); returns the norm before. */
    public static double clipByNorm(Tensor g, double maxNorm) {
        double norm = norm(g);
        double coef = maxNorm / (norm + 1e-6);
        if (coef < 1) for (int i = 0, n = g.size(); i < n; i++) g.set(i, g.get(i) * coef);
        return norm;
    }

    /** Clamps every element of g to [−limit, limit] (clip_grad_value_). */
    public static void clipByValue(Tensor g, double limit) {
        for (int i = 0, n = g.size(); i < n; i++) {
            double v = g.get(i);
            if (v > limit) g.set(i, limit);
            else if (v < -limit) g.set(i, -limit);
        }
    }

    /** g += 2λ₂ p + λ₁ sign(p) where mask is true: the gradient of λ₂‖p‖² + λ₁‖p‖₁. */
    public static void addPenalties(Tensor p, Tensor g, boolean[] mask, double l1, double l2) {
        if (l1 == 0 && l2 == 0) return;
        for (int i = 0, n = p.size(); i < n; i++) {
            if (!mask[i]) continue;
            double v = p.get(i);
            g.set(i, g.get(i) + 2 * l2 * v + l1 * Math.signum(v));
        }
    }

    /** λ₂‖p‖² + λ₁‖p‖₁ over the masked elements: the penalty added to the reported loss. */
    public static double penalty(Tensor p, boolean[] mask, double l1, double l2) {
        if (l1 == 0 && l2 == 0) return 0;
        double s = 0;
        for (int i = 0, n = p.size(); i < n; i++) {
            if (!mask[i]) continue;
            double v = p.get(i);
            s += l2 * v * v + l1 * Math.abs(v);
        }
        return s;
    }
}
