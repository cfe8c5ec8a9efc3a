package io.reside.telegram.sdk;

import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Set;
import java.util.TreeSet;

import org.telegram.telegrambots.meta.api.objects.Update;
import org.telegram.telegrambots.meta.api.objects.message.Message;
import org.telegram.telegrambots.meta.api.objects.replykeyboard.InlineKeyboardMarkup;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The telegrambots-meta classes the SDK reads and writes with Jackson, for a native image: every model class reachable
 * from {@link Update}, {@link Message} and {@link InlineKeyboardMarkup} through fields (generic arguments included),
 * Jackson subtypes and custom deserializers. Run by the build ({@code process-classes}) to write
 * {@code META-INF/native-image/io.reside/telegram-sdk/reflect-config.json} into the jar; {@code NativeReflectionTest}
 * parses a real update with a Jackson that may touch only the classes listed.
 */
public final class NativeReflection {

    static final String PACKAGE = "org.telegram.telegrambots.meta";
    static final Class<?>[] ROOTS = { Update.class, Message.class, InlineKeyboardMarkup.class };

    private NativeReflection() {
    }

    /** The classes, by name. */
    public static Set<String> classes() {
        Set<String> seen = new TreeSet<>();
        ArrayDeque<Class<?>> todo = new ArrayDeque<>(java.util.List.of(ROOTS));
        while (!todo.isEmpty()) {
            Class<?> c = todo.poll();
            if (c.isArray()) {
                todo.add(c.getComponentType());
                continue;
            }
            if (c.isPrimitive() || !c.getName().startsWith(PACKAGE) || !seen.add(c.getName())) {
                continue;
            }
            for (Class<?> k = c; k != null && k.getName().startsWith(PACKAGE); k = k.getSuperclass()) {
                todo.add(k);
                // a row is an ArrayList<InlineKeyboardButton>: the element types live in the generic superclass
                types(k.getGenericSuperclass(), todo);
                for (Type i : k.getGenericInterfaces()) {
                    types(i, todo);
                }
                for (Class<?> i : k.getInterfaces()) {
                    todo.add(i);
                }
                for (Field f : k.getDeclaredFields()) {
                    if (!Modifier.isStatic(f.getModifiers())) {
                        types(f.getGenericType(), todo);
                    }
                }
                for (Class<?> inner : k.getDeclaredClasses()) {
                    if (inner.getSimpleName().endsWith("Builder") || inner.getSimpleName().endsWith("BuilderImpl")) {
                        todo.add(inner); // Lombok's @Jacksonized builders are how some classes are read
                    }
                }
                JsonSubTypes sub = k.getAnnotation(JsonSubTypes.class);
                if (sub != null) {
                    for (JsonSubTypes.Type t : sub.value()) {
                        todo.add(t.value());
                    }
                }
                JsonDeserialize d = k.getAnnotation(JsonDeserialize.class);
                if (d != null) {
                    todo.add(d.using());
                    todo.add(d.builder());
                }
            }
        }
        return seen;
    }

    private static void types(Type t, ArrayDeque<Class<?>> todo) {
        if (t instanceof Class<?> c) {
            todo.add(c);
        } else if (t instanceof ParameterizedType p) {
            types(p.getRawType(), todo);
            for (Type a : p.getActualTypeArguments()) {
                types(a, todo);
            }
        }
    }

    /** GraalVM's reflect-config.json for them. */
    public static String reflectConfig() {
        ArrayNode all = JsonNodeFactory.instance.arrayNode();
        for (String name : classes()) {
            ObjectNode o = all.addObject().put("name", name);
            o.put("allDeclaredConstructors", true).put("allPublicConstructors", true)
                    .put("allDeclaredMethods", true).put("allPublicMethods", true).put("allDeclaredFields", true);
        }
        return all.toPrettyString();
    }

    /** {@code NativeReflection <classes dir>}: writes the configuration there. */
    public static void main(String[] args) throws IOException {
        Path file = Path.of(args[0], "META-INF/native-image/io.reside/telegram-sdk/reflect-config.json");
        Files.createDirectories(file.getParent());
        Files.writeString(file, reflectConfig());
        System.out.println(
                "telegram-sdk: " + classes().size() + " telegrambots-meta classes registered for reflection in "
                        + file);
    }
}
