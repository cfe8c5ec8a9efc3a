package io.reside.security;

/**
 * A request proof, session proof or delegation was refused. The {@link Reason} is a stable code clients and tests
 * rely on; the message says which check failed and never contains secrets (keys, signatures, MACs). When the server
 * can authenticate its refusal (the session was found, or the caller's signature verified), {@link #responder()}
 * says how, so that the client can trust what it is told ({@link ResponseProofs}).
 */
public final class AuthenticationFailure extends Exception {

    private static final long serialVersionUID = 1L;

    /** Why authentication failed; {@link #code()} is what goes on the wire. */
    public enum Reason {
        PROOF_MISSING,
        /** The {@code Authorization} or {@code Reside-Delegation} header exceeds {@link #MAX_HEADER_BYTES}. */
        PROOF_TOO_LARGE,
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
        /** This sequence number of the session was accepted before: an earlier copy of the call may have run. */
        SESSION_REPLAYED,
        /** The sequence number fell behind the session's window: whether it ran is not known any more. */
        SESSION_OUT_OF_WINDOW,
        DELEGATION_MALFORMED,
        DELEGATION_UNTRUSTED_ISSUER,
        DELEGATION_SIGNATURE_INVALID,
        DELEGATION_ACTOR_MISMATCH,
        DELEGATION_AUDIENCE_MISMATCH,
        DELEGATION_EXPIRED,
        DELEGATION_NOT_BOUND,
        /** The delegation's {@code sub} is not a managed user of the account registry. */
        DELEGATION_SUBJECT_INVALID;

        /** {@code proof-expired}, {@code delegation-actor-mismatch}, ... */
        public String code() {
            return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
        }
    }

    /** The largest {@code Authorization} or {@code Reside-Delegation} header read at all (8 KiB). */
    public static final int MAX_HEADER_BYTES = 8192;

    private final Reason reason;
    private final transient ResponseProofs.Responder responder;

    public AuthenticationFailure(Reason reason, String message) {
        this(reason, message, null);
    }

    AuthenticationFailure(Reason reason, String message, ResponseProofs.Responder responder) {
        super(message, null, false, false); // no stack trace: failures are expected and frequent under attack
        this.reason = reason;
        this.responder = responder;
    }

    public Reason reason() {
        return reason;
    }

    /** How the server authenticates this refusal; empty when it cannot (it does not know who is asking). */
    public java.util.Optional<ResponseProofs.Responder> responder() {
        return java.util.Optional.ofNullable(responder);
    }

    /** The same failure, with the responder that authenticates the refusal. */
    public AuthenticationFailure withResponder(ResponseProofs.Responder value) {
        return new AuthenticationFailure(reason, getMessage(), value);
    }
}
