package io.reside.runtime.greeter;

/** The implementation: no security code here, the platform enforces the contract's @Requires. */
public class GreeterResource implements GreeterApi {

    @Override
    public String hello() {
        return "hello";
    }

    @Override
    public String greet() {
        return "greetings";
    }

    @Override
    public String enter(EnterRequest request) {
        return request.who() + " entered " + request.room();
    }

    @Override
    public String whoIsIn(String room) {
        return "nobody in " + room;
    }

    @Override
    public void ping() {
        // nothing to answer: 204
    }
}
