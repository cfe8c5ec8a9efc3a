package io.reside.model.manifest;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;

/**
 * Reading and writing manifests: JSON, jar resources and the image label. Every read validates
 * ({@link ManifestValidator}); a failure is a {@link ManifestException} whose problems name the fields.
 */
public final class Manifests {

    /** The OCI image label holding the manifest: base64 of its JSON. */
    public static final String LABEL = "io.reside.manifest";
    /** Where a replica jar carries its manifest. */
    public static final String REPLICA_RESOURCE = "META-INF/reside/manifest.json";
    /**
     * Where a contract jar carries its manifest, as {@code <name>.v<N>.json}: a replica's class path holds several
     * contract jars, and one fixed name for all would collide when they are merged.
     */
    public static final String CONTRACT_RESOURCE_DIR = "META-INF/reside/contracts/";

    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(SerializationFeature.INDENT_OUTPUT)
            .build();

    private Manifests() {
    }

    /** The resource path of a contract manifest, e.g. {@code META-INF/reside/contracts/alpha.v1.json}. */
    public static String contractResource(String contractKey) {
        return CONTRACT_RESOURCE_DIR + contractKey + ".json";
    }

    /** Pretty JSON, fields in a stable order, ending with a newline. */
    public static String toJson(Manifest manifest) {
        try {
            return MAPPER.writerFor(Manifest.class).writeValueAsString(manifest) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write manifest " + manifest.identity(), e);
        }
    }

    /**
     * Parses and validates a manifest.
     *
     * @param source what the JSON came from, for messages (a file, "label of image x")
     */
    public static Manifest parse(String json, String source) {
        requireNonNull(json, "json");
        Manifest manifest;
        try {
            manifest = MAPPER.readValue(json, Manifest.class);
        } catch (JsonMappingException e) {
            throw new ManifestException("invalid manifest in " + source,
                    List.of(path(e) + ": " + e.getOriginalMessage().replaceAll(" \\(class [^)]*\\)", "")));
        } catch (JsonProcessingException e) {
            throw new ManifestException("invalid manifest in " + source,
                    List.of("not JSON: " + e.getOriginalMessage()));
        }
        if (manifest == null) {
            throw new ManifestException("invalid manifest in " + source, List.of("empty document"));
        }
        List<String> problems = ManifestValidator.validate(manifest);
        if (!problems.isEmpty()) {
            throw new ManifestException("invalid manifest in " + source, problems);
        }
        return manifest;
    }

    /** {@link #parse(String, String)}, requiring a manifest of the given type. */
    public static <T extends Manifest> T parse(String json, Class<T> type, String source) {
        Manifest m = parse(json, source);
        if (!type.isInstance(m)) {
            throw new ManifestException("invalid manifest in " + source, List.of("type: expected '"
                    + (type == ReplicaManifest.class ? "replica" : "contract") + "', got '"
                    + (m instanceof ReplicaManifest ? "replica" : "contract") + "'"));
        }
        return type.cast(m);
    }

    /** The value of the {@link #LABEL} image label: base64 of the compact JSON. */
    public static String encodeLabel(Manifest manifest) {
        try {
            byte[] json = MAPPER.writerFor(Manifest.class).without(SerializationFeature.INDENT_OUTPUT)
                    .writeValueAsBytes(manifest);
            return Base64.getEncoder().encodeToString(json);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write manifest " + manifest.identity(), e);
        }
    }

    /** Reads the value of the {@link #LABEL} image label. */
    public static Manifest decodeLabel(String value) {
        requireNonNull(value, "value");
        byte[] json;
        try {
            json = Base64.getDecoder().decode(value.trim());
        } catch (IllegalArgumentException e) {
            throw new ManifestException("invalid " + LABEL + " label", List.of("not base64: " + e.getMessage()));
        }
        return parse(new String(json, StandardCharsets.UTF_8), "the " + LABEL + " label");
    }

    /** The manifests a jar carries: its replica manifest, if any, and its contract manifests. */
    public static List<Manifest> readJar(Path jar) {
        List<Manifest> result = new ArrayList<>();
        try (JarFile file = new JarFile(jar.toFile())) {
            for (JarEntry entry : Collections.list(file.entries())) {
                String name = entry.getName();
                boolean contract = name.startsWith(CONTRACT_RESOURCE_DIR) && name.endsWith(".json");
                if (contract || name.equals(REPLICA_RESOURCE)) {
                    try (InputStream in = file.getInputStream(entry)) {
                        result.add(parse(new String(in.readAllBytes(), StandardCharsets.UTF_8), jar + "!/" + name));
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + jar, e);
        }
        return result;
    }

    private static String path(JsonMappingException e) {
        StringBuilder sb = new StringBuilder();
        for (JsonMappingException.Reference r : e.getPath()) {
            if (r.getIndex() >= 0) {
                sb.append('[').append(r.getIndex()).append(']');
            } else if (r.getFieldName() != null) {
                sb.append(sb.length() == 0 ? "" : ".").append(r.getFieldName());
            }
        }
        return sb.length() == 0 ? "(document)" : sb.toString();
    }
}
