package io.reside.permissions;

import java.util.Optional;

import io.reside.model.Identities;

/** Checks an RCB before it is written, and when a replica loads it. */
final class RcbValidator {

    private RcbValidator() {
    }

    /** @return the first problem, naming the field */
    static Optional<String> validate(Rcb rcb) {
        if (rcb.id() == null || rcb.id().isBlank() || rcb.id().contains("/")) {
            return Optional.of("id: must be a non-empty replica id without '/'");
        }
        if (rcb.accountId() == null || rcb.accountId().isBlank()) {
            return Optional.of("accountId: missing");
        }
        if (rcb.implementations() == null || rcb.requirements() == null) {
            return Optional.of("implementations and requirements must be present (possibly empty)");
        }
        for (String contract : rcb.implementations()) {
            if (Identities.parseContract(contract).isEmpty()) {
                return Optional.of("implementations: '" + contract + "' is not a contract identity");
            }
        }
        for (var req : rcb.requirements().entrySet()) {
            for (Rcb.Implementor impl : req.getValue()) {
                if (impl.replicaId() == null || impl.accountId() == null || impl.endpoints() == null) {
                    return Optional.of("requirements." + req.getKey() + ": an implementor needs replicaId, "
                            + "accountId and endpoints");
                }
            }
        }
        return Optional.empty();
    }

    /** @return the problem of a grant document at {@code etcdKey} of replica {@code replicaId}, naming the field */
    static Optional<String> validate(String replicaId, String etcdKey, Rcb.GrantEntry e) {
        if (e.grantee() == null || e.contract() == null || e.permission() == null) {
            return Optional.of("grantee, contract and permission are required");
        }
        if (e.expected() == null || e.sources() == null) {
            return Optional.of("expected and sources are required");
        }
        String key = GrantKeys.expectedKey(replicaId, e.key());
        if (!key.equals(etcdKey)) {
            return Optional.of("it is at " + etcdKey + " but is the grant " + e.key() + " (" + key + ")");
        }
        return Optional.empty();
    }
}
