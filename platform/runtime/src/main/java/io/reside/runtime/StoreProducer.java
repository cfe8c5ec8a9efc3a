package io.reside.runtime;

import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

import io.reside.etcd.Store;
import io.reside.etcd.StoreConfig;

/**
 * Makes the platform's {@link Store} injectable, configured from {@link ResideConfig}: a replica's own code gets the
 * store rooted at its data prefix {@code data/<replicaId>/} (docs/adr/0008); the platform's shared records are
 * reached through {@link Store#cluster()}.
 */
@Singleton
public class StoreProducer {

    @Produces
    @Singleton
    Store store(ResideConfig config, io.micrometer.core.instrument.MeterRegistry metrics) {
        Store connected = Store.connect(storeConfig(config));
        Store store = config.etcd().scope() == ResideConfig.Etcd.Scope.REPLICA && config.controlBlockId().isPresent()
                ? connected.scoped(Store.dataPrefix(config.controlBlockId().get()))
                : connected;
        io.micrometer.core.instrument.FunctionCounter.builder("reside.etcd.tx.commits", store, s -> s.stats()
                .commits()).description("etcd transactions committed").register(metrics);
        io.micrometer.core.instrument.FunctionCounter.builder("reside.etcd.tx.conflicts", store, s -> s.stats()
                .conflicts()).description("Transaction attempts that lost to a concurrent writer (re-run or given up)")
                .register(metrics);
        return store;
    }

    void close(@Disposes Store store) {
        store.close();
    }

    static StoreConfig storeConfig(ResideConfig config) {
        ResideConfig.Etcd etcd = config.etcd();
        return StoreConfig.builder()
                .credentials(credentials(etcd))
                .endpoints(etcd.endpoints())
                .cluster(config.cluster())
                .callTimeout(etcd.callTimeout())
                .reconnectInterval(etcd.reconnectInterval())
                .keepAliveTime(etcd.keepAliveTime())
                .maxTxnOps(etcd.maxTxnOps())
                .maxRequestBytes(etcd.maxRequestBytes())
                .lockTtl(etcd.lockTtl())
                .lockWaitTimeout(etcd.lockWaitTimeout())
                .watchProgressInterval(etcd.watchProgressInterval())
                .watchSilenceTimeout(etcd.watchSilenceTimeout())
                .build();
    }

    private static StoreConfig.Credentials credentials(ResideConfig.Etcd etcd) {
        if (etcd.username().isEmpty()) {
            if (etcd.password().isPresent() || etcd.passwordFile().isPresent()) {
                throw new IllegalStateException("ReSide start-up failed at step 1 (configuration): an etcd password is "
                        + "set but RESIDE_ETCD_USERNAME is not");
            }
            return null;
        }
        String password;
        if (etcd.passwordFile().isPresent()) {
            java.nio.file.Path file = etcd.passwordFile().get();
            try {
                password = java.nio.file.Files.readString(file).strip();
            } catch (java.io.IOException e) {
                throw new IllegalStateException(
                        "ReSide start-up failed at step 1 (configuration): cannot read the etcd "
                                + "password file RESIDE_ETCD_PASSWORD_FILE=" + file + ": " + e.getMessage(),
                        e);
            }
        } else {
            password = etcd.password().orElseThrow(() -> new IllegalStateException("ReSide start-up failed at step 1 "
                    + "(configuration): RESIDE_ETCD_USERNAME=" + etcd.username().get() + " is set but neither "
                    + "RESIDE_ETCD_PASSWORD_FILE nor RESIDE_ETCD_PASSWORD"));
        }
        if (password.isEmpty()) {
            throw new IllegalStateException("ReSide start-up failed at step 1 (configuration): the etcd password of "
                    + etcd.username().get() + " is empty");
        }
        return new StoreConfig.Credentials(etcd.username().get(), password);
    }
}
