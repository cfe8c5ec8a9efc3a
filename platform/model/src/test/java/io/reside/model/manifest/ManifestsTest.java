package io.reside.model.manifest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ManifestsTest {

    static final String REPLICA = """
            {"type":"replica","schemaVersion":1,"identity":"localhost:5000/reside/replicas/alpha",
             "info":{"name":"alpha","class":"long-running","exclusive":true,"scalable":true},
             "displayInfo":{"en":{"title":"Alpha","description":"Manages"},"ru":{"title":"Альфа","description":"Управляет"}},
             "implementations":{"alpha":{"identity":"localhost:5000/reside/contracts/alpha.v1"}},
             "requirements":{"users":{"identity":"localhost:5000/reside/contracts/user-manager.v1","optional":false,
               "multiple":false,"permissions":[{"name":"realm:read","params":{"name":"telegram"},"instanceId":"telegram"}]}}}
            """;

    @Test
    void theLabelValueRoundTrips() {
        Manifest m = Manifests.parse(REPLICA, "test");
        String label = Manifests.encodeLabel(m);
        assertThat(new String(Base64.getDecoder().decode(label), StandardCharsets.UTF_8))
                .startsWith("{\"type\":\"replica\"");
        assertThat(Manifests.decodeLabel(label)).isEqualTo(m);
        assertThatThrownBy(() -> Manifests.decodeLabel("not base64!"))
                .isInstanceOf(ManifestException.class)
                .hasMessageStartingWith("invalid io.reside.manifest label: not base64");
    }

    @Test
    void problemsNameTheField() {
        assertThatThrownBy(
                () -> Manifests.parse(
                        REPLICA.replace(",\"ru\":{\"title\":\"Альфа\",\"description\":\"Управляет\"}", ""),
                        "image x"))
                .isInstanceOf(ManifestException.class)
                .hasMessage("invalid manifest in image x: displayInfo.ru: missing (en and ru texts are required)");
        assertThatThrownBy(() -> Manifests.parse(REPLICA.replace("contracts/user-manager.v1", "user-manager"), "x"))
                .hasMessage(
                        "invalid manifest in x: requirements.users.identity: 'localhost:5000/reside/user-manager' is "
                                + "not a contract identity <prefix>/contracts/<name>.v<N>");
        assertThatThrownBy(() -> Manifests.parse(REPLICA.replace("\"exclusive\":true", "\"exclusive\":\"yes\""), "x"))
                .hasMessageStartingWith(
                        "invalid manifest in x: info.exclusive: Cannot deserialize value of type `boolean`");
        assertThatThrownBy(
                () -> Manifests.parse(REPLICA.replace("\"scalable\":true", "\"scalable\":true,\"colour\":1"), "x"))
                .hasMessageStartingWith("invalid manifest in x: info.colour: Unrecognized field \"colour\"");
        assertThatThrownBy(
                () -> Manifests.parse(REPLICA.replace("\"class\":\"long-running\"", "\"class\":\"daily\""), "x"))
                .hasMessage("invalid manifest in x: info.class: must be 'long-running' or 'oneshot', got 'daily'");
        assertThatThrownBy(() -> Manifests
                .parse(REPLICA.replace("{\"type\":\"replica\"", "{\"type\":\"replica\",\"type\":\"replica\""), "x"))
                .hasMessageContaining("Duplicate field 'type'");
        assertThatThrownBy(() -> Manifests.parse(REPLICA, ContractManifest.class, "x"))
                .hasMessage("invalid manifest in x: type: expected 'contract', got 'replica'");
    }

    @Test
    void aJarCarriesItsManifests(@TempDir Path dir) throws Exception {
        Path jar = dir.resolve("alpha.jar");
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar))) {
            put(out, Manifests.REPLICA_RESOURCE, REPLICA);
            put(out, "other/file.txt", "not a manifest");
        }
        assertThat(Manifests.readJar(jar)).singleElement().isInstanceOf(ReplicaManifest.class)
                .extracting(Manifest::identity).isEqualTo("localhost:5000/reside/replicas/alpha");
    }

    private static void put(JarOutputStream jar, String name, String content) throws Exception {
        jar.putNextEntry(new JarEntry(name));
        OutputStream out = jar;
        out.write(content.getBytes(StandardCharsets.UTF_8));
        jar.closeEntry();
    }
}
