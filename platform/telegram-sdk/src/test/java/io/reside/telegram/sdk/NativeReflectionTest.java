package io.reside.telegram.sdk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.InputStream;
import java.util.HashSet;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.telegram.telegrambots.meta.api.objects.Update;

import com.fasterxml.jackson.databind.BeanDescription;
import com.fasterxml.jackson.databind.DeserializationConfig;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.JsonSerializer;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationConfig;
import com.fasterxml.jackson.databind.deser.BeanDeserializerModifier;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.ser.BeanSerializerModifier;

/**
 * The reflection configuration the build writes into the SDK's jar covers what the SDK reads and writes: a real update
 * (a button press on a message with an inline keyboard, a command with its entity, a photo) is parsed and written
 * back by a Jackson that refuses every telegrambots-meta class the configuration does not list — as a native image
 * would.
 */
class NativeReflectionTest {

    static final String UPDATES = """
            [{"update_id":500001,"message":{"message_id":7,"from":{"id":100001,"is_bot":false,"first_name":"Ann",
              "username":"ann","language_code":"ru"},"chat":{"id":100001,"type":"private","first_name":"Ann"},
              "date":1796193840,"text":"/ping@reside_bot now","entities":[{"type":"bot_command","offset":0,
              "length":16}],"photo":[{"file_id":"AgAC","file_unique_id":"AQAD","width":64,"height":32,
              "file_size":120}]}},
             {"update_id":500002,"callback_query":{"id":"9000000000000000001","from":{"id":100001,"is_bot":false,
              "first_name":"Ann"},"message":{"message_id":8,"from":{"id":7000000001,"is_bot":true,
              "first_name":"Bot","username":"reside_bot"},"chat":{"id":100001,"type":"private"},"date":1796193841,
              "text":"pong","reply_markup":{"inline_keyboard":[[{"text":"Again","callback_data":"again:1"},
              {"text":"Site","url":"https://example.org"}]]}},"chat_instance":"-42","data":"again:1"}}]
            """;

    static Set<String> registered() throws Exception {
        try (InputStream in = NativeReflectionTest.class.getResourceAsStream(
                "/META-INF/native-image/io.reside/telegram-sdk/reflect-config.json")) {
            assertThat(in).as("the build wrote the configuration into target/classes").isNotNull();
            Set<String> names = new HashSet<>();
            new ObjectMapper().readTree(in).forEach(n -> names.add(n.path("name").asText()));
            return names;
        }
    }

    /** A Jackson that fails on any telegrambots-meta class not in {@code allowed}. */
    static ObjectMapper restrictedTo(Set<String> allowed) {
        SimpleModule guard = new SimpleModule();
        guard.setDeserializerModifier(new BeanDeserializerModifier() {
            @Override
            public JsonDeserializer<?> modifyDeserializer(DeserializationConfig config, BeanDescription bean,
                    JsonDeserializer<?> deserializer) {
                check(bean.getBeanClass(), allowed);
                return deserializer;
            }
        });
        guard.setSerializerModifier(new BeanSerializerModifier() {
            @Override
            public JsonSerializer<?> modifySerializer(SerializationConfig config, BeanDescription bean,
                    JsonSerializer<?> serializer) {
                check(bean.getBeanClass(), allowed);
                return serializer;
            }
        });
        return new ObjectMapper().registerModule(guard)
                .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
    }

    static void check(Class<?> c, Set<String> allowed) {
        if (c.getName().startsWith(NativeReflection.PACKAGE) && !allowed.contains(c.getName())) {
            throw new IllegalStateException("not registered for reflection: " + c.getName());
        }
    }

    @Test
    void aRealUpdateIsReadAndWrittenWithTheRegisteredClassesOnly() throws Exception {
        Set<String> allowed = registered();
        assertThat(allowed).contains(Update.class.getName()).hasSizeGreaterThan(50);
        ObjectMapper json = restrictedTo(allowed);
        Update[] updates = json.readValue(UPDATES, Update[].class);
        assertThat(updates[0].getMessage().getEntities().get(0).getType()).isEqualTo("bot_command");
        assertThat(updates[0].getMessage().getPhoto().get(0).getWidth()).isEqualTo(64);
        assertThat(updates[1].getCallbackQuery().getData()).isEqualTo("again:1");
        JsonNode back = json.valueToTree(updates[1]);
        assertThat(back.path("callback_query").path("message").path("reply_markup").path("inline_keyboard").get(0)
                .get(1).path("url").asText()).isEqualTo("https://example.org");
    }

    @Test
    void theCheckFailsForAClassLeftOut() throws Exception {
        Set<String> allowed = registered();
        allowed.remove("org.telegram.telegrambots.meta.api.objects.CallbackQuery");
        assertThatThrownBy(() -> restrictedTo(allowed).readValue(UPDATES, Update[].class))
                .hasStackTraceContaining("not registered for reflection: org.telegram.telegrambots.meta.api.objects"
                        + ".CallbackQuery");
    }
}
