package io.reside.alpha.service;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import io.quarkus.runtime.StartupEvent;
import io.reside.alpha.config.AlphaConfig;
import io.reside.alpha.runtime.WorkloadRuntime;
import io.reside.contracts.alpha.v1.AlphaApi;
import io.reside.etcd.Store;
import io.reside.etcd.Versioned;
import io.reside.model.manifest.ContractManifest;
import io.reside.model.manifest.ReplicaManifest;
import io.reside.permissions.Rcb;
import io.reside.permissions.RcbAdmin;
import io.reside.runtime.Contracts;
import io.reside.runtime.ResideConfig;
import io.reside.security.AccountKey;
import io.reside.security.AccountRegistry;
import io.reside.security.Encoding;

/**
 * The first start of Alpha in an empty cluster (SPEC 6.1, "Bootstrap"), before the replica runtime loads Alpha's
 * account and RCB: Alpha's key (generated into its key file when there is none), its account, its instance record
 * and version, its RCB, the alpha.v1 contract, and a one-time super-admin claim code, printed and kept where the
 * runtime keeps it ({@code <state-dir>/claim-code}, mode 0600, or a Kubernetes Secret). Idempotent and safe to race:
 * each record is created only if missing, in one transaction, so a second Alpha starting at the same time changes
 * nothing.
 */
@ApplicationScoped
public class Bootstrap {

    private static final Logger LOG = Logger.getLogger(Bootstrap.class);
    private static final SecureRandom RANDOM = new SecureRandom();

    @Inject
    Store store;

    @Inject
    ResideConfig reside;

    @Inject
    AlphaConfig config;

    @Inject
    WorkloadRuntime runtime;

    /** Runs before the replica runtime's start-up (priority 10), which needs the account and the RCB. */
    void bootstrap(@Observes @Priority(5) StartupEvent event) {
        AccountKey key = key();
        ContractManifest contract = Contracts.byKey("alpha.v1");
        ReplicaManifest manifest = Contracts.replica().orElseThrow();
        store.run(tx -> {
            boolean existing = tx.exists(Records.replicaKey(Records.ALPHA_ID));
            Optional<Records.Layout> layout = tx.find(Records.LAYOUT, Records.LAYOUT_KEY);
            if (existing && layout.map(l -> l.version() < Records.Layout.CURRENT).orElse(true)) {
                throw new IllegalStateException("this cluster's etcd data was written with the key layout of before "
                        + "per-replica data prefixes (docs/adr/0008): its replicas would not find their data under "
                        + "data/<replica id>/. Nothing was changed. Start afresh (reside dev --reset; on Kubernetes "
                        + "a new etcd volume), or run the ReSide version that wrote it");
            }
            if (layout.isEmpty()) {
                tx.put(Records.LAYOUT, Records.LAYOUT_KEY, new Records.Layout(Records.Layout.CURRENT));
            }
            if (tx.find(AccountRegistry.ACCOUNT, AccountRegistry.key(key.accountId())).isEmpty()) {
                AccountRegistry.register(tx, key.publicKey(), AccountRegistry.Kind.REPLICA, "alpha");
            }
            config.bootstrap().operatorPublicKey().ifPresent(operator -> {
                io.reside.security.PublicKey pk = io.reside.security.PublicKey.fromBase64url(operator.trim());
                if (tx.find(AccountRegistry.ACCOUNT, AccountRegistry.key(pk.accountId())).isEmpty()) {
                    AccountRegistry.register(tx, pk, AccountRegistry.Kind.USER, "operator");
                }
            });
            for (String reserved : Records.RESERVED_NAMES) {
                if (Records.NAMES.find(tx, reserved).isEmpty()) {
                    Records.NAMES.claim(tx, reserved, Records.RESERVED);
                }
            }
            RcbAdmin.registerContract(tx, contract);
            if (tx.find(Rcb.TYPE, Rcb.key(Records.ALPHA_ID)).isEmpty()) {
                RcbAdmin.createRcb(tx, new Rcb(Records.ALPHA_ID, "alpha", key.accountId(), "sha256:alpha",
                        List.of(contract.identity()), Map.of()));
            }
            if (tx.find(Records.REPLICA, Records.replicaKey(Records.ALPHA_ID)).isEmpty()) {
                Records.NAMES.claim(tx, "alpha", Records.ALPHA_ID);
                Records.EXCLUSIVE.claim(tx, manifest.identity(), Records.ALPHA_ID);
                tx.put(Records.REPLICA, Records.replicaKey(Records.ALPHA_ID), new Records.ReplicaRecord(
                        Records.ALPHA_ID, "alpha", manifest.identity(), manifest, key.accountId(), true, null, 1, 1,
                        Map.of(), Instant.now()));
                tx.put(Records.VERSION, Records.versionKey(Records.ALPHA_ID, 1), new Records.VersionRecord(
                        Records.ALPHA_ID, 1, manifest.identity(), null, manifest, Map.of(), List.of(), "running",
                        "Alpha itself", Instant.now()));
            }
            return null;
        });
        claimCode();
    }

