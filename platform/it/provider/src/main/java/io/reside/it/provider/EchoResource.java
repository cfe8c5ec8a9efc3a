package io.reside.it.provider;

import jakarta.inject.Inject;

import io.quarkus.security.identity.SecurityIdentity;
import io.reside.it.echo.EchoApi;

/** The implementation: no security code, the platform checks @Requires first. */
public class EchoResource implements EchoApi {

    @Inject
    SecurityIdentity identity;

    @Override
    public EchoReply echo(EchoRequest request) {
        return reply(request.text());
    }

    @Override
    public EchoReply slow(SlowRequest request) {
        try {
            Thread.sleep(request.millis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return reply("slept " + request.millis());
    }

    @Override
    public EchoReply whoAmI() {
        return reply("");
    }

    private EchoReply reply(String text) {
        return new EchoReply(text, identity.getPrincipal().getName(), identity.getAttribute("reside.actor"));
    }
}
