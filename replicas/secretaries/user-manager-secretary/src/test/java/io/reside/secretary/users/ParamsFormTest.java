package io.reside.secretary.users;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

class ParamsFormTest {

    static final ObjectMapper JSON = new ObjectMapper();

    static ObjectNode schema() throws Exception {
        return (ObjectNode) JSON.readTree("""
                {"type": "object", "required": ["realm", "level"],
                 "properties": {
                   "realm": {"type": "string", "pattern": "^[a-z][a-z0-9-]{0,62}$", "description": "a realm"},
                   "level": {"enum": ["low", "high"]},
                   "notify": {"type": "boolean"},
                   "limit": {"type": "integer", "minimum": 1}}}""");
    }

    @Test
    void fieldsFollowTheSchemaInOrderWithButtonsForEnumsAndBooleans() throws Exception {
        List<ParamsForm.Field> fields = ParamsForm.fields(schema());
        assertThat(fields).extracting(ParamsForm.Field::name).containsExactly("realm", "level", "notify", "limit");
        assertThat(fields).extracting(ParamsForm.Field::kind).containsExactly(ParamsForm.Kind.TEXT,
                ParamsForm.Kind.CHOICE, ParamsForm.Kind.CHOICE, ParamsForm.Kind.INTEGER);
        assertThat(fields.get(1).choices()).containsExactly("\"low\"", "\"high\"");
        assertThat(fields.get(2).choices()).containsExactly("true", "false");
        assertThat(fields).extracting(ParamsForm.Field::required).containsExactly(true, true, false, false);
        assertThat(ParamsForm.fields(null)).isEmpty();
    }

    @Test
    void eachValueIsCheckedAgainstItsSchemaBeforeItIsKept() throws Exception {
        ObjectNode s = schema();
        List<ParamsForm.Field> f = ParamsForm.fields(s);
        assertThat(ParamsForm.value(s, f.get(0), " ops ").asText()).isEqualTo("ops");
        assertThatThrownBy(() -> ParamsForm.value(s, f.get(0), "Bad Realm!")).hasMessageContaining("params.realm");
        assertThat(ParamsForm.value(s, f.get(1), "\"high\"").asText()).isEqualTo("high");
        assertThatThrownBy(() -> ParamsForm.value(s, f.get(1), "\"medium\"")).hasMessageContaining("one of");
        assertThat(ParamsForm.value(s, f.get(2), "true").asBoolean()).isTrue();
        assertThat(ParamsForm.value(s, f.get(3), "5").asLong()).isEqualTo(5);
        assertThatThrownBy(() -> ParamsForm.value(s, f.get(3), "five")).hasMessageContaining("whole number");
        assertThatThrownBy(() -> ParamsForm.value(s, f.get(3), "0")).hasMessageContaining("params.limit");
    }

    @Test
    void theWholeObjectIsCheckedBeforeAGrant() throws Exception {
        ObjectNode s = schema();
        assertThat(ParamsForm.problems(s, (ObjectNode) JSON.readTree("{\"realm\": \"ops\"}")))
                .anySatisfy(p -> assertThat(p).contains("level"));
        assertThat(ParamsForm.problems(s, (ObjectNode) JSON.readTree("{\"realm\": \"ops\", \"level\": \"low\"}")))
                .isEmpty();
    }
}
