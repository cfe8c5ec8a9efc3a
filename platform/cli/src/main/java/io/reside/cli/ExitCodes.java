package io.reside.cli;

/** The exit codes of {@code reside} (documented in platform/cli/README.md). */
public final class ExitCodes {

    public static final int OK = 0;
    /** Something failed; the message says what. */
    public static final int FAILURE = 1;
    /** The command line is wrong (picocli's usage error). */
    public static final int USAGE = 2;
    /** The cluster refused: the account lacks a permission. */
    public static final int PERMISSION_DENIED = 3;
    /** What was named does not exist (a replica, a log). */
    public static final int NOT_FOUND = 4;
    /** The cluster (or a dev cluster) is not running or does not answer. */
    public static final int UNAVAILABLE = 5;
    /** Another {@code reside dev} runs from the same state directory. */
    public static final int BUSY = 6;
    /** A program ReSide needs (etcd, the registry) is missing and could not be installed. */
    public static final int MISSING_PREREQUISITE = 7;

    private ExitCodes() {
    }
}
