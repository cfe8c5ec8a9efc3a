package io.reside.cli.commands;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;

import io.reside.cli.CliException;
import io.reside.cli.ExitCodes;
import io.reside.cli.Progress;
import io.reside.contracts.alpha.v1.AlphaApi;
import io.reside.harness.LocalCluster;

/**
 * Following something Alpha does until it is done, with its status shown live. The polling is the harness's loop; a
 * failed call ends the wait at once (it is not a state to wait out).
 */
final class Follow {

    private Follow() {
    }

    /** Polls a load request until its validation ends (requires-approval or invalid). */
    static AlphaApi.LoadRequest untilValidated(AlphaApi alpha, Progress.Step step, String id, Duration timeout) {
        try {
            return LocalCluster.awaitCondition("load request " + id + " validated", timeout, () -> {
                AlphaApi.LoadRequest r = alpha.getLoadRequest(id);
                step.status(r.status());
                return r;
            }, r -> !r.status().equals("validating"), () -> false, RuntimeException.class);
        } catch (LocalCluster.ConditionTimeoutException timeUp) {
            step.fail("still validating after " + timeout.toSeconds() + " s");
            throw new CliException(ExitCodes.UNAVAILABLE, "load request " + id + " is still validating after "
                    + timeout.toSeconds() + " s: can Alpha reach the registry? (its log says); approve it in the "
                    + "chat (/load) once it is validated, or load again with a longer --timeout");
        }
    }

    /**
     * Polls a replica until {@code versionId} is its current version and runs.
     *
     * @throws CliException when the version ends in error (with Alpha's message) or the time is up
     */
    static AlphaApi.Replica untilRunning(AlphaApi alpha, Progress progress, String name, String replicaId,
            int versionId, Duration timeout) {
        Progress.Step step = progress.step(name + " v" + versionId);
        AtomicReference<String> last = new AtomicReference<>("starting");
        AlphaApi.Replica r;
        try {
            r = LocalCluster.awaitCondition("version " + versionId + " of " + name + " running", timeout, () -> {
                AlphaApi.Replica now = alpha.getReplica(replicaId);
                AlphaApi.Version v = now.currentVersion();
                if (v != null && v.id() == versionId) {
                    last.set(v.status() + (v.statusMessage() != null ? ": " + v.statusMessage() : ""));
                    if (v.status().equals("error")) {
                        step.fail(last.get());
                        throw new CliException(ExitCodes.FAILURE, name + " version " + versionId + " failed: " + v
                                .statusMessage() + "; its log tells why (a local cluster: ./reside dev logs " + name
                                + "); roll back with reside replica rollback " + name + " <version>");
                    }
                    step.status(last.get());
                }
                return now;
            }, now -> now.currentVersion() != null && now.currentVersion().id() == versionId && (now
                    .currentVersion().status().equals("running")
                    || now.currentVersion().status().equals(
                            "completed")),
                    () -> false, RuntimeException.class);
        } catch (LocalCluster.ConditionTimeoutException timeUp) {
            step.fail("not running after " + timeout.toSeconds() + " s (" + last.get() + ")");
            throw new CliException(ExitCodes.UNAVAILABLE, name + " version " + versionId + " is not running after "
                    + timeout.toSeconds() + " s (" + last.get() + "): Alpha keeps trying; follow it with reside "
                    + "replica show " + name);
        }
        step.done(r.currentVersion().status());
        return r;
    }
}
