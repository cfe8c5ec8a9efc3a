package io.reside.harness;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.lang.reflect.Method;
import java.lang.reflect.Parameter;
import java.lang.reflect.Proxy;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.QueryParam;

import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.reside.etcd.DocType;
import io.reside.model.error.ErrorCode;
import io.reside.model.error.Problem;
import io.reside.model.error.ResideException;
import io.reside.security.AccountKey;
import io.reside.security.Delegations;
import io.reside.security.PublicKey;
import io.reside.security.RequestProofs;
import io.reside.security.ResponseProofs;

/**
 * A client of a contract for a person or a tool (the CLI, a test): every call signed with a per-request proof (the
 * JWS path, SPEC 5.4), every answer's signature checked against the callee's key before it is read, problems turned
 * back into typed {@link ResideException}s. A proxy of the contract interface, as replicas' requirement clients are.
 */
public final class SignedClient {

    private static final ObjectMapper JSON = DocType.mapper();

    private SignedClient() {
    }

    /**
     * @param base the callee's base URL
     * @param key the caller's account key
     * @param callee the callee's public key: the proof's audience and the key its answers are signed with
     */
    public static <T> T of(Class<T> contract, URI base, AccountKey key, PublicKey callee) {
        return of(contract, base, key, callee, null);
    }

    /**
     * A client that acts for a user: every call carries {@code delegation} (from the User Manager's
     * {@code impersonate}) in {@code Reside-Delegation}, bound into the proof signed with the actor's {@code key}.
     *
     * @param delegation the token, or null to act as {@code key}'s own account
     */
    public static <T> T of(Class<T> contract, URI base, AccountKey key, PublicKey callee, String delegation) {
        requireNonNull(base, "base");
        requireNonNull(key, "key");
        requireNonNull(callee, "callee");
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).build();
        Object proxy = Proxy.newProxyInstance(contract.getClassLoader(), new Class<?>[] { contract },
                (self, method, args) -> {
                    if (method.getDeclaringClass() == Object.class) {
                        return switch (method.getName()) {
                            case "toString" -> "SignedClient[" + contract.getSimpleName() + " at " + base + "]";
                            case "hashCode" -> System.identityHashCode(self);
                            case "equals" -> self == args[0];
                            default -> throw new UnsupportedOperationException(method.getName());
                        };
                    }
                    return call(http, base, key, callee, delegation, contract, method,
                            args == null ? new Object[0] : args);
                });
        return contract.cast(proxy);
    }

    private static Object call(HttpClient http, URI base, AccountKey key, PublicKey callee, String delegation,
            Class<?> contract, Method method, Object[] args) throws IOException, InterruptedException {
        boolean get = method.isAnnotationPresent(GET.class);
        StringBuilder target = new StringBuilder(contract.getAnnotation(Path.class).value()).append('/')
                .append(method.getAnnotation(Path.class).value());
        byte[] body = new byte[0];
        char separator = '?';
        Parameter[] parameters = method.getParameters();
        for (int i = 0; i < parameters.length; i++) {
            QueryParam q = parameters[i].getAnnotation(QueryParam.class);
            if (q != null) {
                if (args[i] != null) {
                    target.append(separator).append(URLEncoder.encode(q.value(), StandardCharsets.UTF_8)).append('=')
                            .append(URLEncoder.encode(args[i].toString(), StandardCharsets.UTF_8));
                    separator = '&';
                }
            } else if (args[i] != null) {
                body = JSON.writeValueAsBytes(args[i]);
            }
        }
        String pathAndQuery = target.toString();
        String http1 = get ? "GET" : "POST";
        String authorization = RequestProofs.sign(key, callee.accountId(), new RequestProofs.Request(http1,
                pathAndQuery, body, delegation), Instant.now());
        HttpRequest.Builder request = HttpRequest
                .newBuilder(URI.create(base.toString().replaceAll("/+$", "") + pathAndQuery))
                .timeout(Duration.ofSeconds(30))
                .header("Authorization", authorization).header("Accept", "application/json, " + Problem.MEDIA_TYPE);
        if (delegation != null) {
            request.header(Delegations.HEADER_NAME, delegation);
        }
        if (get) {
            request.GET();
        } else {
            request.header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofByteArray(body));
        }
        HttpResponse<byte[]> answer = http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
        String proof = answer.headers().firstValue(ResponseProofs.HEADER_NAME).orElse(null);
        if (ResponseProofs.verifySigned(proof, authorization.substring(RequestProofs.SCHEME.length() + 1),
                answer.statusCode(), answer.body(), callee).isEmpty()) {
            throw new ResideException.OutcomeUnknownException(method.getName() + " at " + base + ": the answer (HTTP "
                    + answer.statusCode() + ") is not signed by " + callee.accountId()
                    + ", so it cannot be trusted: " + new String(answer.body(), 0, Math.min(300, answer.body().length),
                            StandardCharsets.UTF_8));
        }
        if (answer.statusCode() >= 300) {
            Problem problem;
            try {
                problem = JSON.readValue(answer.body(), Problem.class);
            } catch (IOException e) {
                ErrorCode code = ErrorCode.of(null, answer.statusCode());
                problem = Problem.of(code, "HTTP " + answer.statusCode() + " from " + base);
            }
            throw ResideException.from(problem);
        }
        if (method.getReturnType() == void.class || answer.body().length == 0) {
            return null;
        }
        JavaType type = JSON.getTypeFactory().constructType(method.getGenericReturnType());
        return JSON.readValue(answer.body(), type);
    }
}
