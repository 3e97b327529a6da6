package dev.jgrad.data;

import dev.jgrad.tensor.FloatTensor;
import dev.jgrad.tensor.Shape;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class NormalizerTest {
    /** Two features over three rows: (1, 5), (3, 5), (5, 5); the second is constant. */
    static FloatTensor x() {
        return new FloatTensor(new float[]{1, 5, 3, 5, 5, 5}, 0, Shape.of(3, 2));
    }

    @Test
    void eachKindFitsAsDocumented() {
        Normalizer none = Normalizer.fit(Normalizer.Kind.NONE, x());
        assertArrayEquals(new double[]{0, 0}, none.offset());
        assertArrayEquals(new double[]{1, 1}, none.scale());
        Normalizer px = Normalizer.fit(Normalizer.Kind.PIXELS, x());
        assertArrayEquals(new double[]{1 / 255.0, 1 / 255.0}, px.scale());
        Normalizer mm = Normalizer.fit(Normalizer.Kind.MINMAX, x());
        assertArrayEquals(new double[]{1, 5}, mm.offset());
        assertArrayEquals(new double[]{0.25, 1}, mm.scale());
        Normalizer st = Normalizer.fit(Normalizer.Kind.STANDARD, x());
        assertArrayEquals(new double[]{3, 5}, st.offset());
        assertArrayEquals(new double[]{1 / Math.sqrt(8 / 3.0), 1}, st.scale(), 1e-15);
        assertEquals(Normalizer.Kind.STANDARD, st.kind());
        FloatTensor y = x();
        mm.apply(y);
        assertArrayEquals(new float[]{0, 0, 0.5f, 0, 1, 0}, y.data());
    }

    @Test
    void namesParseInOnePlaceAndReadBackTheSame() {
        for (Normalizer.Kind k : Normalizer.Kind.values()) {
            assertEquals(k, Normalizer.Kind.parse(k.spec()));
            assertEquals(k, Normalizer.Kind.parse(k.spec().toUpperCase(java.util.Locale.ROOT) + " "));
            assertEquals(k.spec(), k.toString());
        }
        assertEquals("minmax", Normalizer.Kind.MINMAX.spec());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Normalizer.Kind.parse("zscore"));
        assertEquals("unknown normalisation 'zscore' (known: none, pixels, minmax, standard)", e.getMessage());
    }

    @Test
    void aNormaliserNeedsAKindAndOneScalePerOffset() {
        assertThrows(NullPointerException.class, () -> new Normalizer(null, new double[1], new double[1]));
        assertThrows(IllegalArgumentException.class, () -> new Normalizer(Normalizer.Kind.MINMAX, new double[2], new double[1]));
    }
}
