package io.reside.cli.cluster;

import java.io.IOException;
import java.lang.reflect.UndeclaredThrowableException;
import java.net.ConnectException;
import java.net.http.HttpTimeoutException;
import java.util.stream.Collectors;

import io.reside.cli.CliException;
import io.reside.cli.ExitCodes;
import io.reside.harness.SignedClient;
import io.reside.model.error.Problem;
import io.reside.model.error.ResideException;

/**
 * How a failure of a command becomes the one line it ends with and its exit code: a problem answered by a replica
 * as its code, its detail and what to do; a cluster that cannot be reached as where it was looked for.
 */
public final class Errors {

    private Errors() {
    }

    /** {@code e} as a {@link CliException}, or null when it is not a failure this knows (a bug: shown as one). */
    public static CliException toCli(Throwable e) {
        Throwable t = e instanceof UndeclaredThrowableException u && u.getCause() != null ? u.getCause() : e;
        if (t instanceof CliException c) {
            return c;
        }
        if (t instanceof ResideException r) {
            return fromProblem(r);
        }
        if (t instanceof IOException io) {
            return unreachable(null, "the cluster", io);
        }
        return null;
    }

    static CliException unreachable(String endpoint, String who, IOException e) {
        String where = endpoint != null ? who + " at " + endpoint : who;
        String why = e instanceof ConnectException ? "nothing answers there"
                : e instanceof HttpTimeoutException ? "it did not answer in time"
                        : String.valueOf(e.getMessage());
        return new CliException(ExitCodes.UNAVAILABLE, "cannot reach " + where + " (" + why + "): is the cluster "
                + "running? (a local one: ./reside dev status; check the endpoint with reside cluster info)", e);
    }

    private static CliException fromProblem(ResideException r) {
        Problem p = r.problem();
        if ((SignedClient.UNSIGNED_ANSWER + 401).equals(p.reason())) {
            // a server answers a proof it cannot check (an account it does not know) without signing the answer
            return new CliException(ExitCodes.PERMISSION_DENIED, "unauthenticated: the cluster does not accept "
                    + "this account (it answered 401 without signing, as it does for an account it does not know): "
                    + "is it registered there?", r);
        }
        String line = r.code().code() + ": " + p.detail();
        return switch (r.code()) {
            case PERMISSION_DENIED -> new CliException(ExitCodes.PERMISSION_DENIED, line + (p.permission() != null
                    && !line.contains(p.permission()) ? " (missing: " + p.permission() + ")" : "") + "; ask an "
                    + "administrator to grant it (reside permission grant)", r);
            case UNAUTHENTICATED -> new CliException(ExitCodes.PERMISSION_DENIED, line + (p.reason() != null
                    ? " (" + p.reason() + ")"
                    : "") + "; the cluster does not accept this account: is it registered there? (reside account "
                    + "create --register, by someone who may)", r);
            case NOT_FOUND -> new CliException(ExitCodes.NOT_FOUND, line, r);
            case INVALID_INPUT -> new CliException(ExitCodes.USAGE, line + (p.errors() == null || p.errors()
                    .isEmpty() ? ""
                            : " (" + p.errors().stream().map(f -> f.field() + ": " + f.message()).collect(
                                    Collectors.joining("; ")) + ")"),
                    r);
            case UNAVAILABLE -> new CliException(ExitCodes.UNAVAILABLE, line + "; try again in a moment", r);
            case OUTCOME_UNKNOWN -> new CliException(ExitCodes.UNAVAILABLE, line + "; check whether it happened "
                    + "before repeating it", r);
            default -> new CliException(ExitCodes.FAILURE, line, r);
        };
    }
}
