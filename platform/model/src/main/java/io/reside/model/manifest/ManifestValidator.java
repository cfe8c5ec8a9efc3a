package io.reside.model.manifest;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.reside.model.Identities;
import io.reside.model.PermissionParams;

/**
 * The rules a manifest must follow. The manifest processor applies them at build time, so a bad declaration fails
 * the build; readers apply them again, so a hand-made or tampered manifest is refused. Each problem names its field.
 */
public final class ManifestValidator {

    /** {@code resource:action[:scope]}: lowercase words separated by ':'. */
    public static final Pattern PERMISSION_NAME = Pattern.compile("[a-z][a-z0-9-]*(?::[a-z][a-z0-9-]*)+");
    public static final Pattern METHOD_NAME = Pattern.compile("[a-z][a-zA-Z0-9]*");
    public static final Pattern KEY = Pattern.compile("[a-z][a-zA-Z0-9-]*");
    /**
     * A replica's technical name: a DNS label that starts with a letter (a Kubernetes Service name), at most 40
     * characters, so that {@code <name>-<n>} (a second instance) and {@code <name>-<n>-<version>} (its Deployment or
     * Job) stay valid Kubernetes names.
     */
    public static final Pattern REPLICA_NAME = Pattern.compile("[a-z]([-a-z0-9]{0,38}[a-z0-9])?");
    /** {@link #REPLICA_NAME} in words, for error messages. */
    public static final String REPLICA_NAME_RULE = "must start with a letter and have only lowercase letters, digits "
            + "and '-' (not last), at most 40 characters";
    private static final Pattern LOCALE = Pattern.compile("[a-z]{2,3}(-[A-Za-z0-9]{2,8})*");
    public static final List<String> REQUIRED_LOCALES = List.of("en", "ru");

    private ManifestValidator() {
    }

    public static List<String> validate(Manifest manifest) {
        List<String> problems = new ArrayList<>();
        if (manifest.schemaVersion() != Manifest.CURRENT_SCHEMA_VERSION) {
            problems.add(
                    "schemaVersion: must be " + Manifest.CURRENT_SCHEMA_VERSION + ", got " + manifest.schemaVersion());
        }
        displayInfo("displayInfo", manifest.displayInfo(), problems);
        if (manifest instanceof ContractManifest c) {
            contract(c, problems);
        } else if (manifest instanceof ReplicaManifest r) {
            replica(r, problems);
        }
        return problems;
    }

    private static void contract(ContractManifest c, List<String> problems) {
        if (Identities.parseContract(c.identity()).isEmpty()) {
            problems.add("identity: '" + c.identity() + "' is not of the form <prefix>/contracts/<name>.v<N>");
        }
        Map<String, ContractManifest.Permission> permissions = c.permissions() == null ? Map.of() : c.permissions();
        if (c.permissions() == null) {
            problems.add("permissions: missing");
        }
        permissions.forEach((name, p) -> {
            String at = "permissions." + name;
            if (!PERMISSION_NAME.matcher(name).matches()) {
                problems.add(at + ": the name must look like resource:action[:scope] (lowercase words and ':')");
            }
            if (p == null) {
                problems.add(at + ": missing");
                return;
            }
            displayInfo(at + ".displayInfo", p.displayInfo(), problems);
            if (p.params() == null || !"object".equals(p.params().path("type").asText())) {
                problems.add(at + ".params: must be a JSON Schema of type object");
            }
            if (p.instanceKeys() == null) {
                problems.add(at + ".instanceKeys: missing");
                return;
            }
            JsonNode properties = p.params() == null ? null : p.params().get("properties");
            for (String key : p.instanceKeys()) {
                if (properties == null || !properties.has(key)) {
                    problems.add(at + ".instanceKeys: '" + key + "' is not a param of the permission");
                }
            }
        });
        if (c.methods() == null) {
            problems.add("methods: missing");
            return;
        }
        c.methods().forEach((name, m) -> {
            String at = "methods." + name;
            if (!METHOD_NAME.matcher(name).matches()) {
                problems.add(at + ": a method name is a Java identifier starting with a lowercase letter");
            }
            if (m == null) {
                problems.add(at + ": missing");
                return;
            }
            displayInfo(at + ".displayInfo", m.displayInfo(), problems);
            if (!"GET".equals(m.http()) && !"POST".equals(m.http())) {
                problems.add(at + ".http: must be GET or POST");
            }
            if (m.requires() != null && !permissions.containsKey(m.requires())) {
                problems.add(at + ".requires: the contract defines no permission '" + m.requires() + "'");
            }
        });
    }

