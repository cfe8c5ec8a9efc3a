package io.reside.model;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;

/** Params of permission grants: validation against the contract's JSON Schema, and instance ids. */
public final class PermissionParams {

    private static final JsonSchemaFactory FACTORY = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012);
    private static final Map<String, JsonSchema> SCHEMAS = new ConcurrentHashMap<>();

    private PermissionParams() {
    }

    /**
     * Checks params against a permission's schema.
     *
     * @return the problems, each naming the param (empty when valid)
     */
    public static List<String> validate(ObjectNode schema, JsonNode params) {
        JsonSchema compiled = SCHEMAS.computeIfAbsent(schema.toString(), s -> FACTORY.getSchema(schema));
        List<String> problems = new ArrayList<>();
        for (ValidationMessage m : compiled.validate(params == null ? schema.objectNode() : params)) {
            String at = "params" + m.getInstanceLocation().toString().substring(1); // "$.limit" -> "params.limit"
            if ("required".equals(m.getType())) {
                problems.add(at + "." + m.getProperty() + ": is required");
            } else {
                problems.add(at + ": " + m.getError());
            }
        }
        problems.sort(null);
        return problems;
    }

    /**
     * The instance a grant is for: the values of the instance keys joined with '.' ({@link #instanceId(List)}), or
     * null when the permission has no instance keys.
     *
     * @throws IllegalArgumentException when a key is missing or not a string, number or boolean
     */
    public static String instanceId(List<String> instanceKeys, JsonNode params) {
        if (instanceKeys.isEmpty()) {
            return null;
        }
        List<String> parts = new ArrayList<>(instanceKeys.size());
        for (String key : instanceKeys) {
            JsonNode value = params == null ? null : params.get(key);
            if (value == null || !value.isValueNode() || value.isNull()) {
                throw new IllegalArgumentException("params." + key + " is required: it identifies the instance");
            }
            parts.add(value.asText());
        }
        return instanceId(parts);
    }

    /**
     * The instance id of the values of a permission's instance keys, in order. One value is its own id (a realm
     * {@code telegram} is {@code telegram}). Several are joined with '.', each with {@code %}, {@code .} and {@code /}
     * percent-encoded ({@code %25}, {@code %2E}, {@code %2F}), so that {@code a.b} + {@code c} ({@code a%2Eb.c}) and
     * {@code a} + {@code b.c} ({@code a.b%2Ec}) stay apart.
     */
    public static String instanceId(List<String> values) {
        if (values.size() == 1) {
            return values.get(0); // a permission has a fixed number of keys: one value alone cannot collide
        }
        StringBuilder sb = new StringBuilder();
        for (int v = 0; v < values.size(); v++) {
            if (v > 0) {
                sb.append('.');
            }
            String value = values.get(v);
            for (int i = 0; i < value.length(); i++) {
                char c = value.charAt(i);
                switch (c) {
                    case '%' -> sb.append("%25");
                    case '.' -> sb.append("%2E");
                    case '/' -> sb.append("%2F");
                    default -> sb.append(c);
                }
            }
        }
        return sb.toString();
    }
}
