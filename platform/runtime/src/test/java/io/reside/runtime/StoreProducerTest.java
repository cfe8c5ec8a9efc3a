package io.reside.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.reside.etcd.DocType;
import io.reside.etcd.Store;
import io.reside.testing.EtcdServer;
import io.reside.testing.EtcdTestResource;
import io.reside.testing.InjectEtcd;

@QuarkusTest
@WithTestResource(EtcdTestResource.class)
class StoreProducerTest {

    record Note(String text) {
    }

    static final DocType<Note> NOTE = DocType.of("note", Note.class);

    @Inject
    Store store;

    @InjectEtcd
    EtcdServer etcd;

    @Test
    void theInjectedStoreUsesTheTestEtcdAndTheConfiguredCluster() throws Exception {
        assertThat(store.config().endpoints()).extracting(Object::toString).containsExactly(etcd.endpoint());
        assertThat(store.config().cluster()).isEqualTo("runtime-test");
        assertThat(store.config().callTimeout()).isEqualTo(Duration.ofSeconds(2));
        assertThat(store.config().lockTtl()).isEqualTo(Duration.ofSeconds(3));
        assertThat(store.config().lockWaitTimeout()).isEqualTo(Duration.ofSeconds(30));

        store.run(tx -> {
            tx.put(NOTE, "notes/1", new Note("hello"));
            return null;
        });
        try (Client raw = Client.builder().endpoints(etcd.endpoint()).build()) {
            var value = raw.getKVClient().get(ByteSequence.from("/reside/runtime-test/notes/1", StandardCharsets.UTF_8))
                    .get(5, TimeUnit.SECONDS).getKvs().get(0).getValue().toString(StandardCharsets.UTF_8);
            assertThat(value).isEqualTo("{\"schemaVersion\":1,\"text\":\"hello\"}");
        }
    }
}
