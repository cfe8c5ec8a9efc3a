package io.reside.testing;

import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * JUnit 5 extension behind {@link EtcdTest}: one {@link EtcdServer} per test class, closed (and its data deleted)
 * when the class is done; injected into parameters of type {@link EtcdServer}.
 */
public final class EtcdExtension implements BeforeAllCallback, ParameterResolver {

    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(EtcdExtension.class);

    @Override
    public void beforeAll(ExtensionContext context) {
        server(context);
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == EtcdServer.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        return server(context);
    }

    private static EtcdServer server(ExtensionContext context) {
        ExtensionContext classContext = classContext(context);
        // the store closes AutoCloseable values when the class context ends
        return classContext.getStore(NAMESPACE)
                .getOrComputeIfAbsent("server", key -> new ClosingServer(EtcdServer.start()), ClosingServer.class)
                .server();
    }

    private static ExtensionContext classContext(ExtensionContext context) {
        ExtensionContext c = context;
        while (c.getTestMethod().isPresent() && c.getParent().isPresent()) {
            c = c.getParent().get();
        }
        return c;
    }

    /** Wraps the server so that JUnit closes it whichever resource protocol its version uses. */
    @SuppressWarnings("deprecation") // CloseableResource is what JUnit before 5.13 closes; AutoCloseable after
    private record ClosingServer(EtcdServer server) implements ExtensionContext.Store.CloseableResource, AutoCloseable {
        @Override
        public void close() {
            server.close();
        }
    }
}
