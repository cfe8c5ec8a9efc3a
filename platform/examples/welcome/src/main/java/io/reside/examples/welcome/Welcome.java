package io.reside.examples.welcome;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import io.reside.examples.greeter.GreeterApi;
import io.reside.model.error.ResideException;
import io.reside.runtime.ReplicaStarted;
import io.reside.runtime.client.Requirement;

/**
 * Calls greeter.v1 once the replica serves: the call is signed, goes where the RCB says, and errors come back typed.
 */
@ApplicationScoped
public class Welcome {

    private static final Logger LOG = Logger.getLogger(Welcome.class);

    @Inject
    @Requirement("greeter")
    GreeterApi greeter;

    void started(@Observes ReplicaStarted started) {
        try {
            LOG.info(greeter.greet(new GreeterApi.GreetRequest("everyone")).text());
        } catch (ResideException.PermissionDeniedException e) {
            LOG.warnf("not allowed yet: %s", e.permission());
        } catch (ResideException e) {
            LOG.warnf("greeter.v1 did not answer: %s", e.getMessage());
        }
    }
}
