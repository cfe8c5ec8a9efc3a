package io.reside.alpha;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import io.reside.contracts.alpha.v1.AlphaApi;
import io.reside.harness.LocalCluster;
import io.reside.model.error.ResideException;
import io.reside.permissions.GrantKeys;
import io.reside.permissions.GrantSource;
import io.reside.permissions.Rcb;

/**
 * alpha.v1's methods besides loading, each with its refusals: the one-time claim, contracts and permissions,
 * who sees which load requests, and dynamic permission requests from a loaded replica (calling as the replica, with
 * the key the local runtime keeps for it).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AlphaMethodsIT {

    static final String ECHO = "localhost:5000/reside/contracts/echo.v1";
    static LocalCluster cluster;
    static String providerImage;
    static String consumerImage;
    static AlphaApi.Replica provider;
    static AlphaApi.Replica consumer;
    static AlphaApi asConsumer;

    @BeforeAll
    static void start() {
        cluster = LocalCluster.start(Path.of(System.getProperty("reside.alpha.app")));
        providerImage = cluster.push(Path.of(System.getProperty("reside.it.provider")), "1");
        provider = cluster.load(providerImage);
        consumerImage = cluster.push(Path.of(System.getProperty("reside.it.consumer")), "1");
        consumer = cluster.load(consumerImage);
        asConsumer = cluster.alphaAs(cluster.keyOf(consumer));
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    @Order(1)
    void theClaimCodeIsGoodForOneClaimAndIsGoneOnceUsed() {
        assertThat(cluster.alphaState().resolve("claim-code")).doesNotExist();
        List<AlphaApi.MyGrant> before = cluster.alpha().getMyGrants();
        for (AlphaApi claimant : List.of(asConsumer, cluster.alpha())) {
            assertThatThrownBy(() -> claimant.claimSuperAdminAccess(new AlphaApi.ClaimSuperAdminAccess(
                    cluster.usedClaimCode()))).isInstanceOf(ResideException.PermissionDeniedException.class)
                    .hasMessageContaining("wrong, or was used already");
        }
        assertThat(asConsumer.getMyGrants()).isEmpty();
        assertThat(cluster.alpha().getMyGrants()).isEqualTo(before);
        assertThatThrownBy(() -> cluster.alpha().claimSuperAdminAccess(new AlphaApi.ClaimSuperAdminAccess("")))
                .isInstanceOf(ResideException.InvalidInputException.class).hasMessageContaining("code");
    }

    @Test
    @Order(2)
    void contractsAndTheirPermissionsAreListed() {
        assertThat(cluster.alpha().listContracts()).extracting(AlphaApi.ContractInfo::identity).contains(ECHO,
                "localhost:5000/reside/contracts/alpha.v1");
        AlphaApi.ContractInfo echo = cluster.alpha().getContract(ECHO);
        assertThat(echo.implementors()).containsExactly(provider.id());
        assertThat(echo.manifest().methods()).containsKey("echo");
        assertThatThrownBy(() -> cluster.alpha().getContract(ECHO.replace("echo", "nope")))
                .isInstanceOf(ResideException.NotFoundException.class);
        assertThat(cluster.alpha().listPermissions()).anySatisfy(p -> {
            assertThat(p.contract()).isEqualTo(ECHO);
            assertThat(p.permission()).isEqualTo("echo:call");
        });
        // reading the cluster needs replica:read:all
        assertThatThrownBy(asConsumer::listContracts).isInstanceOf(ResideException.PermissionDeniedException.class)
                .hasMessageContaining("replica:read:all");
        // where the User Manager answers is for anyone to ask (CliIT finds it as a person with no permissions);
        // this cluster has none
        assertThatThrownBy(asConsumer::getUserManager).isInstanceOf(ResideException.NotFoundException.class)
                .hasMessageContaining("no User Manager yet: load a replica implementing user-manager.v1");
    }

    @Test
    @Order(3)
    void anAccountSeesItsOwnLoadRequestsAndNobodyElses() {
        AlphaApi.LoadRequest operators = cluster.alpha().createLoadRequest(new AlphaApi.CreateLoadRequest(
                providerImage, "theirs", null, null));
        assertThatThrownBy(() -> asConsumer.createLoadRequest(new AlphaApi.CreateLoadRequest(providerImage, null,
                null, null))).isInstanceOf(ResideException.PermissionDeniedException.class)
                .hasMessageContaining("load-request:create");
        AlphaApi.SyncResult granted = cluster.alpha().syncGrants(new AlphaApi.SyncGrants(consumer.accountId(),
                "manual", List.of(new AlphaApi.PermissionSet("loader", List.of(new AlphaApi.GrantSpec(
                        "localhost:5000/reside/contracts/alpha.v1", "load-request:create", null, List.of("alpha")))))));
        assertThat(granted.granted()).isEqualTo(1);
        LocalCluster.awaitCondition("load-request:create applied", Duration.ofSeconds(10), asConsumer::getMyGrants,
                g -> g.size() == 1 && g.get(0).state().equals("current"));

        AlphaApi.LoadRequest mine = asConsumer.createLoadRequest(new AlphaApi.CreateLoadRequest(providerImage,
                "mine", null, null));
        assertThat(mine.owner()).isEqualTo(consumer.accountId());
        assertThat(asConsumer.getLoadRequest(mine.id()).id()).isEqualTo(mine.id());
        // another's request answers as one that does not exist: nobody learns others' ids
        assertThatThrownBy(() -> asConsumer.getLoadRequest(operators.id()))
                .isInstanceOf(ResideException.NotFoundException.class);
        assertThat(asConsumer.listLoadRequests()).extracting(AlphaApi.LoadRequest::id).containsExactly(mine.id());
        assertThat(cluster.alpha().listLoadRequests()).extracting(AlphaApi.LoadRequest::id).contains(mine.id(),
                operators.id());
        // creating is not approving
        cluster.awaitValidated(mine.id());
        assertThatThrownBy(() -> asConsumer.approveLoadRequest(new AlphaApi.ApproveLoadRequest(mine.id(), null)))
                .isInstanceOf(ResideException.PermissionDeniedException.class)
                .hasMessageContaining("load-request:approve");
        // chosen implementors are checked against the plan's alternatives; a refusal approves nothing
        AlphaApi.LoadRequest update = cluster.awaitValidated(cluster.alpha().createLoadRequest(
                new AlphaApi.CreateLoadRequest(consumerImage, null, null, null)).id());
        Map<Map<String, List<String>>, String> refusals = Map.of(
                Map.of("echo", List.of("r-nope")), "requirement 'echo': r-nope does not implement " + ECHO,
                Map.of("nope", List.of(provider.id())), "the replica has no requirement 'nope' (it has: echo)",
                Map.of("echo", List.of()), "requirement 'echo' is not optional: choose one of",
                Map.of("echo", List.of(provider.id(), provider.id())), "requirement 'echo' takes one implementor");
        refusals.forEach((choice, message) -> assertThatThrownBy(() -> cluster.alpha().approveLoadRequest(
                new AlphaApi.ApproveLoadRequest(update.id(), choice)))
                .isInstanceOf(ResideException.InvalidInputException.class).hasMessageContaining(message));
        assertThat(cluster.alpha().getLoadRequest(update.id()).status()).isEqualTo("requires-approval");
        assertThat(cluster.alpha().listVersions(consumer.id())).hasSize(1);
        cluster.alpha().rejectLoadRequest(new AlphaApi.RejectLoadRequest(update.id(), null));
        cluster.alpha().rejectLoadRequest(new AlphaApi.RejectLoadRequest(operators.id(), "not needed"));
        assertThat(cluster.alpha().getLoadRequest(operators.id()).status()).isEqualTo("rejected");
        assertThatThrownBy(() -> cluster.alpha().rejectLoadRequest(new AlphaApi.RejectLoadRequest(operators.id(),
                null))).isInstanceOf(ResideException.NotAllowedInStateException.class);
        cluster.alpha().rejectLoadRequest(new AlphaApi.RejectLoadRequest(mine.id(), null));
    }

    @Test
    @Order(4)
    void aReplicaAsksForAPermissionOfAContractItRequiresAndTheOperatorDecides() {
        assertThatThrownBy(() -> asConsumer.requestPermission(new AlphaApi.RequestPermission(
                "localhost:5000/reside/contracts/alpha.v1", "replica:read:all", null, null)))
                .isInstanceOf(ResideException.InvalidInputException.class)
                .hasMessageContaining("does not require localhost:5000/reside/contracts/alpha.v1");
        assertThatThrownBy(() -> asConsumer.requestPermission(new AlphaApi.RequestPermission(ECHO, "echo:nope",
                null, null))).isInstanceOf(ResideException.InvalidInputException.class)
                .hasMessageContaining("defines no permission 'echo:nope' (it defines: echo:call)");
        assertThatThrownBy(() -> cluster.alpha().requestPermission(new AlphaApi.RequestPermission(ECHO,
                "echo:call", null, null))).isInstanceOf(ResideException.PermissionDeniedException.class)
                .hasMessageContaining("only a replica of this cluster may request a permission");

        AlphaApi.PermissionRequest asked = asConsumer.requestPermission(new AlphaApi.RequestPermission(ECHO,
                "echo:call", null, "to keep calling if the static grant goes"));
        assertThat(asked.status()).isEqualTo("pending");
        assertThat(asked.replicaId()).isEqualTo(consumer.id());
        assertThat(asConsumer.listPermissionRequests()).extracting(AlphaApi.PermissionRequest::id)
                .containsExactly(asked.id());
        assertThatThrownBy(() -> asConsumer.decidePermissionRequest(new AlphaApi.DecidePermissionRequest(asked.id(),
                true))).isInstanceOf(ResideException.PermissionDeniedException.class)
                .hasMessageContaining("permission-request:decide");
        assertThatThrownBy(() -> cluster.alpha().decidePermissionRequest(new AlphaApi.DecidePermissionRequest(
                "pr-nope", true))).isInstanceOf(ResideException.NotFoundException.class);

        AlphaApi.PermissionRequest approved = cluster.alpha().decidePermissionRequest(
                new AlphaApi.DecidePermissionRequest(asked.id(), true));
        assertThat(approved.status()).isEqualTo("approved");
        assertThat(approved.decidedBy()).isEqualTo(cluster.operator().accountId());
        assertThatThrownBy(() -> cluster.alpha().decidePermissionRequest(new AlphaApi.DecidePermissionRequest(
                asked.id(), false))).isInstanceOf(ResideException.NotAllowedInStateException.class)
                .hasMessageContaining("approved already");
        // in the implementor's RCB, beside the static grant of the same permission
        Rcb.GrantEntry entry = cluster.store().get(Rcb.GRANT, GrantKeys.expectedKey(provider.id(), GrantKeys.grantKey(
                consumer.accountId(), ECHO, "echo:call", null))).value();
        assertThat(entry.sources()).containsOnlyKeys(GrantSource.STATIC, GrantSource.DYNAMIC);

        AlphaApi.PermissionRequest second = asConsumer.requestPermission(new AlphaApi.RequestPermission(ECHO,
                "echo:call", null, null));
        assertThat(cluster.alpha().decidePermissionRequest(new AlphaApi.DecidePermissionRequest(second.id(), false))
                .status()).isEqualTo("rejected");
        assertThat(cluster.alpha().listPermissionRequests()).extracting(AlphaApi.PermissionRequest::status)
                .containsExactlyInAnyOrder("approved", "rejected");
    }

    @Test
    @Order(5)
    void aReplicasGrantsOnItsImplementorsAreListedWithWhereTheyCameFrom() {
        List<AlphaApi.ReplicaGrant> held = cluster.alpha().getReplicaGrants(consumer.name());
        // the manual grant of load-request:create given in an earlier test, on Alpha
        assertThat(held).filteredOn(g -> g.implementorId().equals("alpha")).extracting(AlphaApi.ReplicaGrant::sources)
                .containsExactly(List.of("manual"));
        assertThat(held).filteredOn(g -> g.implementorId().equals(provider.id())).singleElement().satisfies(g -> {
            assertThat(g.implementorId()).isEqualTo(provider.id());
            assertThat(g.implementorName()).isEqualTo(provider.name());
            assertThat(g.contract()).isEqualTo(ECHO);
            assertThat(g.permission()).isEqualTo("echo:call");
            assertThat(g.sources()).containsExactly("dynamic", "static");
        });
        assertThat(cluster.alpha().getReplicaGrants(provider.id())).isEmpty();
        assertThatThrownBy(() -> cluster.alpha().getReplicaGrants("nope"))
                .isInstanceOf(ResideException.NotFoundException.class);
        assertThatThrownBy(() -> cluster.alpha().getReplicaGrants(" "))
                .isInstanceOf(ResideException.InvalidInputException.class);
        assertThatThrownBy(() -> asConsumer.getReplicaGrants(consumer.id()))
                .isInstanceOf(ResideException.PermissionDeniedException.class).hasMessageContaining("replica:read:all");
    }

    /**
     * The audit trail: Alpha's state-changing calls, who made them and on what, newest first, for those who may see
     * every replica; never a secret (the claim code stays out), and refused to anyone else.
     */
    @Test
    @Order(6)
    void stateChangingCallsAreInTheAuditTrailForThoseWhoMaySeeEverything() {
        io.reside.model.audit.AuditApi audit = cluster.alphaApi(io.reside.model.audit.AuditApi.class, cluster
                .operator());
        io.reside.model.audit.AuditApi.Page page = LocalCluster.awaitCondition("the audit trail", java.time.Duration
                .ofSeconds(10), () -> audit.entries(500, null),
                p -> p.entries().stream().anyMatch(e -> e.method()
                        .equals("alpha.v1.approveLoadRequest")));
        assertThat(page.entries()).extracting(io.reside.model.audit.AuditApi.Entry::id).isSortedAccordingTo(
                java.util.Comparator.reverseOrder());
        io.reside.model.audit.AuditApi.Entry approval = page.entries().stream().filter(e -> e.method().equals(
                "alpha.v1.approveLoadRequest") && e.outcome().equals("ok")).findFirst().orElseThrow();
        assertThat(approval.madeBy()).isEqualTo(cluster.operator().accountId());
        assertThat(approval.actor()).isNull();
        assertThat(approval.object().get("id")).startsWith("lr-");
        assertThat(approval.status()).isEqualTo(200);
        // the claim is recorded, its code is not
        io.reside.model.audit.AuditApi.Entry claim = page.entries().stream().filter(e -> e.method().equals(
                "alpha.v1.claimSuperAdminAccess")).findFirst().orElseThrow();
        assertThat(claim.object()).doesNotContainKey("code");
        assertThat(page.entries().toString()).doesNotContain(cluster.usedClaimCode());
        // a refused call is recorded with its error code: the consumer's createLoadRequest before it was allowed
        assertThat(page.entries()).anySatisfy(e -> {
            assertThat(e.method()).isEqualTo("alpha.v1.createLoadRequest");
            assertThat(e.madeBy()).isEqualTo(consumer.accountId());
            assertThat(e.outcome()).isEqualTo("permission-denied");
        });
        // paging: the next page starts after the last entry of this one
        io.reside.model.audit.AuditApi.Page first = audit.entries(2, null);
        assertThat(first.entries()).hasSize(2);
        io.reside.model.audit.AuditApi.Page second = audit.entries(2, first.next());
        assertThat(second.entries().get(0).id()).isLessThan(first.entries().get(1).id());
        // bad input, and an account without replica:read:all
        assertThatThrownBy(() -> audit.entries(0, null)).isInstanceOf(ResideException.InvalidInputException.class);
        assertThatThrownBy(() -> audit.entries(5, "nope")).isInstanceOf(ResideException.InvalidInputException.class);
        // the consumer replica holds load-request:create, not replica:read:all
        assertThatThrownBy(() -> cluster.alphaApi(io.reside.model.audit.AuditApi.class, cluster.keyOf(consumer))
                .entries(5, null))
                .isInstanceOf(ResideException.PermissionDeniedException.class);
    }
}