    private static void replica(ReplicaManifest r, List<String> problems) {
        Optional<Identities.ReplicaId> id = Identities.parseReplica(r.identity());
        if (id.isEmpty()) {
            problems.add("identity: '" + r.identity() + "' is not of the form <prefix>/replicas/<name>");
        }
        if (r.info() == null) {
            problems.add("info: missing");
        } else {
            if (r.info().name() == null || !REPLICA_NAME.matcher(r.info().name()).matches()) {
                problems.add("info.name: '" + r.info().name() + "' " + REPLICA_NAME_RULE);
            }
            if (!"long-running".equals(r.info().replicaClass()) && !"oneshot".equals(r.info().replicaClass())) {
                problems.add("info.class: must be 'long-running' or 'oneshot', got '" + r.info().replicaClass() + "'");
            }
        }
        if (r.implementations() == null) {
            problems.add("implementations: missing");
        } else {
            r.implementations().forEach((key, impl) -> {
                key("implementations", key, problems);
                if (impl == null || Identities.parseContract(impl.identity()).isEmpty()) {
                    problems.add("implementations." + key + ".identity: not a contract identity <prefix>/contracts/"
                            + "<name>.v<N>");
                }
            });
        }
        if (r.requirements() == null) {
            problems.add("requirements: missing");
            return;
        }
        r.requirements().forEach((key, req) -> {
            String at = "requirements." + key;
            key("requirements", key, problems);
            if (req == null) {
                problems.add(at + ": missing");
                return;
            }
            if (Identities.parseContract(req.identity()).isEmpty()) {
                problems.add(at + ".identity: '" + req.identity()
                        + "' is not a contract identity <prefix>/contracts/<name>.v<N>");
            }
            if (req.permissions() == null) {
                problems.add(at + ".permissions: missing");
                return;
            }
            for (int i = 0; i < req.permissions().size(); i++) {
                ReplicaManifest.StaticPermission p = req.permissions().get(i);
                if (p == null || p.name() == null || !PERMISSION_NAME.matcher(p.name()).matches()) {
                    problems.add(at + ".permissions[" + i + "].name: must look like resource:action[:scope]");
                }
                if (p != null && p.params() == null) {
                    problems.add(at + ".permissions[" + i + "].params: missing (use {} for none)");
                }
            }
        });
    }

    /**
     * Cross-checks a replica's requested permissions against the contracts it requires: each must be defined, its
     * params must match the permission's schema, and its instance id must match its params.
     *
     * @param contracts contract identity → manifest, when known
     */
    public static List<String> validateRequirements(ReplicaManifest replica,
            Function<String, Optional<ContractManifest>> contracts) {
        List<String> problems = new ArrayList<>();
        replica.requirements().forEach((key, req) -> {
            Optional<ContractManifest> contract = contracts.apply(req.identity());
            if (contract.isEmpty()) {
                problems.add("requirements." + key + ".identity: unknown contract " + req.identity());
                return;
            }
            for (int i = 0; i < req.permissions().size(); i++) {
                ReplicaManifest.StaticPermission p = req.permissions().get(i);
                String at = "requirements." + key + ".permissions[" + i + "]";
                ContractManifest.Permission def = contract.get().permissions().get(p.name());
                if (def == null) {
                    problems.add(at + ".name: contract " + req.identity() + " defines no permission '" + p.name()
                            + "' (it defines: " + String.join(", ", contract.get().permissions().keySet()) + ")");
                    continue;
                }
                ObjectNode params = p.params() == null ? null : p.params();
                for (String problem : PermissionParams.validate(def.params(), params)) {
                    problems.add(at + "." + problem);
                }
                try {
                    String expected = PermissionParams.instanceId(def.instanceKeys(), params);
                    if (!java.util.Objects.equals(expected, p.instanceId())) {
                        problems.add(at + ".instanceId: must be " + (expected == null ? "absent" : "'" + expected + "'")
                                + " for these params, got '" + p.instanceId() + "'");
                    }
                } catch (IllegalArgumentException e) {
                    problems.add(at + "." + e.getMessage());
                }
            }
        });
        return problems;
    }

    private static void key(String map, String key, List<String> problems) {
        if (!KEY.matcher(key).matches()) {
            problems.add(map + "." + key + ": a key starts with a lowercase letter, then letters, digits or '-'");
        }
    }

    private static void displayInfo(String at, Map<String, DisplayText> info, List<String> problems) {
        if (info == null) {
            problems.add(at + ": missing");
            return;
        }
        for (String locale : REQUIRED_LOCALES) {
            if (!info.containsKey(locale)) {
                problems.add(at + "." + locale + ": missing (en and ru texts are required)");
            }
        }
        info.forEach((locale, text) -> {
            if (!LOCALE.matcher(locale).matches()) {
                problems.add(at + "." + locale + ": not a language tag");
            }
            if (text == null || text.title() == null || text.title().isBlank()) {
                problems.add(at + "." + locale + ".title: must not be empty");
            }
            if (text == null || text.description() == null || text.description().isBlank()) {
                problems.add(at + "." + locale + ".description: must not be empty");
            }
        });
    }
}
