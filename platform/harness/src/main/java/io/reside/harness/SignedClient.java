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
import io.reside.security.AuthenticationFailure;
import io.reside.security.Delegations;
import io.reside.security.PublicKey;
import io.reside.security.RequestProofs;
import io.reside.security.ResponseProofs;
import io.reside.security.Sessions;

/**
 * A client of a contract for a person or a tool (the CLI, a test): every call signed with a per-request proof (the
 * JWS path, SPEC 5.4), every answer's signature checked against the callee's key before it is read, problems turned
 * back into typed {@link ResideException}s. A proxy of the contract interface, as replicas' requirement clients are.
 */
public final class SignedClient {

    /**
     * The {@code reason} of the {@link ResideException.OutcomeUnknownException} thrown for an answer the callee did not
     * sign, followed by its HTTP status ({@code unsigned-answer-401}).
     */
    public static final String UNSIGNED_ANSWER = "unsigned-answer-";

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
        return build(contract, base, key, callee, delegation, null, null);
    }

    /**
     * {@link #of(Class, URI, AccountKey, PublicKey, String)} for an {@code https} base whose certificate chains to a
     * CA of {@code tls} (the cluster CA: {@code CertificateAuthority.trusting}); null: the JDK's CAs.
     */
    public static <T> T of(Class<T> contract, URI base, AccountKey key, PublicKey callee, String delegation,
            javax.net.ssl.SSLContext tls) {
        return build(contract, base, key, callee, delegation, null, tls);
    }

    /**
     * A client that signs one session handshake and then authenticates each call with the session's MAC (SPEC 5.4:
     * the path replicas use between themselves), renewed before it expires. For tools that make many calls: each
     * per-request proof holds a place in the callee's replay cache for its lifetime, an account has a bounded share
     * of it, so thousands of signed calls a minute are refused; a session's MAC is also cheaper to check. A
     * {@code session-*} refusal ends the session (the next call makes a new one); the refused call is sent again only
     * when that proves it did not run ({@code session-expired}) or it is a GET, otherwise the refusal is thrown.
     */
    public static <T> T overSession(Class<T> contract, URI base, AccountKey key, PublicKey callee) {
        return build(contract, base, key, callee, null, new SessionHolder(), null);
    }

    /** The session of a client, one handshake at a time. */
    private static final class SessionHolder {
        private Sessions.ClientSession session;

        synchronized Sessions.ClientSession get(HttpClient http, URI base, AccountKey key, PublicKey callee)
                throws IOException, InterruptedException {
            if (session == null || session.expiresWithin(Duration.ofSeconds(30), Instant.now())) {
                session = handshake(http, base, key, callee);
            }
            return session;
        }

        synchronized void drop(Sessions.ClientSession stale) {
            if (session == stale) {
                session = null;
            }
        }
    }

    private static <T> T build(Class<T> contract, URI base, AccountKey key, PublicKey callee, String delegation,
            SessionHolder sessions, javax.net.ssl.SSLContext tls) {
        requireNonNull(base, "base");
        requireNonNull(key, "key");
        requireNonNull(callee, "callee");
        HttpClient.Builder builder = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5));
        if (tls != null) {
            builder.sslContext(tls);
        }
        HttpClient http = builder.build();
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
                    return call(http, base, key, callee, delegation, sessions, contract, method,
                            args == null ? new Object[0] : args);
                });
        return contract.cast(proxy);
    }

    private static Sessions.ClientSession handshake(HttpClient http, URI base, AccountKey key, PublicKey callee)
            throws IOException, InterruptedException {
        Sessions.Handshake handshake = new Sessions.Handshake();
        byte[] body = JSON.writeValueAsBytes(handshake.request());
        String authorization = RequestProofs.sign(key, callee.accountId(), new RequestProofs.Request("POST",
                Sessions.HANDSHAKE_PATH, body, null), Instant.now());
        HttpResponse<byte[]> answer = http.send(HttpRequest.newBuilder(URI.create(base.toString()
                .replaceAll("/+$", "") + Sessions.HANDSHAKE_PATH)).timeout(Duration.ofSeconds(30))
                .header("Authorization", authorization).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofByteArray());
        String proof = answer.headers().firstValue(ResponseProofs.HEADER_NAME).orElse(null);
        if (ResponseProofs.verifySigned(proof, authorization.substring(RequestProofs.SCHEME.length() + 1),
                answer.statusCode(), answer.body(), callee).isEmpty()) {
            throw new ResideException.UnavailableException("the session handshake with " + base + " (HTTP "
                    + answer.statusCode() + ") is not answered by " + callee.accountId());
        }
        if (answer.statusCode() >= 300) {
            throw error(answer, base);
        }
        try {
            return handshake.complete(JSON.readValue(answer.body(), Sessions.HandshakeResponse.class),
                    key.accountId(), callee);
        } catch (AuthenticationFailure e) {
            throw new ResideException.UnavailableException("the session handshake with " + base + " failed: "
                    + e.getMessage());
        }
    }

    private static Object call(HttpClient http, URI base, AccountKey key, PublicKey callee, String delegation,
            SessionHolder sessions, Class<?> contract, Method method, Object[] args)
            throws IOException, InterruptedException {
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
        for (int attempt = 0;; attempt++) {
            Sessions.ClientSession session = sessions == null ? null : sessions.get(http, base, key, callee);
            String authorization;
            long seq = 0;
            if (session == null) {
                authorization = RequestProofs.sign(key, callee.accountId(), new RequestProofs.Request(http1,
                        pathAndQuery, body, delegation), Instant.now());
            } else {
                Sessions.ClientSession.Proof p = session.proof(http1, pathAndQuery, body, delegation, Instant.now());
                authorization = p.authorization();
                seq = p.seq();
            }
            HttpRequest.Builder request = HttpRequest
                    .newBuilder(URI.create(base.toString().replaceAll("/+$", "") + pathAndQuery))
                    .timeout(Duration.ofSeconds(30))
                    .header("Authorization", authorization)
                    .header("Accept", "application/json, " + Problem.MEDIA_TYPE);
            if (delegation != null) {
                request.header(Delegations.HEADER_NAME, delegation);
            }
            if (get) {
                request.GET();
            } else {
                request.header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofByteArray(body));
            }
            HttpResponse<byte[]> answer = http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
            String proof = answer.headers().firstValue(ResponseProofs.HEADER_NAME).orElse(null);
            String credential = authorization.substring(authorization.indexOf(' ') + 1);
            boolean authenticated = (session != null && session.verifyResponse(seq, answer.statusCode(),
                    answer.body(), proof)) || ResponseProofs.verifySigned(proof, credential, answer.statusCode(),
                            answer.body(), callee).isPresent();
            if (!authenticated) {
                // the reason names the status of the untrusted answer: a server answers a proof it cannot check (an
                // account it does not know) with an unsigned 401, which a tool may explain as such
                throw new ResideException.OutcomeUnknownException(Problem.of(ErrorCode.OUTCOME_UNKNOWN, method
                        .getName() + " at " + base + ": the answer (HTTP " + answer.statusCode() + ") is not signed "
                        + "by " + callee.accountId() + ", so it cannot be trusted: " + new String(answer.body(), 0,
                                Math.min(300, answer.body().length), StandardCharsets.UTF_8))
                        .withReason(
                                UNSIGNED_ANSWER + answer.statusCode()));
            }
            if (answer.statusCode() >= 300) {
                ResideException refused = error(answer, base);
                String reason = refused instanceof ResideException.UnauthenticatedException u ? u.reason() : null;
                if (session != null && reason != null && reason.startsWith("session-")) {
                    sessions.drop(session); // the next call makes a new one
                    // an expired session proves the call did not run; a GET may be sent again in any case
                    if (attempt == 0 && (reason.equals("session-expired") || get)) {
                        continue;
                    }
                }
                throw refused;
            }
            if (method.getReturnType() == void.class || answer.body().length == 0) {
                return null;
            }
            JavaType type = JSON.getTypeFactory().constructType(method.getGenericReturnType());
            return JSON.readValue(answer.body(), type);
        }
    }

    private static ResideException error(HttpResponse<byte[]> answer, URI base) {
        Problem problem;
        try {
            problem = JSON.readValue(answer.body(), Problem.class);
        } catch (IOException e) {
            ErrorCode code = ErrorCode.of(null, answer.statusCode());
            problem = Problem.of(code, "HTTP " + answer.statusCode() + " from " + base);
        }
        return ResideException.from(problem);
    }
}
