package io.reside.security;

import java.util.Optional;

/** Where verifiers find the public key of an account (the account registry). */
@FunctionalInterface
public interface PublicKeys {
    Optional<PublicKey> publicKey(String accountId);
}
