package dev.jgrad.serve;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** A small HTTP client for the tests. */
final class Http {
    private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    record Reply(int status, String body, String contentType) {
    }

    private Http() {
    }

    static Reply get(int port, String path) throws IOException, InterruptedException {
        return send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).GET());
    }

    static Reply post(int port, String path, String body) throws IOException, InterruptedException {
        return send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)));
    }

    /** A POST on a connection of its own, so no kept-alive connection can have timed out. */
    static Reply postOnNewConnection(int port, String path, String body) throws IOException, InterruptedException {
        try (HttpClient fresh = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()) {
            HttpResponse<String> r = fresh.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                    .timeout(Duration.ofSeconds(20)).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                    HttpResponse.BodyHandlers.ofString());
            return new Reply(r.statusCode(), r.body(), r.headers().firstValue("content-type").orElse(""));
        }
    }

    private static Reply send(HttpRequest.Builder b) throws IOException, InterruptedException {
        HttpResponse<String> r = CLIENT.send(b.timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
        return new Reply(r.statusCode(), r.body(), r.headers().firstValue("content-type").orElse(""));
    }

    /** An inference request for rows of features, shaped [n, 6]. */
    static String infer(float[] x, int n) {
        StringBuilder sb = new StringBuilder("{\"id\":\"t\",\"inputs\":[{\"name\":\"input\",\"datatype\":\"FP32\",\"shape\":[");
        sb.append(n).append(',').append(x.length / n).append("],\"data\":[");
        for (int i = 0; i < x.length; i++) sb.append(i > 0 ? "," : "").append(x[i]);
        return sb.append("]}]}").toString();
    }
}
