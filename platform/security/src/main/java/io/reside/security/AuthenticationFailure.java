package io.reside.security;

/**
 * A request proof, session proof or delegation was refused. The {@link Reason} is a stable code clients and tests
 * rely on; the message says which check failed and never contains secrets (keys, signatures, MACs).
 */
public final class AuthenticationFailure extends Exception {

    private static final long serialVersionUID = 1L;

    /** Why authentication failed; {@link #code()} is what goes on the wire. */
    public enum Reason {
        PROOF_MISSING,
        PROOF_MALFORMED,
        ACCOUNT_UNKNOWN,
        SIGNATURE_INVALID,
        AUDIENCE_MISMATCH,
        PROOF_EXPIRED,
        PROOF_NOT_YET_VALID,
        PROOF_LIFETIME_TOO_LONG,
        METHOD_MISMATCH,
        PATH_MISMATCH,
        BODY_MISMATCH,
        PROOF_REPLAYED,
        REPLAY_CACHE_FULL,
        SESSION_UNKNOWN,
        SESSION_EXPIRED,
        SESSION_MAC_INVALID,
        SESSION_REPLAYED,
        DELEGATION_MALFORMED,
        DELEGATION_UNTRUSTED_ISSUER,
        DELEGATION_SIGNATURE_INVALID,
        DELEGATION_ACTOR_MISMATCH,
        DELEGATION_AUDIENCE_MISMATCH,
        DELEGATION_EXPIRED,
        DELEGATION_NOT_BOUND;

        /** {@code proof-expired}, {@code delegation-actor-mismatch}, ... */
        public String code() {
            return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
        }
    }

    private final Reason reason;

    public AuthenticationFailure(Reason reason, String message) {
        super(message, null, false, false); // no stack trace: failures are expected and frequent under attack
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
