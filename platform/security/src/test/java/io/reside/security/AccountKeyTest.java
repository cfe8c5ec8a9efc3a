package io.reside.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Base64;
import java.util.HexFormat;

import org.junit.jupiter.api.Test;

class AccountKeyTest {

    /** RFC 8032, section 7.1, test 1. */
    static final String SEED = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
    static final String PUBLIC = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
    static final String SIGNATURE_OF_EMPTY = "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590"
            + "a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b";

    static String pem(String seedHex) {
        byte[] der = HexFormat.of().parseHex("302e020100300506032b657004220420" + seedHex);
        return "-----BEGIN PRIVATE KEY-----\n" + Base64.getEncoder().encodeToString(der)
                + "\n-----END PRIVATE KEY-----\n";
    }

    @Test
    void readsPkcs8PemAndSignsAsRfc8032Says() {
        AccountKey key = AccountKey.fromPem(pem(SEED));
        assertThat(HexFormat.of().formatHex(Encoding.fromBase64url(key.publicKey().toBase64url()))).isEqualTo(PUBLIC);
        assertThat(HexFormat.of().formatHex(key.sign(new byte[0]))).isEqualTo(SIGNATURE_OF_EMPTY);
        assertThat(key.publicKey().verify(key.sign(Encoding.utf8("m")), Encoding.utf8("m"))).isTrue();
        assertThat(key.publicKey().verify(key.sign(Encoding.utf8("m")), Encoding.utf8("n"))).isFalse();
        assertThat(AccountKey.fromPem(key.toPem()).accountId()).isEqualTo(key.accountId());
        // a key in an environment variable may have its line breaks written as \n
        assertThat(AccountKey.fromPem(key.toPem().replace("\n", "\\n")).accountId()).isEqualTo(key.accountId());
    }

    @Test
    void theAccountIdIsDerivedFromThePublicKey() {
        AccountKey key = AccountKey.fromPem(pem(SEED));
        assertThat(key.accountId()).matches("acc_[a-z2-7]{32}");
        assertThat(PublicKey.fromBase64url(key.publicKey().toBase64url()).accountId()).isEqualTo(key.accountId());
        assertThat(AccountKey.generate().accountId()).isNotEqualTo(key.accountId());
    }

    @Test
    void theSecretNeverShowsInTextOrErrors() {
        AccountKey key = AccountKey.generate();
        String secret = key.toPem().split("\n")[1];
        assertThat(key.toString()).isEqualTo("AccountKey[" + key.accountId() + "]").doesNotContain(secret);
        String broken = key.toPem().replace("-----END PRIVATE KEY-----", "").substring(0, 60) + "!!";
        assertThatThrownBy(() -> AccountKey.fromPem(broken)).isInstanceOf(IllegalArgumentException.class)
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain(secret.substring(0, 20)));
        assertThatThrownBy(() -> AccountKey.fromPem(pem("00".repeat(31)))).hasMessageStartingWith(
                "not an Ed25519 private key in PKCS#8 form");
    }
}
