package io.reside.examples.greeter.replica;

import jakarta.inject.Inject;

import io.quarkus.security.identity.SecurityIdentity;
import io.reside.examples.greeter.GreeterApi;

/** No security code: the platform authenticates the caller and checks @Requires before a method runs. */
public class GreeterResource implements GreeterApi {

    @Inject
    SecurityIdentity caller;

    @Inject
    Rooms rooms;

    @Override
    public Greeting greet(GreetRequest request) {
        return new Greeting("Hello, " + request.name() + " (from " + caller.getPrincipal().getName() + ")");
    }

    @Override
    public String enter(EnterRequest request) {
        rooms.enter(request.room(), request.who());
        return request.who() + " entered " + request.room();
    }

    @Override
    public String whoIsIn(String room) {
        return String.join(", ", rooms.in(room));
    }
}
