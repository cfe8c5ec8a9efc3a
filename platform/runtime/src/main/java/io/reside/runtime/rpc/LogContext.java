package io.reside.runtime.rpc;

import jakarta.inject.Inject;
import jakarta.ws.rs.Priorities;

import org.jboss.logging.MDC;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;
import org.jboss.resteasy.reactive.server.ServerResponseFilter;

import io.quarkus.security.identity.SecurityIdentity;

/**
 * Who a served call is for, on every log line written while it runs: the MDC keys {@value #CALLER} (the account the
 * call counts as: for an impersonated call, the user) and {@value #ACTOR} (for an impersonated call, the replica
 * acting for the user). The JSON logs of cluster mode carry the MDC, and the trace id Quarkus's OpenTelemetry puts
 * there, as fields (docs/operations.md, "Logs").
 */
public class LogContext {

    public static final String CALLER = "reside.caller";
    public static final String ACTOR = "reside.actor";
    /** The key Quarkus's OpenTelemetry puts the trace id under. */
    static final String TRACE_ID = "traceId";

    @Inject
    SecurityIdentity identity;

    /** After authentication: the identity is the caller's. */
    @ServerRequestFilter(priority = Priorities.AUTHORIZATION)
    public void put() {
        if (identity == null || identity.isAnonymous()) {
            return;
        }
        MDC.put(CALLER, identity.getPrincipal().getName());
        String actor = identity.getAttribute(ResideAuthenticationMechanism.ACTOR);
        if (actor != null) {
            MDC.put(ACTOR, actor);
        }
    }

    /**
     * Writes a line about a call after it ran (the access log, the audit trail), with the same fields as the lines
     * written during it: the caller, the actor when there is one, and the trace id when given.
     */
    public static void logFor(String caller, String actor, String traceId, Runnable log) {
        MDC.put(CALLER, caller);
        if (actor != null) {
            MDC.put(ACTOR, actor);
        }
        if (traceId != null) {
            MDC.put(TRACE_ID, traceId);
        }
        try {
            log.run();
        } finally {
            MDC.remove(CALLER);
            MDC.remove(ACTOR);
            if (traceId != null) {
                MDC.remove(TRACE_ID);
            }
        }
    }

    @ServerResponseFilter
    public void clear() {
        MDC.remove(CALLER);
        MDC.remove(ACTOR);
    }
}
