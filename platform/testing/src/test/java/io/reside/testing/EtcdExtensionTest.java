package io.reside.testing;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

@EtcdTest
class EtcdExtensionTest {

    private static EtcdServer first;

    @BeforeAll
    static void remember(EtcdServer etcd) {
        first = etcd;
    }

    @Test
    void oneRunningServerPerClass(EtcdServer etcd) {
        assertThat(etcd).isSameAs(first);
        assertThat(etcd.isRunning()).isTrue();
        assertThat(etcd.endpoint()).startsWith("http://127.0.0.1:");
    }

    @Test
    void sameServerInEveryTest(EtcdServer etcd) {
        assertThat(etcd).isSameAs(first);
    }
}
