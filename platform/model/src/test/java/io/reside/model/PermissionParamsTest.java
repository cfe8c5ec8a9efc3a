package io.reside.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;

class PermissionParamsTest {

    @Test
    void instanceIdsOfSeveralKeysCannotCollide() {
        assertThat(PermissionParams.instanceId(List.of("a.b", "c")))
                .isNotEqualTo(PermissionParams.instanceId(List.of("a", "b.c")))
                .isEqualTo("a%2Eb.c");
        assertThat(PermissionParams.instanceId(List.of("a", "b.c"))).isEqualTo("a.b%2Ec");
        // the escape itself is escaped, and so is '/', the separator of grant keys
        assertThat(PermissionParams.instanceId(List.of("a%2Eb", "c"))).isEqualTo("a%252Eb.c");
        assertThat(PermissionParams.instanceId(List.of("x/y", "z"))).isEqualTo("x%2Fy.z");
        assertThat(PermissionParams.instanceId(List.of("", ""))).isEqualTo(".");
        // one value is its own id: with a fixed number of keys, one value alone cannot collide
        assertThat(PermissionParams.instanceId(List.of("telegram"))).isEqualTo("telegram");
        assertThat(PermissionParams.instanceId(List.of("a.b"))).isEqualTo("a.b");
        // from params, in the order of the instance keys
        assertThat(PermissionParams.instanceId(List.of("realm", "room"), JsonNodeFactory.instance.objectNode()
                .put("room", "b.c").put("realm", "a"))).isEqualTo("a.b%2Ec");
    }
}
