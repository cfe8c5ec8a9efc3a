package io.reside.model.error;

import static java.util.Objects.requireNonNull;

/**
 * A failure of a ReSide RPC call, with its {@link ErrorCode}. Thrown by implementations (rendered as problem JSON)
 * and by clients (rebuilt from problem JSON): the same type on both sides. Subclasses exist per code so callers can
 * catch what they handle.
 */
public class ResideException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final transient Problem problem;

    public ResideException(Problem problem) {
        super(requireNonNull(problem, "problem").detail());
        this.problem = problem;
    }

    public ResideException(ErrorCode code, String detail) {
        this(Problem.of(code, detail));
    }

    public ErrorCode code() {
        return ErrorCode.of(problem.code(), problem.status());
    }

    public Problem problem() {
        return problem;
    }

    /** The typed exception for a problem received from another replica. */
    public static ResideException from(Problem problem) {
        return switch (ErrorCode.of(problem.code(), problem.status())) {
            case INVALID_INPUT -> new InvalidInputException(problem);
            case UNAUTHENTICATED -> new UnauthenticatedException(problem);
            case PERMISSION_DENIED -> new PermissionDeniedException(problem);
            case NOT_FOUND -> new NotFoundException(problem);
            case CONFLICT -> new ConflictException(problem);
            case NOT_ALLOWED_IN_STATE -> new NotAllowedInStateException(problem);
            case OUTCOME_UNKNOWN -> new OutcomeUnknownException(problem);
            case UNAVAILABLE -> new UnavailableException(problem);
            case INTERNAL -> new ResideException(problem);
        };
    }

    /** 400 */
    public static class InvalidInputException extends ResideException {
        private static final long serialVersionUID = 1L;

        public InvalidInputException(Problem problem) {
            super(problem);
        }

        public InvalidInputException(String detail) {
            super(ErrorCode.INVALID_INPUT, detail);
        }
    }

    /** 401 */
    public static class UnauthenticatedException extends ResideException {
        private static final long serialVersionUID = 1L;

        public UnauthenticatedException(Problem problem) {
            super(problem);
        }

        /** The check that failed, e.g. {@code proof-expired}. */
        public String reason() {
            return problem().reason();
        }
    }

    /** 403 */
    public static class PermissionDeniedException extends ResideException {
        private static final long serialVersionUID = 1L;

        public PermissionDeniedException(Problem problem) {
            super(problem);
        }

        public String permission() {
            return problem().permission();
        }
    }

    /** 404 */
    public static class NotFoundException extends ResideException {
        private static final long serialVersionUID = 1L;

        public NotFoundException(Problem problem) {
            super(problem);
        }

        public NotFoundException(String detail) {
            super(ErrorCode.NOT_FOUND, detail);
        }
    }

    /** 409 */
    public static class ConflictException extends ResideException {
        private static final long serialVersionUID = 1L;

        public ConflictException(Problem problem) {
            super(problem);
        }

        public ConflictException(String detail) {
            super(ErrorCode.CONFLICT, detail);
        }
    }

    /** 422 */
    public static class NotAllowedInStateException extends ResideException {
        private static final long serialVersionUID = 1L;

        public NotAllowedInStateException(Problem problem) {
            super(problem);
        }

        public NotAllowedInStateException(String detail) {
            super(ErrorCode.NOT_ALLOWED_IN_STATE, detail);
        }
    }

    /**
     * 502: a non-idempotent call to another replica may or may not have run (as etcd's
     * {@code CommitOutcomeUnknownException} for a commit). Nothing resent it: find out whether it took effect before
     * calling again, or make the call idempotent.
     */
    public static class OutcomeUnknownException extends ResideException {
        private static final long serialVersionUID = 1L;

        public OutcomeUnknownException(Problem problem) {
            super(problem);
        }

        public OutcomeUnknownException(String detail) {
            super(ErrorCode.OUTCOME_UNKNOWN, detail);
        }
    }

    /** 503 */
    public static class UnavailableException extends ResideException {
        private static final long serialVersionUID = 1L;

        public UnavailableException(Problem problem) {
            super(problem);
        }

        public UnavailableException(String detail) {
            super(ErrorCode.UNAVAILABLE, detail);
        }
    }
}
