package io.reside.runtime.security;

import java.util.ArrayList;
import java.util.List;

import jakarta.annotation.Priority;
import jakarta.inject.Inject;
import jakarta.interceptor.AroundInvoke;
import jakarta.interceptor.Interceptor;
import jakarta.interceptor.InvocationContext;

import com.fasterxml.jackson.databind.JsonNode;

import io.micrometer.core.instrument.Timer;
import io.quarkus.arc.ArcInvocationContext;
import io.quarkus.security.UnauthorizedException;
import io.quarkus.security.identity.SecurityIdentity;
import io.reside.etcd.DocType;
import io.reside.model.PermissionParams;
import io.reside.model.error.ResideException;
import io.reside.runtime.Contracts;
import io.reside.runtime.PermissionChecks;
import io.reside.runtime.rpc.RpcMetrics;
import io.smallrye.mutiny.Uni;

/**
 * Enforces a contract method's {@link io.reside.model.annotation.Requires} before the implementation runs: an
 * anonymous caller gets 401; a caller (Quarkus Security's identity) without the applied grant gets 403 naming the
 * permission. The instance comes from the method's arguments (after deserialisation, before validation of business
 * rules). Each call is metered ({@link RpcMetrics}).
 */
@EnforcePermission
@Interceptor
@Priority(Interceptor.Priority.PLATFORM_BEFORE + 200)
public class EnforcePermissionInterceptor {

    @Inject
    SecurityIdentity identity;

    @Inject
    RpcMetrics metrics;

    @Inject
    PermissionChecks checks;

    @AroundInvoke
    Object enforce(InvocationContext ctx) throws Exception {
        EnforcePermission binding = ((ArcInvocationContext) ctx).findIterceptorBinding(EnforcePermission.class);
        String method = ctx.getMethod().getName();
        Timer.Sample sample = metrics.start();
        Object result;
        try {
            result = check(binding, ctx);
        } catch (Exception e) {
            sample.stop(metrics.serverCalls(binding.contract(), method, outcome(e)));
            throw e;
        }
        if (result instanceof Uni<?> uni) { // the call ends when the Uni does
            return uni.onTermination().invoke((item, failure, cancelled) -> sample.stop(metrics.serverCalls(
                    binding.contract(), method, failure != null ? outcome(failure) : cancelled ? "cancelled" : "ok")));
        }
        sample.stop(metrics.serverCalls(binding.contract(), method, "ok"));
        return result;
    }

    private static String outcome(Throwable failure) {
        if (failure instanceof ResideException e) {
            return e.code().code();
        }
        return failure instanceof UnauthorizedException ? "unauthenticated" : "error";
    }

    private Object check(EnforcePermission binding, InvocationContext ctx) throws Exception {
        if (identity.isAnonymous()) {
            throw new UnauthorizedException();
        }
        if (binding.permission().isEmpty()) {
            return ctx.proceed();
        }
        // The same decision as the checker GrantsAugmentor gives the identity (Quarkus Security's
        // @PermissionsAllowed(permission = ResidePermission.class) reaches it), taken directly: combining checkers
        // through Uni costs tens of microseconds per call, and there is nothing else to combine.
        checks.require(identity.getPrincipal().getName(), Contracts.byKey(binding.contract()).identity(),
                binding.permission(), instance(binding, ctx.getParameters()));
        return ctx.proceed();
    }

    private static String instance(EnforcePermission binding, Object[] arguments) {
        if (binding.instance().length == 0) {
            return null;
        }
        List<String> parts = new ArrayList<>();
        for (int i = 0; i < binding.instance().length; i++) {
            String path = binding.instance()[i];
            Object argument = arguments[binding.instanceParameters()[i]];
            int dot = path.indexOf('.');
            String value;
            if (argument == null) {
                value = null;
            } else if (dot < 0) {
                value = argument.toString();
            } else {
                JsonNode node = DocType.mapper().valueToTree(argument)
                        .at("/" + path.substring(dot + 1).replace('.', '/'));
                value = node.isValueNode() && !node.isNull() ? node.asText() : null;
            }
            if (value == null || value.isEmpty()) {
                throw new ResideException.InvalidInputException(path + " is required: it names the instance the "
                        + "permission is checked for");
            }
            parts.add(value);
        }
        return PermissionParams.instanceId(parts);
    }
}
