package dev.jgrad.spark;

import java.io.Serializable;

/**
 * The rows one rank holds: rows {@code [firstRow, firstRow + rows)} of the data set's global row
 * order (partition by partition, each in its own order), features and targets row-major.
 *
 * @param firstRow   global index of the first row
 * @param rows       rows held
 * @param features   rows × width features
 * @param width      features per row
 * @param targets    rows × targetWidth targets: the class index for a classifier
 * @param targetWidth targets per row
 */
record Shard(long firstRow, int rows, float[] features, int width, float[] targets, int targetWidth) implements Serializable {

    Shard {
        if (features.length != (long) rows * width || targets.length != (long) rows * targetWidth) {
            throw new IllegalArgumentException("a shard of " + rows + " rows needs " + (long) rows * width + " features and "
                    + (long) rows * targetWidth + " targets, got " + features.length + " and " + targets.length);
        }
    }

    /** Whether global row g is held here. */
    boolean holds(long g) {
        return g >= firstRow && g < firstRow + rows;
    }
}
