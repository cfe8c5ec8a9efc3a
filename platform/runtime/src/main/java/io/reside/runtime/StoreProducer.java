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
    Store store(ResideConfig config, io.micrometer.core.instrument.MeterRegistry metrics) {
        Store store = Store.connect(storeConfig(config));
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
