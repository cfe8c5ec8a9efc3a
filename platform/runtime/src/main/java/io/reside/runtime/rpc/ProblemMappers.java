package io.reside.runtime.rpc;

import java.util.List;
import java.util.UUID;

import jakarta.validation.ConstraintViolationException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Response;

import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonMappingException;

import io.quarkus.security.ForbiddenException;
import io.quarkus.security.UnauthorizedException;
import io.reside.etcd.AlreadyExistsException;
import io.reside.etcd.CommitOutcomeUnknownException;
import io.reside.etcd.EtcdUnavailableException;
import io.reside.etcd.LockTimeoutException;
import io.reside.etcd.TransactionConflictException;
import io.reside.model.error.ErrorCode;
import io.reside.model.error.Problem;
import io.reside.model.error.ResideException;
import io.reside.security.AuthenticationFailure;
import io.vertx.ext.web.RoutingContext;

/**
 * Every error a replica returns is RFC 9457 problem JSON with a stable {@code code} ({@link ErrorCode}). Messages
 * say what is wrong and never carry secrets; an unexpected failure is logged with an id, and only the id is returned.
 */
public class ProblemMappers {

    private static final Logger LOG = Logger.getLogger(ProblemMappers.class);

    static Response problem(Problem problem) {
        return Response.status(problem.status()).type(Problem.MEDIA_TYPE).entity(problem).build();
    }

    @ServerExceptionMapper
    public Response reside(ResideException e) {
        Response response = problem(e.problem());
        if (e.problem().status() == 401) {
            String reason = e.problem().reason() == null ? AuthenticationFailure.Reason.PROOF_MISSING.code()
                    : e.problem().reason();
            return Response.fromResponse(response).header("WWW-Authenticate", "Reside error=\"" + reason + "\"")
                    .build();
        }
        return response;
    }

    @ServerExceptionMapper
    public Response unauthenticated(UnauthorizedException e, RoutingContext ctx) {
        AuthenticationFailure failure = ctx.get(ResideAuthenticationMechanism.FAILURE);
        String reason = failure == null ? AuthenticationFailure.Reason.PROOF_MISSING.code() : failure.reason().code();
        String detail = failure == null ? "authentication required" : failure.getMessage();
        return Response.fromResponse(problem(Problem.of(ErrorCode.UNAUTHENTICATED, detail).withReason(reason)))
                .header("WWW-Authenticate", "Reside error=\"" + reason + "\"").build();
    }

    @ServerExceptionMapper
    public Response forbidden(ForbiddenException e) {
        return problem(Problem.of(ErrorCode.PERMISSION_DENIED,
                e.getMessage() == null ? "permission denied" : e.getMessage()));
    }

    @ServerExceptionMapper
    public Response invalid(ConstraintViolationException e) {
        List<Problem.FieldError> errors = e.getConstraintViolations().stream().map(v -> {
            String path = v.getPropertyPath().toString();
            int dot = path.indexOf('.');
            return new Problem.FieldError(dot < 0 ? path : path.substring(dot + 1), v.getMessage());
        }).sorted(java.util.Comparator.comparing(Problem.FieldError::field)).toList();
        String detail = errors.stream().map(f -> f.field() + " " + f.message()).collect(
                java.util.stream.Collectors.joining("; ", "invalid request: ", ""));
        return problem(Problem.of(ErrorCode.INVALID_INPUT, detail).withErrors(errors));
    }

    @ServerExceptionMapper(priority = jakarta.ws.rs.Priorities.USER - 100)
    public Response malformed(JsonProcessingException e) {
        String field = e instanceof JsonMappingException m && !m.getPath().isEmpty()
                ? m.getPath().stream().map(r -> r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]")
                        .reduce((a, b) -> b.startsWith("[") ? a + b : a + "." + b).orElse("")
                : "";
        Problem p = Problem.of(ErrorCode.INVALID_INPUT, "the request body is not valid JSON for this method");
        return problem(field.isEmpty() ? p
                : p.withErrors(List.of(new Problem.FieldError(field, "has the wrong type or format"))));
    }

    @ServerExceptionMapper
    public Response web(WebApplicationException e) {
        int status = e.getResponse().getStatus();
        ErrorCode code = ErrorCode.of(null, status);
        return Response.fromResponse(problem(new Problem("https://reside.io/problems/" + code.code(), code.title(),
                status, e.getMessage(), code.code(), null, null, List.of()))).build();
    }

    @ServerExceptionMapper
    public Response notFound(io.reside.etcd.NotFoundException e) {
        return problem(Problem.of(ErrorCode.NOT_FOUND, e.getMessage()));
    }

    @ServerExceptionMapper
    public Response exists(AlreadyExistsException e) {
        return problem(Problem.of(ErrorCode.CONFLICT, e.getMessage()));
    }

    @ServerExceptionMapper
    public Response conflict(TransactionConflictException e) {
        return problem(Problem.of(ErrorCode.CONFLICT, e.getMessage()));
    }

    @ServerExceptionMapper
    public Response etcd(EtcdUnavailableException e) {
        return problem(Problem.of(ErrorCode.UNAVAILABLE, "the cluster's store is unavailable; retry later"));
    }

    @ServerExceptionMapper
    public Response commitUnknown(CommitOutcomeUnknownException e) {
        return problem(Problem.of(ErrorCode.OUTCOME_UNKNOWN, "the store did not confirm a change, which may or may "
                + "not have been made; check before repeating the request"));
    }

    @ServerExceptionMapper
    public Response lock(LockTimeoutException e) {
        return problem(Problem.of(ErrorCode.UNAVAILABLE, "busy: " + e.getMessage()));
    }

    @ServerExceptionMapper(priority = jakarta.ws.rs.Priorities.USER + 1000)
    public Response unexpected(RuntimeException e) {
        String id = UUID.randomUUID().toString();
        LOG.errorf(e, "unexpected failure %s", id);
        return problem(Problem.of(ErrorCode.INTERNAL, "internal error " + id + " (see the replica's log)"));
    }
}
