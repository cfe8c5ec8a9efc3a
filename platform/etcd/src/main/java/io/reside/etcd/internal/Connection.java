package io.reside.etcd.internal;

import java.net.URI;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.Collectors;

import org.jboss.logging.Logger;

import io.etcd.jetcd.api.AuthGrpc;
import io.etcd.jetcd.api.AuthenticateRequest;
import io.etcd.jetcd.api.KVGrpc;
import io.etcd.jetcd.api.LeaseGrpc;
import io.etcd.jetcd.api.LeaseKeepAliveRequest;
import io.etcd.jetcd.api.LeaseKeepAliveResponse;
import io.etcd.jetcd.api.WatchGrpc;
import io.etcd.jetcd.api.lock.LockGrpc;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ClientInterceptors;
import io.grpc.ConnectivityState;
import io.grpc.ForwardingClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.netty.channel.ChannelOption;
import io.reside.etcd.EtcdPermissionDeniedException;
import io.reside.etcd.EtcdRejectedException;
import io.reside.etcd.EtcdUnavailableException;
import io.reside.etcd.LimitExceededException;
import io.reside.etcd.StoreConfig;
import io.vertx.core.Context;

/**
 * The gRPC channel to etcd and the one place where etcd calls get their deadline and their errors get translated.
 * <p>
 * We own the channel instead of using jetcd's {@code Client} (whose channel is private) for three reasons, recorded
 * in docs/adr/0001: every call needs a deadline and no hidden retry (jetcd retries a {@code Txn} after an ambiguous
 * failure and waits for a connection forever by default); after an outage the channel must reconnect within
 * {@link StoreConfig#reconnectInterval()} instead of gRPC's exponential backoff of up to two minutes, which only
 * {@link ManagedChannel#resetConnectBackoff()} can shorten; and transactions need range compares, which jetcd's
 * {@code Cmp} cannot express. The protocol classes are jetcd's ({@code jetcd-grpc}).
 * <p>
 * With {@link StoreConfig#credentials()} the connection authenticates (etcd's {@code Authenticate}, once, then
 * again whenever etcd calls the token invalid) and sends the token with every call; against an etcd without auth
 * it sends none.
 */
