package io.reside.manifest.processor;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.UnaryOperator;

import org.junit.jupiter.api.Test;

import io.reside.model.manifest.ContractManifest;
import io.reside.model.manifest.Manifests;
import io.reside.model.manifest.ReplicaManifest;

class ManifestProcessorTest {

    static final String API = "demo/DemoApi.java";
    static final String REPLICA = "demo/DemoReplica.java";

    @Test
    void generatesTheGoldenManifests() {
        Compilation c = Compilation.compile(sample());
        assertThat(c.errors()).isEmpty();
        assertThat(c.resource("META-INF/reside/contracts/demo.v1.json")).contains(resource("golden/demo.v1.json"));
        assertThat(c.resource("META-INF/reside/manifest.json")).contains(resource("golden/demo-replica.json"));
        // and they read back as valid manifests
        Manifests.parse(resource("golden/demo.v1.json"), ContractManifest.class, "golden");
        Manifests.parse(resource("golden/demo-replica.json"), ReplicaManifest.class, "golden");
    }

    @Test
    void nativeImageConfigurationRegistersTheContractsDataTypesAndItsProxy() {
        Compilation c = Compilation.compile(sample());
        assertThat(c.errors()).isEmpty();
        String reflect = c.resource("META-INF/native-image/reside/demo.v1/reflect-config.json").orElseThrow();
        // request, reply (inside List<>), permission params and an enum reached through Optional<List<Kind>>
        for (String type : new String[] { "demo.DemoApi$CreateItemRequest", "demo.DemoApi$Item",
                "demo.DemoApi$RealmParams", "demo.DemoApi$HandlerParams", "demo.DemoApi$Kind" }) {
            assertThat(reflect).contains("\"name\" : \"" + type + "\"");
        }
        assertThat(reflect).doesNotContain("java.").contains("\"allDeclaredConstructors\" : true");
        assertThat(c.resource("META-INF/native-image/reside/demo.v1/proxy-config.json").orElseThrow())
                .contains("\"interfaces\" : [ \"demo.DemoApi\" ]");
    }

    @Test
    void theIdentityPrefixComesFromTheBuild() {
        Compilation c = Compilation.compile(sample(), "-Areside.prefix=registry.example.com:443/team/reside");
        assertThat(c.errors()).isEmpty();
        assertThat(c.resource("META-INF/reside/manifest.json").orElseThrow())
                .contains("\"identity\" : \"registry.example.com:443/team/reside/replicas/demo\"")
                .contains("\"identity\" : \"registry.example.com:443/team/reside/contracts/demo.v1\"");
    }

    @Test
    void aRequestedPermissionTheContractDoesNotDefineFailsTheBuild() {
        assertErrors(change(REPLICA, s -> s.replace("@Grant(name = \"realm:read\"", "@Grant(name = \"realm:raed\"")),
                "ReSide replica demo: requirement 'peers' requests permission 'realm:raed', which contract "
                        + "localhost:5000/reside/contracts/demo.v1 does not define (it defines: item:read:all, realm:read, "
                        + "handler:setup)");
    }

    @Test
    void anEmptyOrMissingTranslationFailsTheBuild() {
        assertErrors(change(API, s -> s.replace("ru = @Text(title = \"Демо\"", "ru = @Text(title = \"\"")),
                "ReSide contract DemoApi: displayInfo.ru.title must not be empty (en and ru texts are required)");
        assertErrors(change(API, s -> s.replace("""
                en = @Text(title = "Read all items", description = "List and read every item"),
                        ru = @Text(title = "Чтение всех элементов", description = "Просмотр любых элементов")""",
                "en = @Text(title = \"Read all items\", description = \"List and read every item\")")),
                "annotation @io.reside.model.annotation.DisplayInfo is missing a default value for the element 'ru'");
    }

    @Test
    void duplicateMethodOrPermissionNamesFailTheBuild() {
        assertErrors(change(API, s -> s.replace("    String ping();", """
                String ping();

                @GET
                @Path("ping")
                @RpcMethod(displayInfo = @DisplayInfo(en = @Text(title = "Ping", description = "Any caller"),
                        ru = @Text(title = "Пинг", description = "Любой вызывающий")))
                String ping(@QueryParam("x") String x);""")),
                "ReSide contract DemoApi: method 'ping' is declared twice; RPC method names must be unique (no overloads)");
        assertErrors(
                change(API,
                        s -> s.replace("@Permission(name = \"handler:setup\"", "@Permission(name = \"realm:read\"")),
                "ReSide contract DemoApi: permission 'realm:read' is declared twice; permission names must be unique");
    }

