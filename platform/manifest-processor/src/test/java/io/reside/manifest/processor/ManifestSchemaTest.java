package io.reside.manifest.processor;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;

/** The documented JSON Schema of manifests (docs/manifest.schema.json) accepts what the processor generates. */
class ManifestSchemaTest {

    @Test
    void theDocumentedSchemaMatchesTheGeneratedManifests() throws Exception {
        ObjectMapper json = new ObjectMapper();
        var schema = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012)
                .getSchema(json.readTree(Files.readString(Path.of("../../docs/manifest.schema.json"))));
        for (String golden : new String[] { "golden/demo.v1.json", "golden/demo-replica.json" }) {
            assertThat(schema.validate(json.readTree(ManifestProcessorTest.resource(golden)))).as(golden).isEmpty();
        }
        ObjectNode broken = (ObjectNode) json.readTree(ManifestProcessorTest.resource("golden/demo-replica.json"));
        ((ObjectNode) broken.get("displayInfo")).remove("ru");
        assertThat(schema.validate(broken)).as("a replica manifest without a ru text").isNotEmpty();
    }
}
