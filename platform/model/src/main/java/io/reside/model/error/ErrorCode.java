package io.reside.model.error;

/**
 * The error vocabulary of ReSide RPC, mapped both ways: the server renders an exception as RFC 9457 problem JSON with
 * its {@link #code()} and {@link #status()}; the client turns the problem back into the same typed exception.
 */
public enum ErrorCode {
    /** Invalid input: malformed JSON, a constraint violated (with field errors). */
    INVALID_INPUT(400, "Invalid input"),
    /** Missing, bad, expired or replayed proof; the problem's {@code reason} says which check failed. */
    UNAUTHENTICATED(401, "Unauthenticated"),
    /** The caller lacks a permission; the problem's {@code permission} names it. */
    PERMISSION_DENIED(403, "Permission denied"),
    NOT_FOUND(404, "Not found"),
    /** A concurrent change, or something that must be unique already exists. */
    CONFLICT(409, "Conflict"),
    /** The request is valid but the current state does not allow it. */
    NOT_ALLOWED_IN_STATE(422, "Not allowed in this state"),
    /**
     * A call to another replica may or may not have run: it timed out, its connection broke after it was sent, or
     * the answer was not authenticated by the callee. Check the outcome before repeating it.
     */
    OUTCOME_UNKNOWN(502, "Outcome unknown"),
    /** A dependency (etcd, another replica) is unavailable; retry later. */
    UNAVAILABLE(503, "Unavailable"),
    INTERNAL(500, "Internal error");

    private final int status;
    private final String title;

    ErrorCode(int status, String title) {
        this.status = status;
        this.title = title;
    }

    public int status() {
        return status;
    }

    public String title() {
        return title;
    }

    /** The stable code on the wire, e.g. {@code permission-denied}. */
    public String code() {
        return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
    }

    /** The code of a problem, or the closest by HTTP status when the code is unknown (another version). */
    public static ErrorCode of(String code, int status) {
        for (ErrorCode c : values()) {
            if (c.code().equals(code)) {
                return c;
            }
        }
        for (ErrorCode c : values()) {
            if (c.status == status) {
                return c;
            }
        }
        return status >= 500 ? INTERNAL : INVALID_INPUT;
    }
}
