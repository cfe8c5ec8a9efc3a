package io.reside.alpha.runtime;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import javax.net.ssl.SSLContext;

import org.jboss.logging.Logger;

import io.reside.alpha.service.Secrets;
import io.reside.security.CertificateAuthority;

/**
 * RPC over TLS on a laptop (alpha.tls.enabled with the local runtime): the cluster CA in Alpha's state directory
 * ({@code tls/ca.crt}, {@code tls/ca.key}, made at the first start, the key mode 0600), and per instance a server
 * certificate for 127.0.0.1 and localhost ({@code tls/<account>.crt} and {@code .key}), issued when missing, when
 * another CA issued it, or when a third of its validity is left.
 */
final class LocalTls {

    private static final Logger LOG = Logger.getLogger(LocalTls.class);

    /** A server certificate's files. */
    record ServerFiles(Path certificate, Path key) {
    }

    private final Path dir;
    private final Duration validity;
    private final CertificateAuthority ca;
    private final SSLContext trust;

    private LocalTls(Path dir, Duration validity, CertificateAuthority ca) {
        this.dir = dir;
        this.validity = validity;
        this.ca = ca;
        this.trust = CertificateAuthority.trusting(ca.certificatePem());
    }

    static LocalTls open(Path stateDir, Duration validity) {
        Path dir = stateDir.resolve("tls");
        Path crt = dir.resolve("ca.crt");
        Path key = dir.resolve("ca.key");
        try {
            Files.createDirectories(dir);
            if (Files.isRegularFile(crt) && Files.isRegularFile(key)) {
                return new LocalTls(dir, validity, CertificateAuthority.fromPem(Files.readString(crt), Files
                        .readString(key)));
            }
            // ten years: a laptop cluster's CA outlives its certificates, which are renewed by Alpha
            CertificateAuthority ca = CertificateAuthority.generate("ReSide cluster CA", Duration.ofDays(3650));
            Secrets.write(key, ca.privateKeyPem());
            Files.writeString(crt, ca.certificatePem());
            LOG.infof("made the cluster CA for RPC over TLS in %s", dir);
            return new LocalTls(dir, validity, ca);
        } catch (IOException | IllegalArgumentException e) {
            throw new IllegalStateException("cannot read or make the cluster CA in " + dir + " (alpha.tls.enabled): "
                    + e.getMessage(), e);
        }
    }

    /** The CA certificate replicas trust ({@code reside.rpc.tls.ca-file}). */
    Path caFile() {
        return dir.resolve("ca.crt");
    }

    /** Trusts the cluster CA only: Alpha's readiness probes over HTTPS. */
    SSLContext sslContext() {
        return trust;
    }

    /** The instance's server certificate, issued now when it has none that is good for long enough. */
    ServerFiles serverFiles(String accountId) {
        Path crt = dir.resolve(accountId + ".crt");
        Path key = dir.resolve(accountId + ".key");
        try {
            if (Files.isRegularFile(crt) && Files.isRegularFile(key) && ca.current(Files.readString(crt), validity
                    .dividedBy(3))) {
                return new ServerFiles(crt, key);
            }
            CertificateAuthority.Issued issued = ca.issue(accountId, List.of("localhost"), List.of("127.0.0.1"),
                    validity);
            Secrets.write(key, issued.privateKeyPem());
            Files.writeString(crt, issued.certificatePem());
            return new ServerFiles(crt, key);
        } catch (IOException | IllegalArgumentException e) {
            throw new IllegalStateException("cannot issue the TLS certificate of " + accountId + " in " + dir + ": "
                    + e.getMessage(), e);
        }
    }

    void delete(String accountId) {
        for (String suffix : List.of(".crt", ".key")) {
            try {
                Files.deleteIfExists(dir.resolve(accountId + suffix));
            } catch (IOException e) {
                LOG.warnf("cannot delete the TLS %s of %s: %s", suffix.substring(1), accountId, e.getMessage());
            }
        }
    }
}
