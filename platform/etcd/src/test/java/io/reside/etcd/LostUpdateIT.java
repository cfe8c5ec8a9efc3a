package io.reside.etcd;

import static io.reside.etcd.TestStores.COUNTER;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;

import org.junit.jupiter.api.Test;

import io.reside.etcd.TestStores.Counter;
import io.reside.testing.ChildJvm;
import io.reside.testing.EtcdServer;
import io.reside.testing.EtcdTest;

/** Test 1: two JVM processes × 8 threads each increment one counter 500 times with run → exactly 8000. */
@EtcdTest
class LostUpdateIT {

    @Test
    void noIncrementIsLostAcrossProcesses(EtcdServer etcd) {
        String cluster = TestStores.newCluster();
        List<String> args = List.of(etcd.endpoint(), cluster, "counter", "8", "500");
        try (ChildJvm a = ChildJvm.start(CounterWorker.class, args.toArray(String[]::new));
                ChildJvm b = ChildJvm.start(CounterWorker.class, args.toArray(String[]::new));
                Store store = TestStores.connect(etcd, cluster)) {
            a.awaitLine("READY", Duration.ofSeconds(60));
            b.awaitLine("READY", Duration.ofSeconds(60));
            a.send("go");
            b.send("go");

            assertThat(a.awaitExit(Duration.ofMinutes(5))).as("exit code of worker a").isZero();
            assertThat(b.awaitExit(Duration.ofMinutes(5))).as("exit code of worker b").isZero();

            assertThat(store.get(COUNTER, "counter").value()).isEqualTo(new Counter(8000));
            Matcher ma = a.awaitLine("DONE commits=(\\d+) conflicts=(\\d+)", Duration.ofSeconds(1));
            Matcher mb = b.awaitLine("DONE commits=(\\d+) conflicts=(\\d+)", Duration.ofSeconds(1));
            assertThat(Long.parseLong(ma.group(1)) + Long.parseLong(mb.group(1))).isEqualTo(8000);
            long conflicts = Long.parseLong(ma.group(2)) + Long.parseLong(mb.group(2));
            System.out.printf("lost-update test: 8000 increments by 16 threads in 2 processes, %d conflicts re-run%n",
                    conflicts);
            // the test only proves something if the writers really raced
            assertThat(conflicts).as("conflicting attempts").isPositive();
        }
    }
}
