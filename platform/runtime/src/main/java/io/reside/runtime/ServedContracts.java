package io.reside.runtime;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

import org.eclipse.microprofile.config.ConfigProvider;

import io.reside.model.manifest.ContractManifest;
import io.reside.model.manifest.ReplicaManifest;
import io.vertx.core.http.HttpServerOptions;

/**
 * Start-up check that the replica serves every method of every contract it implements. A contract whose jar Quarkus
 * did not index, or an implementation that is missing, would otherwise start a replica that answers 404 to every
 * call of that contract, with nothing in its log. Each method is asked once, over loopback, without a proof: a
 * served method answers (401), an unserved one is 404 or 405.
 */
public final class ServedContracts {

    /** Marks the check's own requests, so the access log leaves them out (from loopback only). */
    public static final String HEADER = "Reside-Self-Check";

    private ServedContracts() {
    }

    /** The first method of an implemented contract that is not served, described with the fix; empty when all are. */
    static Optional<String> firstUnserved(HttpServerOptions options, Optional<java.nio.file.Path> caFile) {
        Optional<ReplicaManifest> replica = Contracts.replica();
        int port = options.getPort() > 0 ? options.getPort()
                : ConfigProvider.getConfig().getOptionalValue(options.isSsl() ? "quarkus.http.ssl-port"
                        : "quarkus.http.port", Integer.class).orElse(0);
        if (replica.isEmpty() || port <= 0) {
            return Optional.empty();
        }
        String host = options.getHost() == null || options.getHost().equals("0.0.0.0") ? "127.0.0.1"
                : options.getHost();
        HttpClient.Builder builder = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(2));
        if (options.isSsl() && caFile.isPresent()) {
            // its own certificate is the cluster CA's, and names 127.0.0.1 (Alpha issues it so)
            try {
                builder.sslContext(io.reside.security.CertificateAuthority.trusting(java.nio.file.Files.readString(
                        caFile.get())));
            } catch (IOException | IllegalArgumentException e) {
                return Optional.empty(); // the client side reports the CA file; no verdict on the endpoints here
            }
        }
        HttpClient http = builder.build();
        String scheme = options.isSsl() ? "https" : "http";
        for (ReplicaManifest.Implementation implementation : replica.get().implementations().values()) {
            String key = implementation.identity().substring(implementation.identity().lastIndexOf('/') + 1);
            ContractManifest contract = Contracts.byKey(key);
            for (Map.Entry<String, ContractManifest.Method> method : contract.methods().entrySet()) {
                String path = "/rpc/" + key + "/" + method.getKey();
                int status = status(http, scheme + "://" + host + ":" + port + path, method.getValue().http());
                if (status == 404 || status == 405) {
                    return Optional.of(path + " answers " + status + ": this replica serves no endpoint of "
                            + "contract " + key + ". A class must implement its interface, and Quarkus must index the "
                            + "contract's jar: build the contract module with reside-manifest-processor, which puts "
                            + "META-INF/beans.xml in it (docs/developing-replicas.md)");
                }
            }
        }
        return Optional.empty();
    }

    private static int status(HttpClient http, String url, String method) {
        HttpRequest request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5))
                .header(HEADER, "1").method(method, HttpRequest.BodyPublishers.noBody()).build();
        try {
            return http.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return -1; // not a verdict on the endpoint: the check passes rather than stop a healthy replica
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }
}
