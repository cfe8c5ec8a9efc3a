package io.reside.telegram.sdk;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The endpoint a handler registers for the local access context follows how it serves. */
class LocalEndpointTest {

    @Test
    void httpsWhenPlainHttpIsOff() {
        assertThat(TelegramSdk.localEndpoint("enabled", 8080, 8443)).isEqualTo("http://127.0.0.1:8080");
        assertThat(TelegramSdk.localEndpoint("redirect", 8080, 8443)).isEqualTo("http://127.0.0.1:8080");
        assertThat(TelegramSdk.localEndpoint("disabled", 8080, 34641)).isEqualTo("https://127.0.0.1:34641");
    }
}
