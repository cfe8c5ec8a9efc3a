package io.reside.security;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A cluster's certificate authority for RPC over TLS (docs/security.md, "TLS"): an ECDSA P-256 key and a self-signed
 * CA certificate, which issues each replica a server certificate for the names it is reached by (its Kubernetes
 * Service names, or 127.0.0.1 on a laptop). Alpha holds it; every replica trusts only it for RPC. PEM in, PEM out
 * (PKCS#8 keys), as Quarkus's and Vert.x's TLS configuration read them. The BouncyCastle lightweight API builds the
 * certificates; keys and signatures come from the JDK's own provider.
 */
public final class CertificateAuthority {

    /** A server certificate and its key, with the CA certificate that issued it. */
    public record Issued(String certificatePem, String privateKeyPem, String caPem, Instant notAfter) {
        @Override
        public String toString() {
            return "Issued[notAfter=" + notAfter + "]"; // never the key
        }
    }

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String SIGNATURE = "SHA256withECDSA";

    private final X509Certificate certificate;
    private final PrivateKey key;

    private CertificateAuthority(X509Certificate certificate, PrivateKey key) {
        this.certificate = certificate;
        this.key = key;
    }

    /** A new CA, valid from now for {@code validity}. */
    public static CertificateAuthority generate(String commonName, Duration validity) {
        try {
            KeyPair pair = keyPair();
            X500Name name = new X500Name("CN=" + commonName);
            Instant now = Instant.now();
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(name, serial(), Date.from(now.minusSeconds(
                    300)), Date.from(now.plus(validity)), name, pair.getPublic())
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
                    .addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(pair
                            .getPublic()));
            return new CertificateAuthority(sign(b, pair.getPrivate()), pair.getPrivate());
        } catch (GeneralSecurityException | IOException | OperatorCreationException e) {
            throw new IllegalStateException("cannot make a CA certificate: " + e.getMessage(), e);
        }
    }

    /**
     * The CA from its certificate and key (PEM).
     *
     * @throws IllegalArgumentException when either does not parse, or the key is not the certificate's
     */
    public static CertificateAuthority fromPem(String certificatePem, String privateKeyPem) {
        X509Certificate cert = certificate(certificatePem);
        PrivateKey key = privateKey(privateKeyPem);
        try {
            // the key must be the certificate's: sign and verify one message
            java.security.Signature s = java.security.Signature.getInstance(SIGNATURE);
            s.initSign(key);
            s.update(new byte[] { 1 });
            byte[] sig = s.sign();
            s.initVerify(cert.getPublicKey());
            s.update(new byte[] { 1 });
            if (!s.verify(sig)) {
                throw new IllegalArgumentException("the CA key is not the key of the CA certificate");
            }
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("the CA key does not fit the CA certificate: " + e.getMessage(), e);
        }
        return new CertificateAuthority(cert, key);
    }

    /** The entries of the Secret holding the cluster CA (Kubernetes; made by the CLI or by Alpha). */
    public static final String SECRET_CERTIFICATE = "ca.crt";
    public static final String SECRET_KEY = "ca.key";

    /**
     * The CA from a Kubernetes Secret's data (base64 values, as the API gives them).
     *
     * @throws IllegalArgumentException naming what is missing or unusable
     */
    public static CertificateAuthority fromSecretData(java.util.Map<String, String> data) {
        String cert = data == null ? null : data.get(SECRET_CERTIFICATE);
        String key = data == null ? null : data.get(SECRET_KEY);
        if (cert == null || key == null) {
            throw new IllegalArgumentException("it must hold " + SECRET_CERTIFICATE + " and " + SECRET_KEY);
        }
        java.util.Base64.Decoder b64 = java.util.Base64.getDecoder();
        return fromPem(new String(b64.decode(cert), java.nio.charset.StandardCharsets.US_ASCII), new String(b64
                .decode(key), java.nio.charset.StandardCharsets.US_ASCII));
    }

    /** This CA as a Kubernetes Secret's data (base64 values), for {@link #fromSecretData}. */
    public java.util.Map<String, String> secretData() {
        java.util.Base64.Encoder b64 = java.util.Base64.getEncoder();
        return java.util.Map.of(SECRET_CERTIFICATE, b64.encodeToString(certificatePem().getBytes(
                java.nio.charset.StandardCharsets.US_ASCII)), SECRET_KEY, b64.encodeToString(
                        privateKeyPem().getBytes(
                                java.nio.charset.StandardCharsets.US_ASCII)));
    }

    public String certificatePem() {
        return pem(certificate);
    }

    public String privateKeyPem() {
        return pem(key);
    }

    public Instant notAfter() {
        return certificate.getNotAfter().toInstant();
    }

    /**
     * A server certificate for {@code dnsNames} and {@code ipAddresses} (its subject alternative names: what clients
     * check), valid for {@code validity} but never beyond the CA's own.
     */
    public Issued issue(String commonName, List<String> dnsNames, List<String> ipAddresses, Duration validity) {
        if (dnsNames.isEmpty() && ipAddresses.isEmpty()) {
            throw new IllegalArgumentException("a server certificate needs at least one name or address");
        }
        try {
            KeyPair pair = keyPair();
            Instant now = Instant.now();
            Instant notAfter = now.plus(validity).isAfter(notAfter()) ? notAfter() : now.plus(validity);
            List<GeneralName> names = new ArrayList<>();
            dnsNames.forEach(n -> names.add(new GeneralName(GeneralName.dNSName, n)));
            for (String ip : ipAddresses) {
                names.add(new GeneralName(GeneralName.iPAddress, ip));
            }
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(certificate, serial(), Date.from(now
                    .minusSeconds(300)), Date.from(notAfter), new X500Name("CN=" + commonName), pair.getPublic())
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature))
                    .addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(
                            KeyPurposeId.id_kp_serverAuth))
                    .addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names.toArray(
                            GeneralName[]::new)))
                    .addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(
                            certificate))
                    .addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(pair
                            .getPublic()));
            X509Certificate issued = sign(b, key);
            return new Issued(pem(issued), pem(pair.getPrivate()), certificatePem(), notAfter);
        } catch (GeneralSecurityException | IOException | OperatorCreationException e) {
            throw new IllegalStateException("cannot issue a certificate: " + e.getMessage(), e);
        }
    }

    /**
     * The DNS names of a server certificate for Kubernetes Service {@code name} of {@code namespace}, as clients reach
     * it, and {@code localhost} (with the address 127.0.0.1: a process's calls to itself, a port-forward).
     */
    public static List<String> serviceNames(String name, String namespace) {
        return List.of(name, name + "." + namespace, name + "." + namespace + ".svc", name + "." + namespace
                + ".svc.cluster.local", "localhost");
    }

    /**
     * Whether a PEM certificate is good to keep: issued by this CA, and more than {@code renewBefore} from its end.
     * A certificate that does not parse is not.
     */
    public boolean current(String certificatePem, Duration renewBefore) {
        try {
            return issued(certificatePem) && Instant.now().isBefore(notAfter(certificatePem).minus(renewBefore));
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /** When a PEM certificate stops being valid. */
    public static Instant notAfter(String certificatePem) {
        return certificate(certificatePem).getNotAfter().toInstant();
    }

    /** Whether a PEM certificate was issued by this CA (its signature checks out with the CA's key). */
    public boolean issued(String certificatePem) {
        try {
            certificate(certificatePem).verify(certificate.getPublicKey());
            return true;
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            return false;
        }
    }

    /** A TLS context that trusts these CA certificates (PEM) and nothing else: a client of the cluster's replicas. */
    public static javax.net.ssl.SSLContext trusting(String caPem) {
        try {
            java.security.KeyStore store = java.security.KeyStore.getInstance(java.security.KeyStore.getDefaultType());
            store.load(null, null);
            int i = 0;
            for (java.security.cert.Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(
                    new java.io.ByteArrayInputStream(caPem.getBytes(java.nio.charset.StandardCharsets.US_ASCII)))) {
                store.setCertificateEntry("ca-" + i++, c);
            }
            if (i == 0) {
                throw new IllegalArgumentException("no certificate in the CA file");
            }
            javax.net.ssl.TrustManagerFactory tmf = javax.net.ssl.TrustManagerFactory.getInstance(
                    javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(store);
            javax.net.ssl.SSLContext context = javax.net.ssl.SSLContext.getInstance("TLS");
            context.init(null, tmf.getTrustManagers(), null);
            return context;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalArgumentException("cannot trust these CA certificates: " + e.getMessage(), e);
        }
    }

    private static KeyPair keyPair() throws GeneralSecurityException {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
        return g.generateKeyPair();
    }

    private static BigInteger serial() {
        return new BigInteger(127, RANDOM).add(BigInteger.ONE);
    }

    private static X509Certificate sign(X509v3CertificateBuilder b, PrivateKey key)
            throws OperatorCreationException, GeneralSecurityException {
        X509CertificateHolder holder = b.build(new JcaContentSignerBuilder(SIGNATURE).build(key));
        return new JcaX509CertificateConverter().getCertificate(holder);
    }

    private static X509Certificate certificate(String pem) {
        try {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(
                    new java.io.ByteArrayInputStream(pem.getBytes(java.nio.charset.StandardCharsets.US_ASCII)));
        } catch (GeneralSecurityException | RuntimeException e) {
            throw new IllegalArgumentException("not a PEM certificate: " + e.getMessage(), e);
        }
    }

    private static PrivateKey privateKey(String pem) {
        try (PEMParser parser = new PEMParser(new StringReader(pem))) {
            Object o = parser.readObject();
            if (!(o instanceof org.bouncycastle.asn1.pkcs.PrivateKeyInfo info)) {
                throw new IllegalArgumentException("not a PKCS#8 private key (PEM 'PRIVATE KEY')");
            }
            return KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(info.getEncoded()));
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalArgumentException("not a PEM EC private key: " + e.getMessage(), e);
        }
    }

    private static String pem(Object o) {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(out)) {
            w.writeObject(o instanceof PrivateKey k ? new org.bouncycastle.util.io.pem.PemObject("PRIVATE KEY", k
                    .getEncoded()) : o);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return out.toString();
    }
}
