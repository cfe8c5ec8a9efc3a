package io.reside.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import org.junit.jupiter.api.Test;

class CertificateAuthorityTest {

    static X509Certificate x509(String pem) throws Exception {
        return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(
                pem.getBytes(StandardCharsets.US_ASCII)));
    }

    @Test
    void issuesServerCertificatesForTheNamesGivenThatChainToIt() throws Exception {
        CertificateAuthority ca = CertificateAuthority.generate("reside test CA", Duration.ofDays(3650));
        CertificateAuthority.Issued issued = ca.issue("greeter", List.of("greeter", "greeter.reside.svc"), List.of(
                "127.0.0.1"), Duration.ofDays(30));
        X509Certificate cert = x509(issued.certificatePem());
        cert.verify(x509(ca.certificatePem()).getPublicKey());
        assertThat(ca.issued(issued.certificatePem())).isTrue();
        assertThat(cert.getSubjectAlternativeNames()).extracting(n -> n.get(1).toString())
                .containsExactlyInAnyOrder("greeter", "greeter.reside.svc", "127.0.0.1");
        assertThat(cert.getBasicConstraints()).as("not a CA").isEqualTo(-1);
        assertThat(cert.getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.1"); // serverAuth
        assertThat(issued.notAfter()).isBetween(Instant.now().plus(Duration.ofDays(29)), Instant.now().plus(Duration
                .ofDays(31)));
        assertThat(issued.privateKeyPem()).startsWith("-----BEGIN PRIVATE KEY-----");
        assertThat(issued.toString()).doesNotContain("PRIVATE");
        assertThat(x509(ca.certificatePem()).getBasicConstraints()).as("a CA").isEqualTo(0);
    }

    @Test
    void aCertificateNeverOutlivesItsCa() {
        CertificateAuthority ca = CertificateAuthority.generate("short", Duration.ofDays(1));
        assertThat(ca.issue("x", List.of("x"), List.of(), Duration.ofDays(365)).notAfter()).isEqualTo(ca.notAfter());
    }

    @Test
    void readsItselfBackAndRefusesAKeyThatIsNotItsOwn() {
        CertificateAuthority ca = CertificateAuthority.generate("a", Duration.ofDays(10));
        CertificateAuthority again = CertificateAuthority.fromPem(ca.certificatePem(), ca.privateKeyPem());
        assertThat(again.certificatePem()).isEqualTo(ca.certificatePem());
        assertThat(ca.issued(again.issue("y", List.of("y"), List.of(), Duration.ofDays(1)).certificatePem())).isTrue();

        CertificateAuthority other = CertificateAuthority.generate("b", Duration.ofDays(10));
        assertThatThrownBy(() -> CertificateAuthority.fromPem(ca.certificatePem(), other.privateKeyPem()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not the key");
        assertThat(ca.issued(other.issue("z", List.of("z"), List.of(), Duration.ofDays(1)).certificatePem()))
                .isFalse();
        assertThatThrownBy(() -> CertificateAuthority.fromPem("nope", ca.privateKeyPem()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not a PEM certificate");
        assertThatThrownBy(() -> CertificateAuthority.fromPem(ca.certificatePem(), "nope"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ca.issue("n", List.of(), List.of(), Duration.ofDays(1)))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
