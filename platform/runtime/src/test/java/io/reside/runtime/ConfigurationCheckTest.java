package io.reside.runtime;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;

import org.junit.jupiter.api.Test;

class ConfigurationCheckTest {

    @Test
    void anEndpointMustBeAnAbsoluteHttpUrl() {
        assertThatCode(() -> ReplicaRuntime.checkEndpoint("RESIDE_ENDPOINT_INTERNAL",
                URI.create("http://greeter.reside.svc:8080"))).doesNotThrowAnyException();
        assertThatCode(() -> ReplicaRuntime.checkEndpoint("RESIDE_ENDPOINT_EXTERNAL",
                URI.create("https://reside.example.org/greeter"))).doesNotThrowAnyException();
        for (String bad : new String[] { "greeter:8080", "/greeter", "ftp://greeter", "http:///nohost" }) {
            assertThatThrownBy(() -> ReplicaRuntime.checkEndpoint("RESIDE_ENDPOINT_INTERNAL", URI.create(bad)))
                    .hasMessageContaining("RESIDE_ENDPOINT_INTERNAL='" + bad + "'")
                    .hasMessageContaining("absolute http(s) URL");
        }
    }
}
