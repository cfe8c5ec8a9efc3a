package io.reside.cli.commands;

import java.time.Duration;

import io.reside.cli.CliException;
import io.reside.cli.ExitCodes;
import io.reside.cli.Progress;
import io.reside.contracts.alpha.v1.AlphaApi;

/** Following something Alpha does until it is done, with its status shown live. */
final class Follow {

    private Follow() {
    }

    /** Polls a load request until its validation ends (requires-approval or invalid). */
    static AlphaApi.LoadRequest untilValidated(AlphaApi alpha, Progress.Step step, String id, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            AlphaApi.LoadRequest r = alpha.getLoadRequest(id);
            if (!r.status().equals("validating")) {
                return r;
            }
            if (System.nanoTime() > deadline) {
                step.fail("still validating after " + timeout.toSeconds() + " s");
                throw new CliException(ExitCodes.UNAVAILABLE, "load request " + id + " is still validating after "
                        + timeout.toSeconds() + " s: can Alpha reach the registry? (its log says); approve it in the "
                        + "chat (/load) once it is validated, or load again with a longer --timeout");
            }
            step.status("validating");
            sleep(100);
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
        long deadline = System.nanoTime() + timeout.toNanos();
        String last = "starting";
        while (true) {
            AlphaApi.Replica r = alpha.getReplica(replicaId);
            AlphaApi.Version v = r.currentVersion();
            if (v != null && v.id() == versionId) {
                last = v.status() + (v.statusMessage() != null ? ": " + v.statusMessage() : "");
                switch (v.status()) {
                    case "running", "completed" -> {
                        step.done(v.status());
                        return r;
                    }
                    case "error" -> {
                        step.fail(last);
                        throw new CliException(ExitCodes.FAILURE, name + " version " + versionId + " failed: "
                                + v.statusMessage() + "; its log tells why (a local cluster: ./reside dev logs "
                                + name + "); roll back with reside replica rollback " + name + " <version>");
                    }
                    default -> step.status(last);
                }
            }
            if (System.nanoTime() > deadline) {
                step.fail("not running after " + timeout.toSeconds() + " s (" + last + ")");
                throw new CliException(ExitCodes.UNAVAILABLE, name + " version " + versionId + " is not running "
                        + "after " + timeout.toSeconds() + " s (" + last + "): Alpha keeps trying; follow it with "
                        + "reside replica show " + name);
            }
            sleep(200);
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException(ExitCodes.FAILURE, "interrupted");
        }
    }
}
