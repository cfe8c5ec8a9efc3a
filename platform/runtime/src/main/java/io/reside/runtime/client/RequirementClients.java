package io.reside.runtime.client;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.eclipse.microprofile.faulttolerance.exceptions.CircuitBreakerOpenException;
import org.jboss.logging.Logger;

import com.fasterxml.jackson.databind.ObjectMapper;

import io.micrometer.core.instrument.Timer;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;
import io.reside.etcd.DocType;
import io.reside.model.error.ErrorCode;
import io.reside.model.error.Problem;
import io.reside.model.error.ResideException;
import io.reside.permissions.Rcb;
import io.reside.permissions.RcbView;
import io.reside.runtime.AccountIdentity;
import io.reside.runtime.Contracts;
import io.reside.runtime.ResideConfig;
import io.reside.runtime.rpc.RpcMetrics;
import io.reside.security.AccountRegistry;
import io.reside.security.AuthenticationFailure;
import io.reside.security.Delegations;
import io.reside.security.PublicKey;
import io.reside.security.RequestProofs;
import io.reside.security.ResponseProofs;
import io.reside.security.Sessions;
import io.smallrye.faulttolerance.api.Guard;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;

/**
 * The clients of a replica's requirements: proxies of the contract interfaces that call the implementors chosen in
 * the RCB. Every call is signed (a session after a first signed handshake); the implementor, its endpoint (by
 * {@code RESIDE_ACCESS_CONTEXT}) and its account (the proof's audience) are read from the RCB at each call, so they
 * switch live. Each requirement has its own SmallRye Fault Tolerance guards: a circuit breaker around every call, a
 * timeout per attempt, and retries for idempotent (GET) calls only. Errors come back as the typed
 * {@link ResideException}s the callee threw; an unreachable or failing implementor is a
 * {@link ResideException.UnavailableException}.
 * <p>
 * Calls block: make them from worker threads (a Vert.x event-loop thread is refused).
 */
@ApplicationScoped
public class RequirementClients {

    private static final Logger LOG = Logger.getLogger(RequirementClients.class);
    private static final Duration SESSION_RENEWAL = Duration.ofSeconds(30);

    @Inject
    ResideConfig config;

    @Inject
    Vertx vertx;

    @Inject
    RpcMetrics metrics;

    @Inject
    OpenTelemetry otel;

    private Tracer tracer;

    @jakarta.annotation.PostConstruct
    void tracer() {
        tracer = otel.getTracer("io.reside.rpc");
    }

    private final ObjectMapper json = DocType.mapper();
    private final Map<Method, ContractMethod> methods = new ConcurrentHashMap<>();
    private volatile Transport transport;
    private final Map<String, SessionHolder> sessions = new ConcurrentHashMap<>();
    private final Map<String, Guards> guards = new ConcurrentHashMap<>();
    private final java.util.Set<String> directUrls = ConcurrentHashMap.newKeySet();
    private volatile RcbView view;
    private volatile AccountIdentity self;
    private volatile AccountRegistry registry;

    /** Step 4 of start-up. */
    public void start(RcbView rcbView, AccountIdentity identity, AccountRegistry accounts) {
        this.view = rcbView;
        this.self = identity;
        this.registry = accounts;
        this.transport = new Transport(vertx, config.rpc().tls().caFile().map(Transport::trustFrom).orElse(null));
        rcbView.onRcbChange(this::forgetUnusedClients);
    }

    public void stop() {
        Transport t = transport;
        if (t != null) {
            t.close();
        }
    }

    /**
     * A requirement must be declared by the replica's {@code @Replica}, with this contract: a typo would otherwise
     * fail every call with "no implementor in the RCB". (The build checks {@code @Requirement} injection points; this
     * is for keys given in code.)
     */
    private static void checkDeclared(String key, Class<?> contract) {
        Contracts.replica().ifPresent(r -> {
            var requirement = r.requirements().get(key);
            if (requirement == null) {
                throw new IllegalArgumentException("no requirement '" + key + "' (declared: " + (r.requirements()
                        .isEmpty() ? "none" : String.join(", ", r.requirements().keySet())) + ")");
            }
            String identity = Contracts.of(contract).identity();
            if (!requirement.identity().equals(identity)) {
                throw new IllegalArgumentException("requirement '" + key + "' is a client of " + requirement.identity()
                        + ", not of " + identity);
            }
        });
    }

