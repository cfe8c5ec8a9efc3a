package io.reside.testing;

import java.util.Map;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

/**
 * Quarkus test resource: starts a real etcd member for the application under test and points
 * {@value #ENDPOINTS_PROPERTY} at it. Use with {@code @WithTestResource(EtcdTestResource.class)}; a field annotated
 * {@link InjectEtcd} of type {@link EtcdServer} receives the member (to stop or restart it in fault tests).
 */
public final class EtcdTestResource implements QuarkusTestResourceLifecycleManager {

    /** The configuration property of the platform runtime that lists the etcd endpoints. */
    public static final String ENDPOINTS_PROPERTY = "reside.etcd.endpoints";

    private EtcdServer server;

    @Override
    public Map<String, String> start() {
        server = EtcdServer.start();
        return Map.of(ENDPOINTS_PROPERTY, server.endpoint());
    }

    @Override
    public void inject(TestInjector testInjector) {
        testInjector.injectIntoFields(server,
                new TestInjector.AnnotatedAndMatchesType(InjectEtcd.class, EtcdServer.class));
    }

    @Override
    public void stop() {
        if (server != null) {
            server.close();
        }
    }
}
