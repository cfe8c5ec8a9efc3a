package io.reside.runtime.audit;

import jakarta.inject.Inject;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerResponseContext;

import org.jboss.resteasy.reactive.server.ServerResponseFilter;

import com.fasterxml.jackson.databind.JsonNode;

import io.quarkus.security.identity.SecurityIdentity;
import io.reside.etcd.DocType;
import io.reside.model.error.Problem;
import io.reside.runtime.rpc.BodyProofInterceptor;
import io.reside.runtime.rpc.ResideAuthenticationMechanism;
import io.vertx.ext.web.RoutingContext;

/**
 * Records every state-changing contract call a replica serves ({@code POST /rpc/<contract>/<method>}) in its audit
 * trail, once answered: who, for whom, which method, which object, and the outcome.
 */
public class AuditFilter {

    @Inject
    AuditTrail trail;

    @Inject
    SecurityIdentity identity;

    @Inject
    RoutingContext routing;

    @ServerResponseFilter
    public void audit(ContainerRequestContext request, ContainerResponseContext response) {
        if (!trail.enabled() || !"POST".equals(request.getMethod())) {
            return;
        }
        String path = routing.normalizedPath();
        if (!path.startsWith("/rpc/")) {
            return;
        }
        String[] parts = path.substring("/rpc/".length()).split("/");
        if (parts.length != 2) {
            return;
        }
        String madeBy = identity == null || identity.isAnonymous() ? "-" : identity.getPrincipal().getName();
        String actor = identity == null || identity.isAnonymous() ? null
                : identity.getAttribute(ResideAuthenticationMechanism.ACTOR);
        int status = response.getStatus();
        String outcome = status < 400 ? "ok"
                : response.getEntity() instanceof Problem p && p.code() != null ? p.code() : "http-" + status;
        byte[] body = routing.get(BodyProofInterceptor.BODY);
        JsonNode json = null;
        if (body != null && body.length > 0) {
            try {
                json = DocType.mapper().readTree(body);
            } catch (java.io.IOException e) {
                // not JSON: no object
            }
        }
        io.opentelemetry.api.trace.SpanContext span = io.opentelemetry.api.trace.Span.current().getSpanContext();
        trail.record(parts[0] + "." + parts[1], madeBy, actor, json, outcome, status, span.isValid() ? span
                .getTraceId() : null);
    }
}