    /**
     * Makes sure an unclaimed cluster has a claim code where the operator reads it, and that it is the one the
     * cluster recorded. The code is written first and recorded second, so a crash in between leaves a code that does
     * not match, which the next start replaces: a code is never recorded without having been delivered.
     */
    void claimCode() {
        for (int attempt = 0; attempt < 3; attempt++) {
            Optional<Records.Claim> claim = store.find(Records.CLAIM, Records.CLAIM_KEY).map(Versioned::value);
            if (claim.isPresent() && claim.get().claimedBy() != null) {
                if (runtime.readClaimCode().isPresent()) {
                    runtime.deleteClaimCode();
                }
                return;
            }
            Optional<String> delivered = runtime.readClaimCode();
            if (claim.isPresent() && delivered.isPresent() && hash(delivered.get()).equals(claim.get().codeHash())) {
                return; // a new cluster still waiting for its claim
            }
            String code = hex(16);
            runtime.writeClaimCode(code);
            String seen = claim.map(Records.Claim::codeHash).orElse(null);
            boolean recorded = store.run(tx -> {
                Records.Claim now = tx.find(Records.CLAIM, Records.CLAIM_KEY).orElse(null);
                if (now == null ? seen != null : now.claimedBy() != null || !now.codeHash().equals(seen)) {
                    return false; // another Alpha got there first: look again
                }
                tx.put(Records.CLAIM, Records.CLAIM_KEY, new Records.Claim(hash(code), null, null));
                return true;
            });
            if (recorded) {
                // printed for the operator of a new cluster (SPEC 6.1): the code is good for one claim
                System.out
                        .println("ReSide: this cluster has no super-admin yet. Claim super-admin access once with the "
                                + "code in " + runtime.claimCodeLocation() + ": " + code);
                LOG.infof("cluster '%s' has no super-admin yet: the one-time claim code is in %s", reside.cluster(),
                        runtime.claimCodeLocation());
                return;
            }
        }
        LOG.warnf("could not settle the super-admin claim code (other Alphas kept changing it); the next start tries "
                + "again");
    }

    /** Alpha's key: from its key file, generated when the file does not exist yet (and generation is allowed). */
    private AccountKey key() {
        if (reside.accountKey().isPresent()) {
            return AccountKey.fromPem(reside.accountKey().get());
        }
        Path file = reside.accountKeyFile().orElseThrow(() -> new IllegalStateException("Alpha needs its key: set "
                + "RESIDE_ACCOUNT_KEY_FILE (a file with its PEM private key; created when it does not exist)"));
        try {
            if (Files.exists(file)) {
                return AccountKey.fromPem(Files.readString(file));
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot read RESIDE_ACCOUNT_KEY_FILE (" + file + "): "
                    + e.getClass().getSimpleName(), e);
        }
        if (!config.bootstrap().generateKey()) {
            throw new IllegalStateException("RESIDE_ACCOUNT_KEY_FILE (" + file + ") does not exist, and "
                    + "alpha.bootstrap.generate-key is false: create Alpha's key with 'reside account create'");
        }
        AccountKey key = AccountKey.generate();
        Secrets.write(file, key.toPem());
        LOG.infof("generated Alpha's key in %s (account %s)", file, key.accountId());
        return key;
    }

    static String hash(String code) {
        return Encoding.bodyHash(Encoding.utf8(code));
    }

    private static String hex(int bytes) {
        byte[] b = new byte[bytes];
        RANDOM.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    /** The permissions a super-admin claim grants on Alpha: every permission of alpha.v1. */
    static List<String> superAdminPermissions() {
        return List.copyOf(Contracts.of(AlphaApi.class).permissions().keySet());
    }
}
