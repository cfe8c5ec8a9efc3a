package io.reside.runtime.rpc;

import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import io.quarkus.security.identity.SecurityIdentity;
import io.quarkus.vertx.http.runtime.security.QuarkusHttpUser;
import io.reside.runtime.ResideConfig;
import io.reside.runtime.ServedContracts;
import io.vertx.ext.web.Router;

/**
 * One line per RPC call (logger {@code io.reside.access}): method, path, status, duration, {@code madeBy} and, for
 * impersonated calls, the actor. Turned off with {@code reside.rpc.access-log=false}.
 */
public class AccessLog {

    private static final Logger LOG = Logger.getLogger("io.reside.access");

    @Inject
    ResideConfig config;

    private static boolean isLoopback(String address) {
        return address.equals("127.0.0.1") || address.equals("::1") || address.equals("0:0:0:0:0:0:0:1");
    }

    void install(@Observes Router router) {
        if (!config.rpc().accessLog()) {
            return;
        }
        router.route("/rpc/*").order(-2000).handler(ctx -> {
            if (ctx.request().getHeader(ServedContracts.HEADER) != null && ctx.request().remoteAddress() != null
                    && isLoopback(ctx.request().remoteAddress().hostAddress())) {
                ctx.next(); // the replica's own start-up check
                return;
            }
            long start = System.nanoTime();
            // the call's trace (Quarkus started its server span when the request came in); none while tracing is off
            io.opentelemetry.api.trace.SpanContext span = io.opentelemetry.api.trace.Span.current().getSpanContext();
            String traceId = span.isValid() ? span.getTraceId() : null;
            ctx.addEndHandler(done -> {
                SecurityIdentity identity = ctx.user() instanceof QuarkusHttpUser user && !user.getSecurityIdentity()
                        .isAnonymous() ? user.getSecurityIdentity() : null;
                String caller = identity == null ? "-" : identity.getPrincipal().getName();
                String actor = identity == null ? null : identity.getAttribute(ResideAuthenticationMechanism.ACTOR);
                // the same fields as the lines written during the call (LogContext), for the JSON logs
                LogContext.logFor(caller, actor, traceId, () -> LOG.infof("%s %s %d %.1fms madeBy=%s%s", ctx
                        .request().method(), ctx.request().path(), ctx.response().getStatusCode(),
                        (System.nanoTime()
                                - start) / 1e6,
                        caller, actor == null ? "" : " actor=" + actor));
            });
            ctx.next();
        });
    }
}