    /** A proxy calling the (first) implementor of requirement {@code key} as this replica. */
    public <T> T client(String key, Class<T> contract) {
        return proxy(key, contract, null, null);
    }

    public <T> RequirementClient<T> requirement(String key, Class<T> contract) {
        return new RequirementClient<>() {
            @Override
            public String key() {
                return key;
            }

            @Override
            public T api() {
                return proxy(key, contract, null, null);
            }

            @Override
            public T onBehalfOf(String delegationToken) {
                return proxy(key, contract, null, java.util.Objects.requireNonNull(delegationToken, "delegationToken"));
            }

            @Override
            public List<T> all() {
                return implementors().stream().map(i -> proxy(key, contract, i.replicaId(), null)).toList();
            }

            @Override
            public List<Rcb.Implementor> implementors() {
                RcbView v = view;
                return v == null ? List.of() : v.rcb().requirements().getOrDefault(key, List.of());
            }
        };
    }

    /**
     * A client of a contract served at an endpoint that is not in the RCB: a replica that told this one where it
     * serves (a Telegram handler registering with its own endpoint). Calls are signed for {@code accountId}, and its
     * answers must be authenticated by that account, exactly as for a requirement: an endpoint that is not really that
     * account's cannot answer in its name. {@code label} names the target in errors and metrics, and its settings are
     * {@code reside.requirements."<label>".*} (the defaults when not set).
     */
    public <T> T direct(String label, Class<T> contract, String accountId, String baseUrl) {
        String url = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
        directUrls.add(url);
        return proxy(label, contract, null, null, new Target(label, accountId, accountId, url));
    }

    /** Forgets a {@link #direct} target's connections and session. */
    public void forgetDirect(String baseUrl) {
        String url = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
        if (directUrls.remove(url)) {
            forgetUnusedClients();
        }
    }

    private <T> T proxy(String key, Class<T> contract, String replicaId, String delegation) {
        checkDeclared(key, contract);
        return proxy(key, contract, replicaId, delegation, null);
    }

    private <T> T proxy(String key, Class<T> contract, String replicaId, String delegation, Target fixed) {
        InvocationHandler handler = (proxy, method, args) -> {
            if (method.getDeclaringClass() == Object.class) {
                return switch (method.getName()) {
                    case "toString" -> "Requirement[" + key + ": " + contract.getSimpleName() + "]";
                    case "hashCode" -> System.identityHashCode(proxy);
                    case "equals" -> proxy == args[0];
                    default -> throw new UnsupportedOperationException(method.getName());
                };
            }
            return call(key, replicaId, delegation, fixed, method, args == null ? new Object[0] : args);
        };
        return contract.cast(Proxy.newProxyInstance(contract.getClassLoader(), new Class<?>[] { contract }, handler));
    }

    private Object call(String key, String replicaId, String delegation, Target fixed, Method method, Object[] args)
            throws Exception {
        if (Context.isOnEventLoopThread()) {
            throw new IllegalStateException("requirement '" + key + "': contract calls block; make them from a worker "
                    + "thread, not the Vert.x event loop");
        }
        ContractMethod cm = methods.computeIfAbsent(method, m -> new ContractMethod(m, json));
        Guards g = guards.computeIfAbsent(key, this::guards);
        Timer.Sample sample = metrics.start();
        String outcome = "ok";
        try {
            return g.breaker.call(() -> cm.idempotent
                    ? g.read.call(() -> attempt(key, replicaId, delegation, fixed, cm, args), Object.class)
                    : g.command.call(() -> attempt(key, replicaId, delegation, fixed, cm, args), Object.class),
                    Object.class);
        } catch (CircuitBreakerOpenException e) {
            outcome = "circuit-open";
            throw new ResideException.UnavailableException("requirement '" + key + "': its implementor failed "
                    + "repeatedly, so calls fail at once for " + config.requirements().get(key).circuitBreakerDelay()
                    + " (circuit open); retry later");
        } catch (org.eclipse.microprofile.faulttolerance.exceptions.TimeoutException e) {
            outcome = "timeout";
            String what = "requirement '" + key + "': no answer to " + cm.name + " within "
                    + config.requirements().get(key).callTimeout();
            throw cm.idempotent ? new ResideException.UnavailableException(what)
                    : new ResideException.OutcomeUnknownException(what + "; it may or may not have run, check before "
                            + "calling again");
        } catch (ResideException e) {
            outcome = e.code().code();
            throw e;
        } finally {
            sample.stop(metrics.clientCalls(key, cm.name, outcome));
        }
    }