final class Connection implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(Connection.class);
    private static final int MAX_INBOUND_BYTES = 64 * 1024 * 1024;
    private static final Metadata.Key<String> TOKEN = Metadata.Key.of("token", Metadata.ASCII_STRING_MARSHALLER);
    /** Stands for "etcd has auth disabled": nothing to send. */
    private static final String NO_AUTH = "";

    private final StoreConfig config;
    private final ScheduledExecutorService scheduler;
    private final ManagedChannel channel;
    /** The channel with the token added to every call but {@code Authenticate}. */
    private final Channel authenticated;
    private final String endpoints;
    private final long callTimeoutNanos;
    private final KVGrpc.KVBlockingStub kv;
    private final LeaseGrpc.LeaseBlockingStub lease;
    private final LockGrpc.LockBlockingStub lock;
    private ScheduledFuture<?> reconnector;
    private volatile boolean closed;
    /** The auth token; null until authenticated (or after etcd refused it), {@link #NO_AUTH} without auth. */
    private volatile String token;

    Connection(StoreConfig config, ScheduledExecutorService scheduler) {
        this.config = config;
        this.scheduler = scheduler;
        this.endpoints = config.endpoints().stream().map(URI::toString).collect(Collectors.joining(","));
        this.callTimeoutNanos = config.callTimeout().toNanos();
        this.channel = buildChannel(config);
        this.authenticated = ClientInterceptors.intercept(channel, new TokenInterceptor());
        this.token = config.credentials() == null ? NO_AUTH : null;
        // wait-for-ready: a call made while etcd is briefly away waits for the reconnection, within its deadline
        this.kv = KVGrpc.newBlockingStub(authenticated).withWaitForReady();
        this.lease = LeaseGrpc.newBlockingStub(authenticated).withWaitForReady();
        this.lock = LockGrpc.newBlockingStub(authenticated).withWaitForReady();
        keepReconnecting();
    }

    private static ManagedChannel buildChannel(StoreConfig config) {
        NettyChannelBuilder builder;
        if (config.endpoints().size() == 1) {
            URI e = config.endpoints().get(0);
            builder = NettyChannelBuilder.forAddress(e.getHost(), e.getPort());
        } else {
            // jetcd's "ip" name resolver (registered by jetcd-core) lists several members
            builder = NettyChannelBuilder.forTarget("ip:///" + config.endpoints().stream()
                    .map(e -> e.getHost() + ":" + e.getPort()).collect(Collectors.joining(",")));
        }
        return builder
                .usePlaintext()
                .defaultLoadBalancingPolicy("pick_first")
                .keepAliveTime(config.keepAliveTime().toMillis(), TimeUnit.MILLISECONDS)
                .keepAliveTimeout(config.callTimeout().toMillis(), TimeUnit.MILLISECONDS)
                .keepAliveWithoutCalls(true)
                .maxInboundMessageSize(MAX_INBOUND_BYTES)
                .withOption(ChannelOption.CONNECT_TIMEOUT_MILLIS,
                        (int) Math.min(config.callTimeout().toMillis(), 3_000))
                .build();
    }

    /**
     * Keeps reconnect attempts at a fixed, short interval. After each failed connection attempt gRPC waits longer
     * (up to 120 s) before the next; we reset that backoff every {@code reconnectInterval} while the channel is in
     * TRANSIENT_FAILURE. A periodic check rather than a state-change callback: pick_first keeps the channel in
     * TRANSIENT_FAILURE while it retries (gRFC A62), so a callback would fire only once per outage.
     */
    private void keepReconnecting() {
        long interval = config.reconnectInterval().toMillis();
        reconnector = scheduler.scheduleWithFixedDelay(() -> {
            if (!closed && channel.getState(false) == ConnectivityState.TRANSIENT_FAILURE) {
                LOG.debugf("etcd at %s unreachable; trying to connect again", endpoints);
                channel.resetConnectBackoff();
            }
        }, interval, interval, TimeUnit.MILLISECONDS);
    }

    /** The channel without the token ({@code Authenticate} must not carry a stale one). */
    Channel rawChannel() {
        return channel;
    }

    long callTimeoutNanos() {
        return callTimeoutNanos;
    }

    /** The etcd user this connection authenticates as, for messages; "(none)" without credentials. */
    String user() {
        return config.credentials() == null ? "(none)" : config.credentials().username();
    }

    /**
     * Makes sure the connection holds a token when it has credentials (a blocking {@code Authenticate} the first
     * time, and after etcd refused the token). Calls do this themselves; a stream calls it before it starts.
     */
    void authenticate() {
        if (token != null) {
            return;
        }
        synchronized (this) {
            if (token != null) {
                return;
            }
            StoreConfig.Credentials c = config.credentials();
            try {
                token = AuthGrpc.newBlockingStub(channel).withWaitForReady()
                        .withDeadlineAfter(callTimeoutNanos, TimeUnit.NANOSECONDS)
                        .authenticate(AuthenticateRequest.newBuilder().setName(c.username()).setPassword(c
                                .password()).build())
                        .getToken();
                LOG.debugf("authenticated to etcd as %s", c.username());
            } catch (StatusRuntimeException e) {
                String description = String.valueOf(e.getStatus().getDescription());
                if (description.contains("authentication is not enabled")) {
                    LOG.debugf("etcd at %s has auth disabled: not authenticating as %s", endpoints, c.username());
                    token = NO_AUTH;
                    return;
                }
                if (description.contains("authentication failed")) {
                    throw new EtcdPermissionDeniedException("etcd refused the credentials of user '" + c.username()
                            + "' (wrong password, or the user was deleted: Alpha makes each version's user and "
                            + "deletes it when the version stops)", null);
                }
                throw translate("authenticate as '" + c.username() + "'", e);
            }
        }
    }

    /** Tells the connection that a call or stream failed: a refused token is dropped so the next call renews it. */
    void failed(Throwable t) {
        if (t instanceof StatusRuntimeException e && isInvalidToken(e) && config.credentials() != null) {
            LOG.debugf("etcd refused the auth token of %s (%s); authenticating again", user(), e.getStatus()
                    .getDescription());
            token = null;
        }
    }

    private static boolean isInvalidToken(StatusRuntimeException e) {
        String d = e.getStatus().getDescription();
        return e.getStatus().getCode() == Status.Code.UNAUTHENTICATED
                || (d != null && (d.contains("invalid auth token") || d.contains("user name is empty")));
    }

    /** Adds the current token to every call but {@code Authenticate} itself. */
    private final class TokenInterceptor implements ClientInterceptor {
        @Override
        public <Q, A> ClientCall<Q, A> interceptCall(MethodDescriptor<Q, A> method, CallOptions options, Channel next) {
            return new ForwardingClientCall.SimpleForwardingClientCall<>(next.newCall(method, options)) {
                @Override
                public void start(Listener<A> listener, Metadata headers) {
                    String t = token;
                    if (t != null && !t.isEmpty() && !method.getFullMethodName().endsWith("/Authenticate")) {
                        headers.put(TOKEN, t);
                    }
                    super.start(listener, headers);
                }
            };
        }
    }

    String endpoints() {
        return endpoints;
    }

    boolean isReady() {
        return channel.getState(false) == ConnectivityState.READY;
    }

    KVGrpc.KVBlockingStub kv() {
        return kv.withDeadlineAfter(callTimeoutNanos, TimeUnit.NANOSECONDS);
    }

    AuthGrpc.AuthBlockingStub auth() {
        return AuthGrpc.newBlockingStub(authenticated).withWaitForReady().withDeadlineAfter(callTimeoutNanos,
                TimeUnit.NANOSECONDS);
    }

    /** Forgets the token, e.g. after auth was enabled: the next call authenticates. */
    void renewToken() {
        token = config.credentials() == null ? NO_AUTH : null;
    }

    LeaseGrpc.LeaseBlockingStub lease() {
        return lease.withDeadlineAfter(callTimeoutNanos, TimeUnit.NANOSECONDS);
    }

    LockGrpc.LockBlockingStub lock(long timeoutNanos) {
        return lock.withDeadlineAfter(timeoutNanos, TimeUnit.NANOSECONDS);
    }

    WatchGrpc.WatchStub watchStub() {
        return WatchGrpc.newStub(authenticated).withWaitForReady();
    }

    /**
     * Runs one blocking etcd call and translates its failure.
     *
     * @param what what the call does, for messages, e.g. {@code "read 'rcb/x'"}
     */
    <R> R call(String what, Supplier<R> call) {
        requireNotEventLoop();
        authenticate();
        for (int attempt = 1;; attempt++) {
            try {
                return call.get();
            } catch (StatusRuntimeException e) {
                // both refusals come before etcd does anything, so repeating the call is safe, even for a commit:
                // the token expired (etcd's --auth-token-ttl) or etcd restarted, so authenticate again; or a user or
                // role changed between etcd's permission check and its apply ("revision of auth store is old")
                boolean invalidToken = isInvalidToken(e) && config.credentials() != null;
                boolean oldRevision = isOldAuthRevision(e);
                if (!(invalidToken && attempt < 3) && !(oldRevision && attempt < MAX_AUTH_REVISION_RETRIES)) {
                    throw translate(what, e);
                }
                if (invalidToken) {
                    failed(e);
                    authenticate();
                } else {
                    pauseForAuthChanges(attempt);
                }
            }
        }
    }

    /** Attempts of a call that etcd refuses because users or roles changed meanwhile (Alpha making them). */
    static final int MAX_AUTH_REVISION_RETRIES = 30;

    /**
     * Whether etcd refused a call because a user or role changed between its permission check and its apply: etcd
     * did nothing, and the same call is likely to pass a moment later.
     */
    static boolean isOldAuthRevision(StatusRuntimeException e) {
        String d = e.getStatus().getDescription();
        return d != null && d.contains("revision of auth store is old");
    }

    /** A short random pause, growing with the attempts: auth changes come in bursts (a role is a dozen calls). */
    static void pauseForAuthChanges(int attempt) {
        try {
            Thread.sleep(1 + java.util.concurrent.ThreadLocalRandom.current().nextLong(Math.min(100, 5L * attempt)));
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
            throw new CancellationException("interrupted while waiting to repeat an etcd call");
        }
    }

    /** One lease keep-alive round trip; completes with the remaining TTL in seconds (0 when the lease is gone). */
    CompletableFuture<Long> keepAliveOnce(long leaseId) {
        CompletableFuture<Long> result = new CompletableFuture<>();
        StreamObserver<LeaseKeepAliveRequest> requests = LeaseGrpc.newStub(authenticated)
                .withDeadlineAfter(callTimeoutNanos, TimeUnit.NANOSECONDS)
                .leaseKeepAlive(new StreamObserver<>() {
                    @Override
                    public void onNext(LeaseKeepAliveResponse response) {
                        result.complete(response.getTTL());
                    }

                    @Override
                    public void onError(Throwable t) {
                        result.completeExceptionally(t);
                    }

                    @Override
                    public void onCompleted() {
                        result.completeExceptionally(new IllegalStateException("keep-alive stream ended"));
                    }
                });
        requests.onNext(LeaseKeepAliveRequest.newBuilder().setID(leaseId).build());
        requests.onCompleted();
        return result;
    }

    /**
     * Whether a call failed because its deadline passed: on the client (DEADLINE_EXCEEDED), or on the server, which
     * sees the propagated deadline and may answer first with "context deadline exceeded".
     */
    static boolean isDeadline(StatusRuntimeException e) {
        return e.getStatus().getCode() == Status.Code.DEADLINE_EXCEEDED
                || (e.getStatus().getDescription() != null
                        && e.getStatus().getDescription().contains("context deadline exceeded"));
    }

    RuntimeException translate(String what, StatusRuntimeException e) {
        Status status = e.getStatus();
        String description = status.getDescription() == null ? status.getCode().toString() : status.getDescription();
        if (isDeadline(e)) {
            return new EtcdUnavailableException("etcd unavailable: " + what + " got no answer within "
                    + config.callTimeout().toMillis() + " ms (etcd at " + endpoints + ")", e);
        }
        if (description.contains("user name is empty") && config.credentials() == null) {
            return new EtcdPermissionDeniedException("etcd refused " + what + ": etcd has auth enabled and this "
                    + "store has no credentials (a replica gets RESIDE_ETCD_USERNAME and RESIDE_ETCD_PASSWORD_FILE "
                    + "from Alpha; Alpha itself needs reside.etcd.username=root and its password)", e);
        }
        switch (status.getCode()) {
            case PERMISSION_DENIED:
                return new EtcdPermissionDeniedException("etcd refused " + what + ": its user " + user()
                        + " has no permission for that key (a replica reads and writes only its own data prefix, "
                        + "its RCB and the shared records it needs: docs/adr/0008)", e);
            case DEADLINE_EXCEEDED:
                return new EtcdUnavailableException("etcd unavailable: " + what + " got no answer within "
                        + config.callTimeout().toMillis() + " ms (etcd at " + endpoints + ")", e);
            case UNKNOWN:
            case INTERNAL:
                if (!isTransportFailure(e)) {
                    break;
                }
                // a connection lost mid-call ("channel closed") surfaces as UNKNOWN or INTERNAL
                return new EtcdUnavailableException(
                        "etcd unavailable: " + what + " failed: " + description + " (etcd at " + endpoints + ")", e);
            case UNAVAILABLE:
            case ABORTED:
                return new EtcdUnavailableException(
                        "etcd unavailable: " + what + " failed: " + description + " (etcd at " + endpoints + ")", e);
            case CANCELLED:
                if (Thread.currentThread().isInterrupted()) {
                    CancellationException c = new CancellationException(what + " was interrupted");
                    c.initCause(e);
                    return c;
                }
                return new EtcdUnavailableException(
                        "etcd unavailable: " + what + " was cancelled: " + description + " (etcd at " + endpoints + ")",
                        e);
            case OUT_OF_RANGE:
                if (description.contains("compacted")) {
                    return new CompactedException(what + ": " + description, e);
                }
                break;
            case INVALID_ARGUMENT:
            case RESOURCE_EXHAUSTED:
                if (description.contains("too many operations")) {
                    return new LimitExceededException(what + " was refused by etcd: " + description
                            + " (etcd's --max-txn-ops is lower than StoreConfig.maxTxnOps=" + config.maxTxnOps() + ")");
                }
                if (description.contains("too large") || status.getCode() == Status.Code.RESOURCE_EXHAUSTED) {
                    return new LimitExceededException(what + " was refused by etcd: " + description
                            + " (etcd's --max-request-bytes is lower than StoreConfig.maxRequestBytes="
                            + config.maxRequestBytes() + ")");
                }
                break;
            default:
                break;
        }
        return new EtcdRejectedException("etcd refused " + what + ": " + status.getCode() + " " + description, e);
    }

    private static boolean isTransportFailure(StatusRuntimeException e) {
        for (Throwable t = e.getCause(); t != null; t = t.getCause()) {
            if (t instanceof java.io.IOException) {
                return true;
            }
        }
        String description = e.getStatus().getDescription();
        return description != null && (description.contains("channel closed") || description.contains("RST_STREAM")
                || description.contains("Connection closed") || description.contains("EOS"));
    }

    static void requireNotEventLoop() {
        if (Context.isOnEventLoopThread()) {
            throw new IllegalStateException("the ReSide store blocks on etcd and must not be called on a Vert.x "
                    + "event-loop thread (" + Thread.currentThread().getName() + "): call it from a worker thread, "
                    + "e.g. annotate the endpoint with @Blocking");
        }
    }

    @Override
    public void close() {
        closed = true;
        reconnector.cancel(false);
        channel.shutdownNow();
        try {
            channel.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** A read at a revision that etcd has compacted away. */
    static final class CompactedException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        CompactedException(String message, Throwable cause) {
            super(message, cause);
        }
    }

}
