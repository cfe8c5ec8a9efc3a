package io.reside.testing;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Starts a child process in a session of its own (util-linux {@code setsid}), so that a Ctrl-C typed in the terminal
 * reaches only the parent, which then stops its children in its own order ({@code reside dev}: Alpha and its
 * replicas while etcd still runs, then etcd). Without {@code setsid} (not Linux) the command runs as it is.
 * <p>
 * {@code setsid} forks only when it is a process group leader, which a child of the JVM never is: it replaces itself
 * with the command, so the {@link Process} started is the command's own process (its pid, its exit status).
 */
public final class OwnSession {

    private static final Optional<Path> SETSID = EtcdServer.findOnPath("setsid").or(() -> Optional.of(Path.of(
            "/usr/bin/setsid")).filter(Files::isExecutable));

    private OwnSession() {
    }

    /** {@code command}, to be run in a session of its own. */
    public static List<String> wrap(List<String> command) {
        if (SETSID.isEmpty()) {
            return command;
        }
        List<String> wrapped = new ArrayList<>(command.size() + 1);
        wrapped.add(SETSID.get().toString());
        wrapped.addAll(command);
        return wrapped;
    }
}
