package io.reside.runtime;

import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

import io.reside.etcd.Store;
import io.reside.etcd.StoreConfig;

/** Makes the platform's {@link Store} injectable, configured from {@link ResideConfig}. */
@Singleton
public class StoreProducer {

    @Produces
    @Singleton
    Store store(ResideConfig config) {
        return Store.connect(storeConfig(config));
    }

    void close(@Disposes Store store) {
        store.close();
    }

    static StoreConfig storeConfig(ResideConfig config) {
        ResideConfig.Etcd etcd = config.etcd();
        return StoreConfig.builder()
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
}
