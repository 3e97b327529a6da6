package dev.jgrad.data;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * A small real dataset inside the jar, so that training works with no download: the UCI
 * "Optical Recognition of Handwritten Digits" test set (1,797 8×8 images, pixel counts 0–16,
 * label in the last column), by E. Alpaydin and C. Kaynak, licensed CC BY 4.0, as shipped with
 * scikit-learn (BSD-3-Clause). See NOTICE in the resources folder.
 */
public final class BuiltinData {
    private BuiltinData() {
    }

    public static final String DIGITS_RESOURCE = "/dev/jgrad/data/optdigits.csv.gz";

    public static Dataset digits() {
        try (InputStream in = BuiltinData.class.getResourceAsStream(DIGITS_RESOURCE)) {
            if (in == null) throw new IllegalStateException("built-in dataset " + DIGITS_RESOURCE + " is missing from the jar");
            Dataset d = CsvReader.read(in, "optdigits.csv.gz",
                    CsvReader.Options.defaults().withHeader(false).withTask(CsvReader.Task.CLASSIFICATION));
            return new Dataset("optdigits (built in)", d.features(), d.targets(), d.classNames(), new int[]{8, 8});
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