    @Test
    void anIdentityNotOfTheRequiredFormFailsTheBuild() {
        assertErrors(change(API, s -> s.replace("@Contract(name = \"demo\"", "@Contract(name = \"Demo_Api\"")
                .replace("/rpc/demo.v1", "/rpc/Demo_Api.v1")),
                "ReSide contract DemoApi: identity 'localhost:5000/reside/contracts/Demo_Api.v1' is not of the form "
                        + "<prefix>/contracts/<name>.v<N>: the name must be lowercase letters, digits and single dashes, "
                        + "the version at least 1");
        assertErrors(change(REPLICA, s -> s.replace("@Replica(name = \"demo\"", "@Replica(name = \"Demo\"")),
                "ReSide replica Demo: name 'Demo' must start with a letter and have only lowercase letters, digits and '-' "
                        + "(not last), at most 40 characters");
        Compilation badPrefix = Compilation.compile(sample(), "-Areside.prefix=Not A Prefix");
        assertThat(badPrefix.errors()).containsExactly("ReSide: identity prefix 'Not A Prefix' (option "
                + "-Areside.prefix) is not an image repository prefix like localhost:5000/reside");
    }

    @Test
    void instanceKeysThatAreNotParamsFailTheBuild() {
        assertErrors(change(API, s -> s.replace("params = DemoApi.RealmParams.class, instanceKeys = \"name\"",
                "params = DemoApi.RealmParams.class, instanceKeys = \"nme\"")),
                "ReSide contract DemoApi: permission 'realm:read': instance key 'nme' is not a param of RealmParams "
                        + "(params: name)");
    }

    @Test
    void requiresMustNameADeclaredPermissionAndAResolvableInstance() {
        assertErrors(change(API, s -> s.replace("@Requires(\"item:read:all\")", "@Requires(\"item:write\")")),
                "ReSide contract DemoApi: method 'listItems' requires permission 'item:write', which this contract "
                        + "does not declare (it declares: item:read:all, realm:read, handler:setup)");
        assertErrors(change(API, s -> s.replace("instance = \"request.realm\"", "instance = \"request.area\"")),
                "ReSide contract DemoApi: method 'createItem': instance path 'request.area' names 'area', which "
                        + "CreateItemRequest does not have");
        assertErrors(change(API, s -> s.replace("@Requires(value = \"realm:read\", instance = \"name\")",
                "@Requires(\"realm:read\")")),
                "ReSide contract DemoApi: method 'getRealm': permission 'realm:read' has 1 instance key(s) [name], so "
                        + "@Requires needs as many instance paths (e.g. \"request.realm\"), got 0");
    }

    @Test
    void rpcPathsMustFollowTheConvention() {
        assertErrors(change(API, s -> s.replace("@Path(\"listItems\")", "@Path(\"items\")")),
                "ReSide contract DemoApi: method 'listItems': its @Path must be \"listItems\", got \"items\"");
        assertErrors(change(API, s -> s.replace("@Path(\"/rpc/demo.v1\")", "@Path(\"/demo\")")),
                "ReSide contract DemoApi: its @Path must be \"/rpc/demo.v1\", got \"/demo\"");
    }

    @Test
    void staticPermissionParamsAreTypedAndValidated() {
        assertErrors(change(REPLICA, s -> s.replace("@Param(name = \"limit\", value = \"5\")",
                "@Param(name = \"limit\", value = \"many\")")),
                "ReSide replica demo: requirement 'peers' requests permission 'handler:setup': param 'limit' must be "
                        + "integer, got 'many'");
        assertErrors(change(REPLICA, s -> s.replace("@Param(name = \"limit\", value = \"5\")",
                "@Param(name = \"limit\", value = \"500\")")),
                "ReSide replica demo: requirement 'peers' requests permission 'handler:setup': params.limit: must have a "
                        + "maximum value of 100");
        assertErrors(change(REPLICA, s -> s.replace("@Grant(name = \"realm:read\", params = @Param(name = \"name\", "
                + "value = \"telegram\"))", "@Grant(name = \"realm:read\")")),
                "ReSide replica demo: requirement 'peers' requests permission 'realm:read': params.name: is required");
    }

