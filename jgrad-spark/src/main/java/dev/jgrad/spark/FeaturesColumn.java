package dev.jgrad.spark;

import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.sql.types.StructType;

import java.util.List;

/** The check estimators and models both make of the features column before they touch the data. */
final class FeaturesColumn {
    private FeaturesColumn() {
    }

    /** Throws, naming the column and what is there instead, unless {@code schema} has a vector column {@code f}. */
    static void require(StructType schema, String f) {
        if (!List.of(schema.fieldNames()).contains(f)) {
            throw new IllegalArgumentException("the features column '" + f + "' is not in the data (columns: "
                    + String.join(", ", schema.fieldNames()) + ")");
        }
        if (!schema.apply(f).dataType().equals(SQLDataTypes.VectorType())) {
            throw new IllegalArgumentException("features column '" + f + "' has type " + schema.apply(f).dataType().simpleString()
                    + "; it must hold vectors");
        }
    }
}
