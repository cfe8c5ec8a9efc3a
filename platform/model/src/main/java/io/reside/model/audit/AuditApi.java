package io.reside.model.audit;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;

/**
 * The audit trail of a replica that keeps one ({@code reside.audit.enabled}): its state-changing calls, newest first
 * (docs/operations.md, "Audit trail"). A signed call, by an account holding the replica's
 * {@code reside.audit.read-permission}.
 */
@Path("/reside/audit")
public interface AuditApi {

    /**
     * One state-changing call served.
     *
     * @param method {@code <contract>.<method>}, e.g. {@code alpha.v1.approveLoadRequest}
     * @param madeBy the account the call counted as (for an impersonated call, the user)
     * @param actor for an impersonated call, the replica acting for the user; else null
     * @param object the request's identifying fields (ids, names, images, realms, permissions); never secrets
     * @param outcome {@code ok}, or the error code answered
     * @param id the entry's cursor: entries before it come with {@code before=<id>}
     */
    record Entry(String id, Instant at, String method, String madeBy, String actor, Map<String, String> object,
            String outcome, int status, String traceId) {
    }

    /** @param next the {@code before} of the next page, or null at the oldest entry */
    record Page(List<Entry> entries, String next) {
    }

    @GET
    @Path("entries")
    @Produces(MediaType.APPLICATION_JSON)
    Page entries(@QueryParam("limit") Integer limit, @QueryParam("before") String before);
}