    /**
     * One attempt: sign, send, check that the callee authenticated the answer, read it. The call is sent again, once,
     * only when the callee proved it did not run it ({@link #afterRefusal}); after any ambiguous failure a GET is
     * retried by its guard, and a POST ends in {@link ResideException.OutcomeUnknownException}.
     */
    private Object attempt(String key, String replicaId, String delegation, Target fixed, ContractMethod cm,
            Object[] args) throws Exception {
        Target target = fixed != null ? fixed : target(key, replicaId);
        String requestTarget = cm.target(args);
        byte[] body = cm.body(args, json);
        for (int tries = 0;; tries++) {
            Sessions.ClientSession session = session(target);
            Sessions.ClientSession.Proof proof = session.proof(cm.http, requestTarget, body, delegation, Instant.now());
            long sent = System.nanoTime();
            Transport.Answer answer = exchange(target, cm, requestTarget, cm.hasBody() ? body : null,
                    proof.authorization(), delegation);
            Optional<Authenticated> authenticated = authenticated(target, session, proof, answer);
            if (authenticated.isEmpty()) {
                String what = "the answer of implementor " + target.replicaId() + " at " + target.baseUrl() + " to "
                        + cm.name + " (HTTP " + answer.status() + ") is not authenticated by it (missing or wrong "
                        + ResponseProofs.HEADER_NAME + "): someone on the way may have made it up";
                LOG.warnf("requirement '%s': %s", key, what);
                throw cm.idempotent ? new ResideException.UnavailableException("requirement '" + key + "': " + what)
                        : outcomeUnknown(target, cm, what);
            }
            if (answer.status() < 300) {
                return cm.read(answer.contentType(), answer.body(), json);
            }
            ResideException error = error(target, answer);
            String reason = error instanceof ResideException.UnauthenticatedException u ? u.reason() : null;
            Next next = afterRefusal(reason, authenticated.get().signed(), session, sent, cm.idempotent);
            if (next == Next.NEW_SESSION_AND_SEND_AGAIN) {
                dropSession(target, session);
            }
            if (tries == 0 && next != Next.FAIL && next != Next.OUTCOME_UNKNOWN) {
                continue;
            }
            if (next == Next.OUTCOME_UNKNOWN) {
                throw outcomeUnknown(target, cm, "the callee refused it as " + reason + ", which does not show that no "
                        + "copy of it ran: " + error.getMessage());
            }
            throw error;
        }
    }

    /**
     * How the callee authenticated an answer ({@link ResponseProofs}): with the session's MAC ({@code signed}
     * empty) or with its account's signature, naming the process that answered. Empty when it did not.
     */
    private record Authenticated(ResponseProofs.Signed signed) {
    }

    private Optional<Authenticated> authenticated(Target target, Sessions.ClientSession session,
            Sessions.ClientSession.Proof proof, Transport.Answer answer) {
        if (session.verifyResponse(proof.seq(), answer.status(), answer.body(), answer.responseProof())) {
            return Optional.of(new Authenticated(null));
        }
        return registry.publicKey(target.accountId()).flatMap(key -> ResponseProofs.verifySigned(
                answer.responseProof(), proof.credential(), answer.status(), answer.body(), key))
                .map(Authenticated::new);
    }

    private enum Next {
        FAIL,
        SEND_AGAIN,
        NEW_SESSION_AND_SEND_AGAIN,
        OUTCOME_UNKNOWN
    }

