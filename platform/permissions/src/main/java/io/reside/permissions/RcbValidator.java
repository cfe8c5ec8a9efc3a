package io.reside.permissions;

import java.util.Map;
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
        if (rcb.implementations() == null || rcb.requirements() == null || rcb.grants() == null) {
            return Optional.of("implementations, requirements and grants must be present (possibly empty)");
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
        for (Map.Entry<String, Rcb.GrantEntry> g : rcb.grants().entrySet()) {
            Rcb.GrantEntry e = g.getValue();
            if (e.expected() == null || e.sources() == null) {
                return Optional.of("grants." + g.getKey() + ": expected and sources are required");
            }
            String key = GrantKeys.grantKey(e.grantee(), e.contract(), e.permission(), e.instanceId());
            if (!key.equals(g.getKey())) {
                return Optional.of("grants." + g.getKey() + ": the key does not match the grant (" + key + ")");
            }
        }
        return Optional.empty();
    }
}