    @Test
    void aPermissionNameMustHaveAnActionAfterItsResource() {
        assertErrors(
                change(API, s -> s.replace("@Permission(name = \"handler:setup\"", "@Permission(name = \"handler\"")
                        .replace("@Grant(name = \"handler:setup\"", "@Grant(name = \"handler\"")),
                "ReSide contract DemoApi: permission 'handler': the name must look like resource:action[:scope]: two or "
                        + "more lowercase words (letters, digits, '-') joined by ':', e.g. greet:any");
    }

    @Test
    void aConstrainedParameterWithoutValidFailsTheBuild() {
        Map<String, String> sources = change(API, s -> s.replace("record CreateItemRequest(String realm,",
                "record CreateItemRequest(@NotBlank String realm,"));
        assertErrors(sources, "ReSide contract DemoApi: method 'createItem': parameter 'request' has constraints "
                + "(realm @NotBlank) but no @Valid, so nothing would check them: write @Valid before it");
        sources.put(API, sources.get(API).replace("Item createItem(CreateItemRequest request)",
                "Item createItem(@jakarta.validation.Valid CreateItemRequest request)"));
        assertThat(Compilation.compile(sources).errors()).isEmpty();
    }

    /** The qualifier lives in reside-runtime; the processor knows it by name, so a copy of it does here. */
    static final String REQUIREMENT_QUALIFIER = """
            package io.reside.runtime.client;

            @java.lang.annotation.Retention(java.lang.annotation.RetentionPolicy.RUNTIME)
            public @interface Requirement {
                String value();
            }
            """;

    @Test
    void aRequirementKeyThatTheReplicaDoesNotDeclareFailsTheBuild() {
        Map<String, String> sources = sample();
        sources.put("io/reside/runtime/client/Requirement.java", REQUIREMENT_QUALIFIER);
        sources.put("demo/Caller.java", """
                package demo;

                import io.reside.runtime.client.Requirement;

                public class Caller {
                    @Requirement("peer")
                    DemoApi typo;

                    @Requirement("peers")
                    String wrongType;

                    @Requirement("peers")
                    DemoApi right;
                }
                """);
        Compilation c = Compilation.compile(sources);
        assertThat(c.success()).isFalse();
        assertThat(c.errors()).containsExactlyInAnyOrder(
                "ReSide: @Requirement(\"peer\") on typo: no requirement 'peer' (declared: peers)",
                "ReSide: @Requirement(\"peers\") on wrongType: requirement 'peers' is a client of demo.DemoApi, not of "
                        + "java.lang.String");
    }

    @Test
    void aContractJarCarriesABeansXmlSoThatQuarkusIndexesIt() {
        Compilation c = Compilation.compile(sample());
        assertThat(c.resource("META-INF/beans.xml")).hasValueSatisfying(xml -> assertThat(xml)
                .contains("bean-discovery-mode=\"annotated\"").contains("reside-manifest-processor"));
    }

    private static void assertErrors(Map<String, String> sources, String expected) {
        Compilation c = Compilation.compile(sources);
        assertThat(c.success()).as("compilation succeeded").isFalse();
        assertThat(c.errors()).contains(expected);
        assertThat(c.resource("META-INF/reside/manifest.json")).isEmpty();
    }

    private static Map<String, String> sample() {
        Map<String, String> sources = new LinkedHashMap<>();
        sources.put(API, resource("sample/" + API));
        sources.put(REPLICA, resource("sample/" + REPLICA));
        return sources;
    }

    private static Map<String, String> change(String file, UnaryOperator<String> edit) {
        Map<String, String> sources = sample();
        String changed = edit.apply(sources.get(file));
        assertThat(changed).as("the edit applies").isNotEqualTo(sources.get(file));
        sources.put(file, changed);
        return sources;
    }

    static String resource(String name) {
        try (InputStream in = ManifestProcessorTest.class.getClassLoader().getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("missing test resource " + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
