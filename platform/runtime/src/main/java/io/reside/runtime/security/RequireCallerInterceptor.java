package io.reside.runtime.security;

import jakarta.annotation.Priority;
import jakarta.inject.Inject;
import jakarta.interceptor.AroundInvoke;
import jakarta.interceptor.Interceptor;
import jakarta.interceptor.InvocationContext;

import io.quarkus.security.UnauthorizedException;
import io.quarkus.security.identity.SecurityIdentity;

/**
 * Refuses an anonymous caller (401, with the reason its proof failed) on the endpoints {@link RequireCaller} marks.
 * A CDI interceptor rather than Quarkus's {@code quarkus.security.jaxrs.default-roles-allowed}: the refusal is then
 * made inside the endpoint's own handler chain, where the answer is authenticated like every other
 * ({@link io.reside.runtime.rpc.ResponseProofInterceptor}); Quarkus's eager check answers before it.
 */
@RequireCaller
@Interceptor
@Priority(Interceptor.Priority.PLATFORM_BEFORE + 200)
public class RequireCallerInterceptor {

    @Inject
    SecurityIdentity identity;

    @AroundInvoke
    Object require(InvocationContext ctx) throws Exception {
        if (identity.isAnonymous()) {
            throw new UnauthorizedException();
        }
        return ctx.proceed();
    }
}
