package io.reside.manifest.processor;

import java.util.List;
import java.util.Set;

import javax.lang.model.element.AnnotationMirror;
import javax.lang.model.element.AnnotationValue;
import javax.lang.model.element.Element;
import javax.lang.model.element.ElementKind;
import javax.lang.model.element.ExecutableElement;
import javax.lang.model.element.RecordComponentElement;
import javax.lang.model.element.TypeElement;
import javax.lang.model.type.ArrayType;
import javax.lang.model.type.DeclaredType;
import javax.lang.model.type.TypeKind;
import javax.lang.model.type.TypeMirror;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The JSON Schema (2020-12) of a permission's params record, computed from the compiler's model of the record. We
 * write it ourselves because schema generators (victools and the like) work on loaded classes, and the record is
 * being compiled in the same round. Supported component types: strings, numbers, booleans, enums, nested records,
 * lists, sets and arrays of those, {@code Optional} (not required). Jakarta Validation {@code @NotBlank},
 * {@code @NotEmpty}, {@code @Pattern}, {@code @Size}, {@code @Min} and {@code @Max} become schema constraints.
 */
final class ParamsSchemas {

    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;
    private static final Set<String> INTEGERS = Set.of("int", "long", "short", "byte", "java.lang.Integer",
            "java.lang.Long", "java.lang.Short", "java.lang.Byte", "java.math.BigInteger");
    private static final Set<String> NUMBERS = Set.of("float", "double", "java.lang.Float", "java.lang.Double",
            "java.math.BigDecimal");

    private ParamsSchemas() {
    }

    /** Thrown for a component type the schema cannot express; the message names the component. */
    static final class UnsupportedType extends Exception {
        private static final long serialVersionUID = 1L;

        UnsupportedType(String message) {
            super(message);
        }
    }

    static ObjectNode of(TypeElement record) throws UnsupportedType {
        ObjectNode schema = JSON.objectNode();
        schema.put("type", "object");
        ObjectNode properties = schema.putObject("properties");
        ArrayNode required = JSON.arrayNode();
        for (Element e : record.getEnclosedElements()) {
            if (e.getKind() != ElementKind.RECORD_COMPONENT) {
                continue;
            }
            RecordComponentElement component = (RecordComponentElement) e;
            String name = component.getSimpleName().toString();
            TypeMirror type = component.asType();
            boolean optional = isOptional(type);
            if (optional) {
                type = ((DeclaredType) type).getTypeArguments().get(0);
            } else {
                required.add(name);
            }
            ObjectNode property = schemaOf(type, record.getSimpleName() + "." + name);
            constraints(component, property);
            properties.set(name, property);
        }
        if (!required.isEmpty()) {
            schema.set("required", required);
        }
        schema.put("additionalProperties", false);
        return schema;
    }

    private static ObjectNode schemaOf(TypeMirror type, String where) throws UnsupportedType {
        ObjectNode node = JSON.objectNode();
        String name = type.getKind().isPrimitive() ? type.getKind().name().toLowerCase(java.util.Locale.ROOT)
                : erasure(type);
        if (name.equals("java.lang.String") || name.equals("java.lang.CharSequence")) {
            node.put("type", "string");
        } else if (name.equals("boolean") || name.equals("java.lang.Boolean")) {
            node.put("type", "boolean");
        } else if (INTEGERS.contains(name)) {
            node.put("type", "integer");
        } else if (NUMBERS.contains(name)) {
            node.put("type", "number");
        } else if (type.getKind() == TypeKind.ARRAY) {
            node.put("type", "array");
            node.set("items", schemaOf(((ArrayType) type).getComponentType(), where + "[]"));
        } else if (name.equals("java.util.List") || name.equals("java.util.Set")
                || name.equals("java.util.Collection")) {
            List<? extends TypeMirror> args = ((DeclaredType) type).getTypeArguments();
            if (args.isEmpty()) {
                throw new UnsupportedType(where + ": a raw " + name + " has no element type");
            }
            node.put("type", "array");
            node.set("items", schemaOf(args.get(0), where + "[]"));
            if (name.equals("java.util.Set")) {
                node.put("uniqueItems", true);
            }
        } else if (type instanceof DeclaredType declared
                && declared.asElement().getKind() == ElementKind.ENUM) {
            node.put("type", "string");
            ArrayNode values = node.putArray("enum");
            for (Element e : declared.asElement().getEnclosedElements()) {
                if (e.getKind() == ElementKind.ENUM_CONSTANT) {
                    values.add(e.getSimpleName().toString());
                }
            }
        } else if (type instanceof DeclaredType declared
                && declared.asElement().getKind() == ElementKind.RECORD) {
            return of((TypeElement) declared.asElement());
        } else {
            throw new UnsupportedType(where + ": type " + type + " is not supported in permission params (use "
                    + "strings, numbers, booleans, enums, records, or lists of them)");
        }
        return node;
    }

    private static void constraints(RecordComponentElement component, ObjectNode property) {
        // Jakarta constraints target TYPE_USE (not RECORD_COMPONENT): on a record component they sit on its type
        List<AnnotationMirror> annotations = new java.util.ArrayList<>(component.getAnnotationMirrors());
        annotations.addAll(component.asType().getAnnotationMirrors());
        for (AnnotationMirror a : annotations) {
            String name = ((TypeElement) a.getAnnotationType().asElement()).getQualifiedName().toString();
            switch (name) {
                case "jakarta.validation.constraints.NotBlank", "jakarta.validation.constraints.NotEmpty" -> {
                    if ("string".equals(property.path("type").asText())) {
                        property.put("minLength", 1);
                    } else if ("array".equals(property.path("type").asText())) {
                        property.put("minItems", 1);
                    }
                }
                // JSON Schema patterns search; Jakarta's must match the whole value
                case "jakarta.validation.constraints.Pattern" -> value(a, "regexp")
                        .ifPresent(v -> property.put("pattern", "^(?:" + v.getValue() + ")$"));
                case "jakarta.validation.constraints.Size" -> {
                    boolean array = "array".equals(property.path("type").asText());
                    value(a, "min").ifPresent(v -> property.put(array ? "minItems" : "minLength",
                            ((Number) v.getValue()).intValue()));
                    value(a, "max").ifPresent(v -> property.put(array ? "maxItems" : "maxLength",
                            ((Number) v.getValue()).intValue()));
                }
                case "jakarta.validation.constraints.Min" -> value(a, "value")
                        .ifPresent(v -> property.put("minimum", ((Number) v.getValue()).longValue()));
                case "jakarta.validation.constraints.Max" -> value(a, "value")
                        .ifPresent(v -> property.put("maximum", ((Number) v.getValue()).longValue()));
                default -> {
                }
            }
        }
    }

    private static java.util.Optional<AnnotationValue> value(AnnotationMirror a, String member) {
        for (var e : a.getElementValues().entrySet()) {
            ExecutableElement key = e.getKey();
            if (key.getSimpleName().contentEquals(member)) {
                return java.util.Optional.of(e.getValue());
            }
        }
        return java.util.Optional.empty();
    }

    private static boolean isOptional(TypeMirror type) {
        return type instanceof DeclaredType d && erasure(d).equals("java.util.Optional")
                && !d.getTypeArguments().isEmpty();
    }

    private static String erasure(TypeMirror type) {
        if (type instanceof DeclaredType d) {
            return ((TypeElement) d.asElement()).getQualifiedName().toString();
        }
        return type.toString();
    }
}