    /**
     * What an authenticated refusal means for the call (ADR 0005). {@code session-expired}: it did not run, and the
     * session is over. {@code session-unknown}, signed: it did not run in the process that answers; it did not run at
     * all if that process is another than the one holding the session and was already up when the call was sent (its
     * uptime exceeds the time since), for the one holding it was gone before the call existed. After refusals that
     * leave open whether an earlier copy ran, only a read may go again.
     */
    private static Next afterRefusal(String reason, ResponseProofs.Signed signed, Sessions.ClientSession session,
            long sentNanos, boolean idempotent) {
        if (AuthenticationFailure.Reason.SESSION_EXPIRED.code().equals(reason)) {
            return Next.NEW_SESSION_AND_SEND_AGAIN;
        }
        if (AuthenticationFailure.Reason.SESSION_UNKNOWN.code().equals(reason)) {
            long elapsedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - sentNanos) + 1;
            boolean notRun = signed != null && !signed.incarnation().equals(session.incarnation())
                    && signed.uptimeMillis() > elapsedMillis;
            return idempotent || notRun ? Next.NEW_SESSION_AND_SEND_AGAIN : Next.OUTCOME_UNKNOWN;
        }
        if (reason != null && MAY_HAVE_RUN.contains(reason)) {
            return idempotent ? Next.SEND_AGAIN : Next.OUTCOME_UNKNOWN;
        }
        return Next.FAIL;
    }

    /** Refusals after which an earlier copy of the same call may have run. */
    private static final java.util.Set<String> MAY_HAVE_RUN = java.util.Set.of(
            AuthenticationFailure.Reason.SESSION_REPLAYED.code(),
            AuthenticationFailure.Reason.SESSION_OUT_OF_WINDOW.code(),
            AuthenticationFailure.Reason.SESSION_MAC_INVALID.code(), AuthenticationFailure.Reason.PROOF_EXPIRED.code(),
            AuthenticationFailure.Reason.PROOF_NOT_YET_VALID.code());

    private static ResideException.OutcomeUnknownException outcomeUnknown(Target target, ContractMethod cm,
            String why) {
        return new ResideException.OutcomeUnknownException("requirement '" + target.key() + "': " + cm.name + " on "
                + target.replicaId() + " may or may not have run (" + why + "); it was not sent again: check its "
                + "effect before calling again");
    }

    /** Sends a call; a failure after it may have been written is, for a command, an unknown outcome. */
    private Transport.Answer exchange(Target target, ContractMethod cm, String requestTarget, byte[] body,
            String authorization, String delegation) throws Exception {
        try {
            return send(target, cm.http, requestTarget, body, authorization, delegation);
        } catch (Ambiguous e) {
            if (cm.idempotent) {
                throw new ResideException.UnavailableException(e.getMessage());
            }
            throw outcomeUnknown(target, cm, e.getMessage());
        }
    }

    private record Target(String key, String replicaId, String accountId, String baseUrl) {
        String sessionKey() {
            return accountId + " " + baseUrl;
        }
    }

    private Target target(String key, String replicaId) {
        RcbView v = view;
        if (v == null) {
            throw new ResideException.UnavailableException("requirement '" + key + "': this replica has no RCB "
                    + "(RESIDE_CONTROL_BLOCK_ID), so no implementor");
        }
        List<Rcb.Implementor> implementors = v.rcb().requirements().getOrDefault(key, List.of());
        Rcb.Implementor chosen = implementors.stream()
                .filter(i -> replicaId == null || i.replicaId().equals(replicaId)).findFirst()
                .orElseThrow(() -> new ResideException.UnavailableException("requirement '" + key + "' has no "
                        + "implementor" + (replicaId == null ? "" : " " + replicaId) + " in the RCB"));
        String context = config.accessContext().key();
        String url = chosen.endpoints().get(context);
        if (url == null) {
            throw new ResideException.UnavailableException("requirement '" + key + "': implementor "
                    + chosen.replicaId() + " has no '" + context + "' endpoint (RESIDE_ACCESS_CONTEXT=" + context
                    + ")");
        }
        return new Target(key, chosen.replicaId(), chosen.accountId(),
                url.endsWith("/") ? url.substring(0, url.length() - 1) : url);
    }

    /** The session with one implementor; one handshake at a time per implementor. */
    private static final class SessionHolder {
        volatile Sessions.ClientSession session;
    }

    private Sessions.ClientSession session(Target target) throws Exception {
        SessionHolder holder = sessions.computeIfAbsent(target.sessionKey(), k -> new SessionHolder());
        Sessions.ClientSession current = holder.session;
        if (current != null && !current.expiresWithin(SESSION_RENEWAL, Instant.now())) {
            return current;
        }
        synchronized (holder) {
            current = holder.session;
            if (current == null || current.expiresWithin(SESSION_RENEWAL, Instant.now())) {
                current = handshake(target);
                holder.session = current;
            }
            return current;
        }
    }

    private void dropSession(Target target, Sessions.ClientSession stale) {
        SessionHolder holder = sessions.get(target.sessionKey());
        if (holder != null) {
            synchronized (holder) {
                if (holder.session == stale) {
                    holder.session = null;
                }
            }
        }
    }

    private Sessions.ClientSession handshake(Target target) throws Exception {
        PublicKey serverKey = registry.publicKey(target.accountId())
                .orElseThrow(() -> new ResideException.UnavailableException(
                        "requirement '" + target.key() + "': the account "
                                + target.accountId() + " of implementor " + target.replicaId() + " is not registered"));
        Sessions.Handshake handshake = new Sessions.Handshake();
        byte[] body = json.writeValueAsBytes(handshake.request());
        String authorization = RequestProofs.sign(self.key(), target.accountId(),
                new RequestProofs.Request("POST", Sessions.HANDSHAKE_PATH, body, null), Instant.now());
        Transport.Answer answer;
        try {
            answer = send(target, "POST", Sessions.HANDSHAKE_PATH, body, authorization, null);
        } catch (Ambiguous e) {
            throw new ResideException.UnavailableException(e.getMessage()); // a handshake changes nothing: no call was sent
        }
        if (ResponseProofs.verifySigned(answer.responseProof(), authorization.substring(RequestProofs.SCHEME.length()
                + 1), answer.status(), answer.body(), serverKey).isEmpty()) {
            throw new ResideException.UnavailableException("requirement '" + target.key() + "': the answer of "
                    + target.baseUrl() + " to the session handshake (HTTP " + answer.status() + ") is not signed by "
                    + "implementor " + target.replicaId() + " (is " + target.baseUrl() + " really it?)");
        }
        if (answer.status() >= 300) {
            throw error(target, answer);
        }
        try {
            return handshake.complete(json.readValue(answer.body(), Sessions.HandshakeResponse.class),
                    self.accountId(), serverKey);
        } catch (AuthenticationFailure e) {
            throw new ResideException.UnavailableException("requirement '" + target.key() + "': " + e.getMessage()
                    + " (is " + target.baseUrl() + " really " + target.replicaId() + "?)");
        }
    }

    /** The request may have reached the callee, but no answer came. */
    private static final class Ambiguous extends Exception {
        private static final long serialVersionUID = 1L;

        Ambiguous(String message) {
            super(message, null, false, false);
        }
    }

    /**
     * @throws ResideException.UnavailableException when the request was not sent (no connection)
     * @throws Ambiguous when it may have been received but no answer came
     */
    private Transport.Answer send(Target target, String method, String requestTarget, byte[] body, String authorization,
            String delegation) throws Exception {
        ResideConfig.Requirement settings = config.requirements().get(target.key());
        RequestOptions options = new RequestOptions().setMethod(HttpMethod.valueOf(method))
                .setAbsoluteURI(target.baseUrl() + requestTarget)
                .setTimeout(settings.callTimeout().toMillis())
                .putHeader("Authorization", authorization)
                .putHeader("Accept", "application/json, " + Problem.MEDIA_TYPE + ", text/plain");
        if (delegation != null) {
            options.putHeader(Delegations.HEADER_NAME, delegation);
        }
        if (body != null) {
            options.putHeader("Content-Type", "application/json");
        }
        // the call is a client span of the caller's trace, its context sent on (W3C traceparent): one trace follows
        // a request through every replica it reaches (a no-op while tracing is off)
        Span span = tracer.spanBuilder(method + " " + pathOf(requestTarget)).setSpanKind(SpanKind.CLIENT)
                .setAttribute("rpc.system", "reside").setAttribute("reside.requirement", target.key())
                .setAttribute("reside.implementor", target.replicaId())
                .setAttribute("url.full", target.baseUrl() + pathOf(requestTarget)).startSpan();
        try (Scope scope = span.makeCurrent()) {
            otel.getPropagators().getTextMapPropagator().inject(io.opentelemetry.context.Context.current(),
                    options, (o, k, v) -> o
                            .putHeader(k, v));
        }
        CompletableFuture<Transport.Answer> answer = transport.send(target.baseUrl(), settings.connectTimeout(),
                options, body);
        String where = "requirement '" + target.key() + "': implementor " + target.replicaId() + " at "
                + target.baseUrl();
        try {
            Transport.Answer a = answer.get(settings.callTimeout().toMillis() + 500, TimeUnit.MILLISECONDS);
            span.setAttribute("http.response.status_code", a.status());
            if (a.status() >= 500) {
                span.setStatus(StatusCode.ERROR);
            }
            return a;
        } catch (ExecutionException e) {
            span.setStatus(StatusCode.ERROR, e.getCause().getClass().getSimpleName());
            if (e.getCause() instanceof Transport.NotSent notSent) {
                throw new ResideException.UnavailableException(where + " is unreachable: " + notSent.getMessage());
            }
            String why = e.getCause().getMessage() != null ? e.getCause().getMessage() : e.getCause().toString();
            throw new Ambiguous(where + ": the connection failed after the request was sent: " + why);
        } catch (TimeoutException e) {
            span.setStatus(StatusCode.ERROR, "timeout");
            throw new Ambiguous(where + ": no answer within " + settings.callTimeout());
        } finally {
            span.end();
        }
    }

    /** The path without its query (query values may be personal: they stay out of span names). */
    private static String pathOf(String requestTarget) {
        int q = requestTarget.indexOf('?');
        return q < 0 ? requestTarget : requestTarget.substring(0, q);
    }

    private ResideException error(Target target, Transport.Answer answer) {
        if (answer.contentType() != null && (answer.contentType().startsWith(Problem.MEDIA_TYPE)
                || answer.contentType().startsWith("application/json"))) {
            try {
                return ResideException.from(json.readValue(answer.body(), Problem.class));
            } catch (java.io.IOException e) {
                // not a problem document: fall through
            }
        }
        ErrorCode code = ErrorCode.of(null, answer.status());
        return ResideException.from(new Problem("https://reside.io/problems/" + code.code(), code.title(),
                answer.status(), "HTTP " + answer.status() + " from implementor " + target.replicaId() + ": "
                        + new String(answer.body(), 0, Math.min(200, answer.body().length), StandardCharsets.UTF_8),
                code.code(), null, null, List.of()));
    }

    private record Guards(Guard breaker, Guard read, Guard command) {
    }

    private Guards guards(String key) {
        ResideConfig.Requirement s = config.requirements().get(key);
        Guard breaker = Guard.create().withDescription("requirement " + key)
                .withCircuitBreaker()
                .requestVolumeThreshold(s.circuitBreakerRequests())
                .failureRatio(s.circuitBreakerFailureRatio())
                .delay(s.circuitBreakerDelay().toMillis(), ChronoUnit.MILLIS)
                .when(RequirementClients::isUnavailability)
                .onStateChange(state -> LOG.infof("requirement '%s': circuit %s", key, state))
                .done().build();
        Guard read = Guard.create().withDescription("reads of requirement " + key)
                .withRetry().maxRetries(s.retries()).delay(s.retryDelay().toMillis(), ChronoUnit.MILLIS)
                .whenException(RequirementClients::isUnavailability).done()
                .withTimeout().duration(s.callTimeout().toMillis() + 1000, ChronoUnit.MILLIS).done().build();
        Guard command = Guard.create().withDescription("commands of requirement " + key)
                .withTimeout().duration(s.callTimeout().toMillis() + 1000, ChronoUnit.MILLIS).done().build();
        return new Guards(breaker, read, command);
    }

    private static boolean isUnavailability(Throwable t) {
        return t instanceof ResideException.UnavailableException
                || t instanceof ResideException.OutcomeUnknownException
                || t instanceof org.eclipse.microprofile.faulttolerance.exceptions.TimeoutException;
    }

    private void forgetUnusedClients() {
        RcbView v = view;
        if (v == null) {
            return;
        }
        java.util.Set<String> urls = new java.util.HashSet<>(directUrls);
        v.rcb().requirements().values().forEach(list -> list.forEach(i -> i.endpoints().values()
                .forEach(u -> urls.add(u.endsWith("/") ? u.substring(0, u.length() - 1) : u))));
        transport.retainOnly(urls);
        sessions.keySet().removeIf(k -> !urls.contains(k.substring(k.indexOf(' ') + 1)));
    }

    /** For tests: open client sessions. */
    int openSessions() {
        return sessions.size();
    }
}
