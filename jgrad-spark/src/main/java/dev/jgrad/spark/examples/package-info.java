/**
 * Applications that show jgrad-spark end to end and measure it; run them with SparkSubmit (see
 * the README's Spark section).
 */
package dev.jgrad.spark.examples;
