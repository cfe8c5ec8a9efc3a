package io.reside.cli;

/**
 * A failure the user can act on: its message says what failed and what to do, and {@link #exitCode()} is one of
 * {@link ExitCodes}. Shown as one line, without a stack trace (unless {@code --verbose}).
 */
public final class CliException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final int exitCode;

    public CliException(int exitCode, String message) {
        super(message);
        this.exitCode = exitCode;
    }

    public CliException(int exitCode, String message, Throwable cause) {
        super(message, cause);
        this.exitCode = exitCode;
    }

    public int exitCode() {
        return exitCode;
    }
}
