package io.reside.cli.dev;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.reside.cli.CliException;
import io.reside.cli.ExitCodes;
import io.reside.cli.Progress;
import io.reside.testing.EtcdServer;
import io.reside.testing.RegistryServer;

/**
 * The programs a dev cluster runs that are not Java: etcd and the OCI registry. When one is missing, as root on
 * Debian or Ubuntu they are installed the way {@code .ci/run} does it; otherwise the exact command is printed and
 * {@code reside dev} exits with {@link ExitCodes#MISSING_PREREQUISITE}.
 */
final class Prerequisites {

    private Prerequisites() {
    }

    static void ensure(Progress progress, Path stateDir) {
        List<String> missing = missing();
        if (missing.isEmpty()) {
            return;
        }
        String command = "apt-get install -y --no-install-recommends " + String.join(" ", missing);
        boolean root = "root".equals(System.getProperty("user.name"));
        boolean apt = Files.isRegularFile(Path.of("/etc/debian_version")) && Files.isExecutable(Path.of(
                "/usr/bin/apt-get"));
        if (!root || !apt) {
            throw new CliException(ExitCodes.MISSING_PREREQUISITE, "reside dev needs " + String.join(" and ",
                    missing)
                    + (apt ? ": install with 'sudo " + command + "'"
                            : ": install etcd 3.4+ and the CNCF Distribution registry, or point RESIDE_ETCD_BINARY "
                                    + "and RESIDE_REGISTRY_BINARY at them")
                    + ", then run ./reside dev again");
        }
        Progress.Step step = progress.step("install " + String.join(", ", missing));
        Path log = stateDir.resolve("install.log");
        try {
            int rc = run(List.of("apt-get", "install", "-y", "--no-install-recommends"), missing, log);
            if (rc != 0) {
                step.status("apt-get update");
                run(List.of("apt-get", "update"), List.of(), log);
                rc = run(List.of("apt-get", "install", "-y", "--no-install-recommends"), missing, log);
            }
            if (rc != 0 || !missing().isEmpty()) {
                step.fail("apt-get exited with " + rc);
                throw new CliException(ExitCodes.MISSING_PREREQUISITE, "could not install " + String.join(", ",
                        missing) + ": see " + log + "; install them by hand ('" + command + "')");
            }
        } catch (IOException e) {
            step.fail(e.getMessage());
            throw new CliException(ExitCodes.MISSING_PREREQUISITE, "could not run apt-get (" + e.getMessage()
                    + "): install by hand with '" + command + "'");
        }
        step.done("installed (log " + log + ")");
    }

    /** The Debian packages of what is missing. */
    static List<String> missing() {
        List<String> missing = new ArrayList<>();
        try {
            EtcdServer.binary();
        } catch (IllegalStateException e) {
            missing.add("etcd-server");
        }
        try {
            RegistryServer.binary();
        } catch (IllegalStateException e) {
            missing.add("docker-registry");
        }
        return missing;
    }

    private static int run(List<String> command, List<String> packages, Path log) throws IOException {
        List<String> cmd = new ArrayList<>(command);
        cmd.addAll(packages);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect
                .appendTo(log.toFile()));
        pb.environment().put("DEBIAN_FRONTEND", "noninteractive");
        Process p = pb.start();
        try {
            if (!p.waitFor(10, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                return -1;
            }
            return p.exitValue();
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            return -1;
        }
    }
}
