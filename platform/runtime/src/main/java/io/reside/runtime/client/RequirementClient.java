package io.reside.runtime.client;

import java.util.List;

import io.reside.permissions.Rcb;

/**
 * A requirement's clients, for what an injected proxy does not cover: calls on behalf of a user, and requirements
 * with several implementors. Obtain it from {@link RequirementClients#requirement(String, Class)}.
 */
public interface RequirementClient<T> {

    String key();

    /** Calls the (first) implementor as this replica. */
    T api();

    /**
     * Calls as the user named by a delegation token (from the User Manager's {@code impersonate}): the callee sees the
     * user as {@code madeBy} and this replica as the actor.
     */
    T onBehalfOf(String delegationToken);

    /** One client per implementor (for a {@code multiple} requirement), as this replica. */
    List<T> all();

    /** The implementors the RCB chose, now. */
    List<Rcb.Implementor> implementors();
}
