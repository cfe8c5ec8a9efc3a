package io.reside.runtime.security;

import java.util.ArrayList;
import java.util.List;

import jakarta.annotation.Priority;
import jakarta.inject.Inject;
import jakarta.interceptor.AroundInvoke;
import jakarta.interceptor.Interceptor;
import jakarta.interceptor.InvocationContext;

import com.fasterxml.jackson.databind.JsonNode;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.quarkus.arc.ArcInvocationContext;
import io.quarkus.security.UnauthorizedException;
import io.quarkus.security.identity.SecurityIdentity;
import io.reside.etcd.DocType;
import io.reside.model.error.ResideException;
import io.reside.runtime.Contracts;
import io.reside.runtime.PermissionChecks;
import io.smallrye.mutiny.Uni;

/**
 * Enforces a contract method's {@link io.reside.model.annotation.Requires} before the implementation runs: an
 * anonymous caller gets 401; a caller Quarkus Security does not grant the {@link ResidePermission} gets 403 naming
 * it. The instance comes from the method's arguments (after deserialisation, before validation of business rules).
 */
@EnforcePermission
@Interceptor
@Priority(Interceptor.Priority.PLATFORM_BEFORE + 200)
public class EnforcePermissionInterceptor {

    @Inject
    SecurityIdentity identity;

    @Inject
    MeterRegistry metrics;

    @AroundInvoke
    Object enforce(InvocationContext ctx) throws Exception {
        EnforcePermission binding = ((ArcInvocationContext) ctx).findIterceptorBinding(EnforcePermission.class);
        Timer.Sample sample = Timer.start(metrics);
        String outcome = "ok";
        try {
            return check(binding, ctx);
        } catch (ResideException e) {
            outcome = e.code().code();
            throw e;
        } catch (UnauthorizedException e) {
            outcome = "unauthenticated";
            throw e;
        } catch (RuntimeException e) {
            outcome = "error";
            throw e;
        } finally {
            sample.stop(metrics.timer("reside.rpc.server.calls", "contract", binding.contract(), "method",
                    ctx.getMethod().getName(), "outcome", outcome));
        }
    }

    private Object check(EnforcePermission binding, InvocationContext ctx) throws Exception {
        if (identity.isAnonymous()) {
            throw new UnauthorizedException();
        }
        if (binding.permission().isEmpty()) {
            return ctx.proceed();
        }
        String contract = Contracts.byKey(binding.contract()).identity();
        String instance = instance(binding, ctx.getParameters());
        ResidePermission required = new ResidePermission(contract, binding.permission(), instance);
        if (Uni.class.isAssignableFrom(ctx.getMethod().getReturnType())) {
            return identity.checkPermission(required).onItem().transformToUni(granted -> {
                if (!granted) {
                    return Uni.createFrom().failure(PermissionChecks.denied(contract, binding.permission(), instance));
                }
                try {
                    return (Uni<?>) ctx.proceed();
                } catch (Exception e) {
                    return Uni.createFrom().failure(e);
                }
            });
        }
        if (!identity.checkPermissionBlocking(required)) {
            throw PermissionChecks.denied(contract, binding.permission(), instance);
        }
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
                JsonNode node = DocType.mapper().valueToTree(argument).at("/" + path.substring(dot + 1).replace('.', '/'));
                value = node.isValueNode() && !node.isNull() ? node.asText() : null;
            }
            if (value == null || value.isEmpty()) {
                throw new ResideException.InvalidInputException(path + " is required: it names the instance the "
                        + "permission is checked for");
            }
            parts.add(value);
        }
        return String.join(".", parts);
    }
}
