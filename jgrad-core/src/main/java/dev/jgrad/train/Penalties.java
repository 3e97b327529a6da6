package dev.jgrad.train;

import dev.jgrad.nn.Parameter;
import dev.jgrad.nn.Sequential;
import dev.jgrad.optim.GradientTransforms;

import java.util.EnumSet;
import java.util.Set;

/**
 * L1 and L2 penalties λ₁‖p‖₁ + λ₂‖p‖² on the parameters of the chosen roles (by default the
 * weights, as Keras's kernel regularisers; never biases or normalisation scales unless asked),
 * as a gradient hook: g += λ₁ sign(p) + 2λ₂ p. Distinct from an optimizer's weight decay, which
 * applies to every parameter as in PyTorch.
 */
public final class Penalties implements GradientHook {
    private final double l1, l2;
    private final boolean[] mask;

    /** Penalties on the weights. */
    public Penalties(Sequential net, double l1, double l2) {
        this(net, l1, l2, EnumSet.of(Parameter.Role.WEIGHT));
    }

    public Penalties(Sequential net, double l1, double l2, Set<Parameter.Role> roles) {
        if (!(l1 >= 0) || !(l2 >= 0)) throw new IllegalArgumentException("penalties must be ≥ 0, got l1 " + l1 + ", l2 " + l2);
        this.l1 = l1;
        this.l2 = l2;
        this.mask = new boolean[net.parameterCount()];
        int at = 0;
        for (Parameter p : net.parameters()) {
            if (roles.contains(p.role())) java.util.Arrays.fill(mask, at, at + p.value().size(), true);
            at += p.value().size();
        }
    }

    @Override
    public void apply(StepContext step) {
        GradientTransforms.addPenalties(step.parameters(), step.gradients(), mask, l1, l2);
    }
}
