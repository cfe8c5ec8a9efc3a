package io.reside.permissions;

import static io.reside.permissions.Fixture.DEMO;
import static io.reside.permissions.Fixture.sync;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import org.junit.jupiter.api.Test;

import io.reside.etcd.Store;
import io.reside.etcd.Versioned;
import io.reside.testing.ChildJvm;
import io.reside.testing.EtcdServer;
import io.reside.testing.EtcdTest;

/**
 * A reconciler killed in the middle of a pass: after a restart, no grant whose result was recorded is applied again;
 * only the grant whose hook was running when the process died is called a second time (the at-least-once boundary).
 */
@EtcdTest
class ReconcilerRestartIT {

    @Test
    void aRestartDoesNotReapplyRecordedGrants(EtcdServer etcd) {
        String cluster = Fixture.newCluster();
        try (Store store = Store.connect(Fixture.config(etcd, cluster).build())) {
            Fixture.setUp(store, "r-1");
            List<String> grantees = IntStream.range(0, 10).mapToObj(i -> "acc_" + i).toList();
            for (String g : grantees) {
                sync(store, g, GrantSource.MANUAL, GrantSpec.of(DEMO, "item:read:all"));
            }

            Set<String> recordedBeforeKill;
            List<String> firstCalls;
            try (ChildJvm first = ChildJvm.start(ReconcilerProcess.class, etcd.endpoint(), cluster, "r-1", "acc_5 ")) {
                first.awaitLine("BLOCKED", Duration.ofSeconds(60));
                first.kill();
                firstCalls = hookCalls(first);
            }
            recordedBeforeKill = applied(store);
            assertThat(recordedBeforeKill).containsExactlyInAnyOrder("acc_0", "acc_1", "acc_2", "acc_3", "acc_4");

            try (ChildJvm second = ChildJvm.start(ReconcilerProcess.class, etcd.endpoint(), cluster, "r-1")) {
                await().atMost(Duration.ofSeconds(60)).until(() -> applied(store).size() == 10);
                List<String> secondCalls = hookCalls(second);
                System.out.printf("restart: first process called %s, second %s%n", firstCalls, secondCalls);
                assertThat(firstCalls).containsExactly("acc_0", "acc_1", "acc_2", "acc_3", "acc_4", "acc_5");
                // nothing recorded is applied again; the hook running at the kill is the one called twice
                assertThat(secondCalls).containsExactly("acc_5", "acc_6", "acc_7", "acc_8", "acc_9");
            }
        }
    }

    private static List<String> hookCalls(ChildJvm process) {
        return process.lines().stream().filter(l -> l.startsWith("HOOK granted "))
                .map(l -> l.substring("HOOK granted ".length()).split(" ")[0]).toList();
    }

    private static Set<String> applied(Store store) {
        return store.list(CurrentGrant.TYPE, GrantKeys.currentPrefix("r-1")).stream().map(Versioned::value)
                .filter(CurrentGrant::granted).map(CurrentGrant::grantee).collect(Collectors.toSet());
    }
}
