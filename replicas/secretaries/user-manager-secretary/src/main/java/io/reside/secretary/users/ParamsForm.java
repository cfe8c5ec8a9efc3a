package io.reside.secretary.users;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.BooleanNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.reside.model.PermissionParams;

/**
 * The params of a permission, asked one at a time as its JSON Schema describes them: an {@code enum} or a boolean
 * becomes buttons, a string or a number is typed. Every value is checked against the schema before it is kept, and
 * the whole object once more before anything is granted.
 */
final class ParamsForm {

    private static final ObjectMapper JSON = new ObjectMapper();

    enum Kind {
        CHOICE,
        TEXT,
        INTEGER,
        NUMBER
    }

    /**
     * One param.
     *
     * @param choices for {@link Kind#CHOICE}: the allowed values as JSON text
     */
    record Field(String name, Kind kind, List<String> choices, String description, boolean required) {
    }

    private ParamsForm() {
    }

    /** The schema's properties in their declared order; none when the permission takes no params. */
    static List<Field> fields(ObjectNode schema) {
        List<Field> fields = new ArrayList<>();
        if (schema == null || !schema.path("properties").isObject()) {
            return fields;
        }
        List<String> required = new ArrayList<>();
        schema.path("required").forEach(r -> required.add(r.asText()));
        for (Iterator<Map.Entry<String, JsonNode>> it = schema.path("properties").fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> p = it.next();
            JsonNode s = p.getValue();
            String type = s.path("type").asText("string");
            List<String> choices = new ArrayList<>();
            Kind kind;
            if (s.path("enum").isArray()) {
                kind = Kind.CHOICE;
                s.path("enum").forEach(v -> choices.add(v.toString()));
            } else if ("boolean".equals(type)) {
                kind = Kind.CHOICE;
                choices.add("true");
                choices.add("false");
            } else if ("integer".equals(type)) {
                kind = Kind.INTEGER;
            } else if ("number".equals(type)) {
                kind = Kind.NUMBER;
            } else {
                kind = Kind.TEXT;
            }
            fields.add(new Field(p.getKey(), kind, List.copyOf(choices), s.path("description").asText(""),
                    required.contains(p.getKey())));
        }
        return fields;
    }

    /**
     * What a person typed (or pressed) as the value of {@code field}, checked against that field's schema.
     *
     * @throws IllegalArgumentException saying what is wrong with the value
     */
    static JsonNode value(ObjectNode schema, Field field, String input) {
        String text = input == null ? "" : input.strip();
        JsonNode value;
        switch (field.kind()) {
            case CHOICE -> {
                if (!field.choices().contains(text)) {
                    throw new IllegalArgumentException(field.name() + " must be one of " + field.choices());
                }
                try {
                    value = "true".equals(text) || "false".equals(text) ? BooleanNode.valueOf(Boolean.parseBoolean(
                            text)) : JSON.readTree(text);
                } catch (java.io.IOException e) {
                    throw new IllegalArgumentException(field.name() + ": " + e.getMessage());
                }
            }
            case INTEGER -> {
                try {
                    value = JsonNodeFactory.instance.numberNode(Long.parseLong(text));
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException(field.name() + " must be a whole number");
                }
            }
            case NUMBER -> {
                try {
                    value = JsonNodeFactory.instance.numberNode(new java.math.BigDecimal(text));
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException(field.name() + " must be a number");
                }
            }
            default -> value = JsonNodeFactory.instance.textNode(text);
        }
        ObjectNode one = JsonNodeFactory.instance.objectNode();
        one.set(field.name(), value);
        ObjectNode only = JsonNodeFactory.instance.objectNode().put("type", "object");
        only.putObject("properties").set(field.name(), schema.path("properties").path(field.name()));
        List<String> problems = PermissionParams.validate(only, one);
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(String.join("; ", problems));
        }
        return value;
    }

    /** The problems of the whole params object (empty when it may be granted). */
    static List<String> problems(ObjectNode schema, ObjectNode params) {
        return schema == null ? List.of() : PermissionParams.validate(schema, params);
    }
}
