package io.reside.manifest.processor;

import java.io.IOException;
import java.io.InputStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import javax.annotation.processing.AbstractProcessor;
import javax.annotation.processing.RoundEnvironment;
import javax.annotation.processing.SupportedAnnotationTypes;
import javax.annotation.processing.SupportedOptions;
import javax.lang.model.SourceVersion;
import javax.lang.model.element.AnnotationMirror;
import javax.lang.model.element.AnnotationValue;
import javax.lang.model.element.Element;
import javax.lang.model.element.ElementKind;
import javax.lang.model.element.ExecutableElement;
import javax.lang.model.element.Modifier;
import javax.lang.model.element.TypeElement;
import javax.lang.model.element.VariableElement;
import javax.lang.model.type.DeclaredType;
import javax.lang.model.type.MirroredTypeException;
import javax.lang.model.type.TypeMirror;
import javax.tools.Diagnostic;
import javax.tools.FileObject;
import javax.tools.StandardLocation;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.reside.model.Identities;
import io.reside.model.PermissionParams;
import io.reside.model.annotation.Contract;
import io.reside.model.annotation.DisplayInfo;
import io.reside.model.annotation.LocalizedText;
import io.reside.model.annotation.Permission;
import io.reside.model.annotation.Replica;
import io.reside.model.annotation.Requires;
import io.reside.model.annotation.RpcMethod;
import io.reside.model.annotation.Text;
import io.reside.model.manifest.ContractManifest;
import io.reside.model.manifest.DisplayText;
import io.reside.model.manifest.Manifest;
import io.reside.model.manifest.ManifestException;
import io.reside.model.manifest.ManifestValidator;
import io.reside.model.manifest.Manifests;
import io.reside.model.manifest.ReplicaManifest;

/**
 * Generates the manifest of every {@link Contract} ({@code META-INF/reside/contracts/<name>.v<N>.json}) and of the
 * {@link Replica} ({@code META-INF/reside/manifest.json}) being compiled, and fails the compilation, pointing at the
 * declaration, when one breaks a rule: an identity not of the required form, a missing {@code en}/{@code ru} text,
 * duplicate method or permission names, instance keys that are not params, a requested permission the contract does
 * not define, RPC paths that do not follow {@code /rpc/<name>.v<N>/<method>}.
 * <p>
 * Option {@code -Areside.prefix=<registry>/<path>} sets the identity prefix (default
 * {@value Identities#DEFAULT_PREFIX}).
 */
@SupportedAnnotationTypes({ "io.reside.model.annotation.Contract", "io.reside.model.annotation.Replica",
        ManifestProcessor.REQUIREMENT })
@SupportedOptions(ManifestProcessor.PREFIX_OPTION)
public final class ManifestProcessor extends AbstractProcessor {

    public static final String PREFIX_OPTION = "reside.prefix";
    /** The qualifier that injects a requirement's client (in reside-runtime, which this processor does not see). */
    static final String REQUIREMENT = "io.reside.runtime.client.Requirement";
    private static final String BEANS_XML = "META-INF/beans.xml";
    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;
    private static final String PLACEHOLDER = "{replica.name}";

    /** Contracts read in this compilation, by qualified interface name; null value: the contract is invalid. */
    private final Map<String, Optional<ContractManifest>> contracts = new HashMap<>();
    private boolean replicaSeen;
    private boolean prefixReported;
    private boolean beansXmlWritten;
    /** The requirements of this module's replica: key → contract interface; null until the replica is seen. */
    private Map<String, String> requirementKeys;
    /** Every {@code @Requirement} injection point of this compilation, checked once all rounds are done. */
    private final List<Element> requirementUses = new ArrayList<>();

    @Override
    public SourceVersion getSupportedSourceVersion() {
        return SourceVersion.latestSupported();
    }

    @Override
    public boolean process(Set<? extends TypeElement> annotations, RoundEnvironment round) {
        String prefix = prefix();
        if (prefix == null) {
            return false;
        }
        for (Element e : round.getElementsAnnotatedWith(Contract.class)) {
            contract((TypeElement) e, prefix, true);
        }
        for (Element e : round.getElementsAnnotatedWith(Replica.class)) {
            replica((TypeElement) e, prefix);
        }
        TypeElement requirement = processingEnv.getElementUtils().getTypeElement(REQUIREMENT);
        if (requirement != null) {
            requirementUses.addAll(round.getElementsAnnotatedWith(requirement));
        }
        if (round.processingOver()) {
            checkRequirementUses();
        }
        return false;
    }

    /**
     * Each {@code @Requirement("key")} must name a requirement of this module's {@code @Replica}, and inject its
     * contract: a typo would otherwise compile, start, and fail every call at run time.
     */
    private void checkRequirementUses() {
        for (Element use : requirementUses) {
            String key = annotationValue(use, REQUIREMENT).orElse("");
            String where = "ReSide: @Requirement(\"" + key + "\") on " + use.getSimpleName() + ": ";
            if (requirementKeys == null) {
                processingEnv.getMessager().printMessage(Diagnostic.Kind.ERROR, where + "this module declares no "
                        + "@Replica, so it has no requirements; declare the requirement in the replica's @Replica",
                        use);
                continue;
            }
            String contract = requirementKeys.get(key);
            if (contract == null) {
                processingEnv.getMessager().printMessage(Diagnostic.Kind.ERROR, where + "no requirement '" + key
                        + "' (declared: " + (requirementKeys.isEmpty() ? "none"
                                : String.join(", ",
                                        requirementKeys.keySet()))
                        + ")", use);
                continue;
            }
            TypeMirror type = use.getKind() == ElementKind.METHOD ? ((ExecutableElement) use).getReturnType()
                    : use.asType();
            String injected = type instanceof DeclaredType d ? ((TypeElement) d.asElement()).getQualifiedName()
                    .toString() : type.toString();
            if (!injected.equals(contract)) {
                processingEnv.getMessager().printMessage(Diagnostic.Kind.ERROR, where + "requirement '" + key
                        + "' is a client of " + contract + ", not of " + injected, use);
            }
        }
        requirementUses.clear();
    }

    private static Optional<String> annotationValue(Element element, String annotation) {
        for (AnnotationMirror m : element.getAnnotationMirrors()) {
            if (((TypeElement) m.getAnnotationType().asElement()).getQualifiedName().contentEquals(annotation)) {
                for (Map.Entry<? extends ExecutableElement, ? extends AnnotationValue> v : m.getElementValues()
                        .entrySet()) {
                    if (v.getKey().getSimpleName().contentEquals("value")) {
                        return Optional.of(String.valueOf(v.getValue().getValue()));
                    }
                }
            }
        }
        return Optional.empty();
    }

    private String prefix() {
        String prefix = processingEnv.getOptions().getOrDefault(PREFIX_OPTION, Identities.DEFAULT_PREFIX);
        if (!Identities.isValidPrefix(prefix)) {
            if (prefixReported) {
                return null;
            }
            prefixReported = true;
            processingEnv.getMessager().printMessage(Diagnostic.Kind.ERROR, "ReSide: identity prefix '" + prefix
                    + "' (option -A" + PREFIX_OPTION + ") is not an image repository prefix like "
                    + Identities.DEFAULT_PREFIX);
            return null;
        }
        return prefix;
    }

    // ---------------------------------------------------------------- contracts

    private Optional<ContractManifest> contract(TypeElement type, String prefix, boolean write) {
        String qualified = type.getQualifiedName().toString();
        if (contracts.containsKey(qualified)) {
            return contracts.get(qualified);
        }
        Contract c = type.getAnnotation(Contract.class);
        Problems problems = new Problems(type, "contract " + type.getSimpleName());
        if (type.getKind() != ElementKind.INTERFACE) {
            problems.add("@Contract belongs on an interface (the JAX-RS interface shared by server and client)");
        }
        if (!Identities.NAME.matcher(c.name()).matches() || c.version() < 1) {
            problems.add("identity '" + Identities.contract(prefix, c.name(), c.version())
                    + "' is not of the form <prefix>/contracts/<name>.v<N>: the name must be lowercase letters, "
                    + "digits and single dashes, the version at least 1");
        }
        String key = c.name() + ".v" + c.version();
        String identity = Identities.contract(prefix, c.name(), c.version());
        annotationString(type, "jakarta.ws.rs.Path").ifPresentOrElse(path -> {
            if (!path.equals("/rpc/" + key)) {
                problems.add("its @Path must be \"/rpc/" + key + "\", got \"" + path + "\"");
            }
        }, () -> problems.add("it needs @Path(\"/rpc/" + key + "\")"));

        Map<String, ContractManifest.Permission> permissions = new LinkedHashMap<>();
        for (Permission p : type.getAnnotationsByType(Permission.class)) {
            permission(p, type, permissions, problems);
        }
        Map<String, ContractManifest.Method> methods = new LinkedHashMap<>();
        for (Element e : type.getEnclosedElements()) {
            if (e.getKind() == ElementKind.METHOD && e.getModifiers().contains(Modifier.ABSTRACT)) {
                method((ExecutableElement) e, permissions, methods, problems, write);
            }
        }
        ContractManifest manifest = new ContractManifest(Manifest.CURRENT_SCHEMA_VERSION, identity,
                displayInfo(c.displayInfo(), "displayInfo", problems), methods, permissions);
        if (problems.isEmpty()) {
            ManifestValidator.validate(manifest).forEach(problems::add);
        }
        Optional<ContractManifest> result = problems.report(processingEnv) ? Optional.empty() : Optional.of(manifest);
        contracts.put(qualified, result);
        if (write && result.isPresent()) {
            write(Manifests.contractResource(key), manifest, type);
            List<TypeElement> params = new ArrayList<>();
            for (Permission p : type.getAnnotationsByType(Permission.class)) {
                params.add(typeOf(() -> p.params()));
            }
            String[] nativeImage = NativeImageConfig.of(processingEnv, type, params);
            writeText("META-INF/native-image/reside/" + key + "/reflect-config.json", nativeImage[0], type);
            writeText("META-INF/native-image/reside/" + key + "/proxy-config.json", nativeImage[1], type);
            writeBeansXml(type);
        }
        return result;
    }

    private void permission(Permission p, TypeElement contract, Map<String, ContractManifest.Permission> permissions,
            Problems problems) {
        String name = p.name();
        String at = "permission '" + name + "'";
        if (permissions.containsKey(name)) {
            problems.add(at + " is declared twice; permission names must be unique");
            return;
        }
        if (!ManifestValidator.PERMISSION_NAME.matcher(name).matches()) {
            problems.add(at + ": the name must look like resource:action[:scope]: two or more lowercase words "
                    + "(letters, digits, '-') joined by ':', e.g. greet:any");
        }
        TypeElement params = typeOf(() -> p.params());
        ObjectNode schema;
        try {
            schema = ParamsSchemas.of(params);
        } catch (ParamsSchemas.UnsupportedType e) {
            problems.add(at + ": " + e.getMessage());
            schema = JSON.objectNode().put("type", "object");
        }
        List<String> instanceKeys = List.of(p.instanceKeys());
        for (String k : instanceKeys) {
            if (!schema.path("properties").has(k)) {
                List<String> names = new ArrayList<>();
                schema.path("properties").fieldNames().forEachRemaining(names::add);
                problems.add(at + ": instance key '" + k + "' is not a param of " + params.getSimpleName()
                        + " (params: " + (names.isEmpty() ? "none" : String.join(", ", names)) + ")");
            }
        }
        permissions.put(name, new ContractManifest.Permission(
                displayInfo(p.displayInfo(), at + " displayInfo", problems), instanceKeys, schema));
    }

    private void method(ExecutableElement method, Map<String, ContractManifest.Permission> permissions,
            Map<String, ContractManifest.Method> methods, Problems problems, boolean checkParameters) {
        String name = method.getSimpleName().toString();
        String at = "method '" + name + "'";
        if (methods.containsKey(name)) {
            problems.add(at + " is declared twice; RPC method names must be unique (no overloads)");
            return;
        }
        for (VariableElement parameter : method.getParameters()) {
            List<String> constrained = constrainedComponents(parameter.asType());
            if (!constrained.isEmpty() && !hasAnnotation(parameter, "jakarta.validation.Valid")) {
                problems.add(at + ": parameter '" + parameter.getSimpleName() + "' has constraints ("
                        + String.join(", ", constrained) + ") but no @Valid, so nothing would check them: write @Valid "
                        + "before it");
            }
        }
        RpcMethod rpc = method.getAnnotation(RpcMethod.class);
        if (rpc == null) {
            problems.add(at + " needs @RpcMethod with its display info");
        }
        boolean get = hasAnnotation(method, "jakarta.ws.rs.GET");
        boolean post = hasAnnotation(method, "jakarta.ws.rs.POST");
        if (get == post) {
            problems.add(at + " needs exactly one of @GET (pure reads) or @POST (commands)");
        }
        annotationString(method, "jakarta.ws.rs.Path").ifPresentOrElse(path -> {
            if (!path.equals(name)) {
                problems.add(at + ": its @Path must be \"" + name + "\", got \"" + path + "\"");
            }
        }, () -> problems.add(at + " needs @Path(\"" + name + "\")"));

        Requires requires = method.getAnnotation(Requires.class);
        String required = null;
        if (requires != null) {
            required = requires.value();
            ContractManifest.Permission permission = permissions.get(required);
            if (permission == null) {
                problems.add(at + " requires permission '" + required + "', which this contract does not declare"
                        + " (it declares: " + (permissions.isEmpty() ? "none" : String.join(", ", permissions.keySet()))
                        + ")");
            } else if (permission.instanceKeys().size() != requires.instance().length) {
                problems.add(at + ": permission '" + required + "' has " + permission.instanceKeys().size()
                        + " instance key(s) " + permission.instanceKeys() + ", so @Requires needs as many instance "
                        + "paths (e.g. \"request.realm\"), got " + requires.instance().length);
            } else if (checkParameters) {
                for (String path : requires.instance()) {
                    resolve(method, path).ifPresent(problem -> problems.add(at + ": instance path '" + path + "' "
                            + problem));
                }
            }
        }
        methods.put(name, new ContractManifest.Method(
                rpc == null ? Map.of() : displayInfo(rpc.displayInfo(), at + " displayInfo", problems),
                get ? "GET" : "POST", required));
    }

    /** The components of a record type that carry Bean Validation constraints, as {@code name @Constraint}. */
    private List<String> constrainedComponents(TypeMirror type) {
        List<String> found = new ArrayList<>();
        if (!(type instanceof DeclaredType declared) || declared.asElement().getKind() != ElementKind.RECORD) {
            return found;
        }
        for (Element e : declared.asElement().getEnclosedElements()) {
            // a constraint on a record component lands on its field (their @Target has FIELD, not RECORD_COMPONENT)
            if (e.getKind() != ElementKind.FIELD || e.getModifiers().contains(Modifier.STATIC)) {
                continue;
            }
            for (AnnotationMirror a : e.getAnnotationMirrors()) {
                Element annotation = a.getAnnotationType().asElement();
                if (hasAnnotation(annotation, "jakarta.validation.Constraint")
                        || ((TypeElement) annotation).getQualifiedName().contentEquals("jakarta.validation.Valid")) {
                    found.add(e.getSimpleName() + " @" + annotation.getSimpleName());
                }
            }
        }
        return found;
    }

    /** Checks that a path like {@code request.realm} leads from a parameter to a value; returns the problem. */
    private Optional<String> resolve(ExecutableElement method, String path) {
        String[] segments = path.split("\\.");
        VariableElement parameter = null;
        for (VariableElement p : method.getParameters()) {
            if (p.getSimpleName().contentEquals(segments[0])) {
                parameter = p;
            }
        }
        if (parameter == null) {
            return Optional.of("does not start with a parameter of the method (compile with -parameters)");
        }
        TypeMirror type = parameter.asType();
        for (int i = 1; i < segments.length; i++) {
            if (!(type instanceof DeclaredType declared) || declared.asElement().getKind() != ElementKind.RECORD) {
                return Optional.of("goes into '" + segments[i] + "' of " + type + ", which is not a record");
            }
            TypeMirror next = null;
            for (Element e : declared.asElement().getEnclosedElements()) {
                if (e.getKind() == ElementKind.RECORD_COMPONENT && e.getSimpleName().contentEquals(segments[i])) {
                    next = e.asType();
                }
            }
            if (next == null) {
                return Optional.of("names '" + segments[i] + "', which " + declared.asElement().getSimpleName()
                        + " does not have");
            }
            type = next;
        }
        return Optional.empty();
    }

    // ---------------------------------------------------------------- replicas

    private void replica(TypeElement type, String prefix) {
        Replica r = type.getAnnotation(Replica.class);
        Problems problems = new Problems(type, "replica " + r.name());
        if (replicaSeen) {
            problems.add("a module builds one replica, and another class already declares @Replica");
            problems.report(processingEnv);
            return;
        }
        replicaSeen = true;
        if (!ManifestValidator.REPLICA_NAME.matcher(r.name()).matches()) {
            problems.add("name '" + r.name() + "' " + ManifestValidator.REPLICA_NAME_RULE);
        }
        String identity = Identities.replica(prefix, r.name());
        if (Identities.parseReplica(identity).isEmpty()) {
            problems.add("identity '" + identity + "' is not of the form <prefix>/replicas/<name>");
        }
        Map<String, ReplicaManifest.Implementation> implementations = new LinkedHashMap<>();
        for (Replica.Implementation impl : r.implementations()) {
            String at = "implementation '" + impl.key() + "'";
            if (implementations.containsKey(impl.key())) {
                problems.add(at + " is declared twice");
                continue;
            }
            contractOf(typeOf(impl::contract), prefix, at, problems)
                    .ifPresent(c -> implementations.put(impl.key(), new ReplicaManifest.Implementation(c.identity())));
        }
        Map<String, ReplicaManifest.Requirement> requirements = new LinkedHashMap<>();
        requirementKeys = new LinkedHashMap<>();
        for (Replica.Requirement req : r.requirements()) {
            requirementKeys.putIfAbsent(req.key(), typeOf(req::contract).getQualifiedName().toString());
            String at = "requirement '" + req.key() + "'";
            if (requirements.containsKey(req.key())) {
                problems.add(at + " is declared twice");
                continue;
            }
            Optional<ContractManifest> contract = contractOf(typeOf(req::contract), prefix, at, problems);
            if (contract.isEmpty()) {
                continue;
            }
            List<ReplicaManifest.StaticPermission> grants = new ArrayList<>();
            for (Replica.Grant g : req.permissions()) {
                staticPermission(g, contract.get(), at, problems).ifPresent(grants::add);
            }
            requirements.put(req.key(), new ReplicaManifest.Requirement(contract.get().identity(), req.optional(),
                    req.multiple(), grants));
        }
        ReplicaManifest manifest = new ReplicaManifest(Manifest.CURRENT_SCHEMA_VERSION, identity,
                new ReplicaManifest.Info(r.name(), r.replicaClass().json(), r.exclusive(), r.scalable()),
                displayInfo(r.displayInfo(), "displayInfo", problems), implementations, requirements);
        if (problems.isEmpty()) {
            ManifestValidator.validate(manifest).forEach(problems::add);
        }
        if (!problems.report(processingEnv)) {
            write(Manifests.REPLICA_RESOURCE, manifest, type);
        }
    }

    private Optional<ContractManifest> contractOf(TypeElement type, String prefix, String at, Problems problems) {
        if (type.getAnnotation(Contract.class) == null) {
            problems.add(at + ": " + type.getQualifiedName() + " is not a contract (no @Contract)");
            return Optional.empty();
        }
        Contract c = type.getAnnotation(Contract.class);
        Optional<ContractManifest> built = readContractFromClassPath(c.name() + ".v" + c.version());
        if (built.isEmpty()) {
            built = contract(type, prefix, false);
        }
        if (built.isEmpty()) {
            problems.add(at + ": contract " + type.getQualifiedName() + " is invalid (see its errors)");
        }
        return built;
    }

    /** A contract compiled elsewhere carries its manifest: use it, with the identity it was built with. */
    private Optional<ContractManifest> readContractFromClassPath(String key) {
        try {
            FileObject file = processingEnv.getFiler().getResource(StandardLocation.CLASS_PATH, "",
                    Manifests.contractResource(key));
            try (InputStream in = file.openInputStream()) {
                return Optional.of(Manifests.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8),
                        ContractManifest.class, file.getName()));
            }
        } catch (IOException | IllegalArgumentException e) {
            return Optional.empty(); // not on the class path: compiled in this round
        } catch (ManifestException e) {
            processingEnv.getMessager().printMessage(Diagnostic.Kind.ERROR, "ReSide: " + e.getMessage());
            return Optional.empty();
        }
    }

    private Optional<ReplicaManifest.StaticPermission> staticPermission(Replica.Grant g, ContractManifest contract,
            String at, Problems problems) {
        String where = at + " requests permission '" + g.name() + "'";
        ContractManifest.Permission def = contract.permissions().get(g.name());
        if (def == null) {
            problems.add(where + ", which contract " + contract.identity() + " does not define (it defines: "
                    + (contract.permissions().isEmpty() ? "none" : String.join(", ", contract.permissions().keySet()))
                    + ")");
            return Optional.empty();
        }
        ObjectNode params = JSON.objectNode();
        for (Replica.Param p : g.params()) {
            ObjectNode property = (ObjectNode) def.params().path("properties").get(p.name());
            if (property == null) {
                problems.add(where + " with param '" + p.name() + "', which the permission does not have");
                continue;
            }
            String type = property.path("type").asText();
            String value = p.value();
            try {
                switch (type) {
                    case "integer" -> params.put(p.name(), Long.parseLong(value));
                    case "number" -> params.put(p.name(), Double.parseDouble(value));
                    case "boolean" -> {
                        if (!value.equals("true") && !value.equals("false")) {
                            throw new NumberFormatException();
                        }
                        params.put(p.name(), Boolean.parseBoolean(value));
                    }
                    case "string" -> params.put(p.name(), value);
                    default -> problems.add(where + ": param '" + p.name() + "' of type " + type
                            + " cannot be set in a static permission");
                }
            } catch (NumberFormatException e) {
                problems.add(where + ": param '" + p.name() + "' must be " + type + ", got '" + value + "'");
            }
        }
        // {replica.name} becomes a DNS label at load time: validate with one in its place
        ObjectNode substituted = params.deepCopy();
        substituted.fields().forEachRemaining(f -> {
            if (f.getValue().isTextual() && f.getValue().asText().contains(PLACEHOLDER)) {
                f.setValue(JSON.textNode(f.getValue().asText().replace(PLACEHOLDER, "replica")));
            }
        });
        List<String> invalid = PermissionParams.validate(def.params(), substituted);
        invalid.forEach(problem -> problems.add(where + ": " + problem));
        if (!invalid.isEmpty()) {
            return Optional.empty();
        }
        try {
            return Optional.of(new ReplicaManifest.StaticPermission(g.name(), params,
                    PermissionParams.instanceId(def.instanceKeys(), params)));
        } catch (IllegalArgumentException e) {
            problems.add(where + ": " + e.getMessage());
            return Optional.empty();
        }
    }

    // ---------------------------------------------------------------- helpers

    private Map<String, DisplayText> displayInfo(DisplayInfo info, String at, Problems problems) {
        Map<String, DisplayText> texts = new LinkedHashMap<>();
        text("en", info.en(), at, texts, problems);
        text("ru", info.ru(), at, texts, problems);
        for (LocalizedText other : info.others()) {
            if (texts.containsKey(other.locale())) {
                problems.add(at + ": locale '" + other.locale() + "' is given twice");
            }
            texts.put(other.locale(), new DisplayText(other.title(), other.description()));
            check(other.locale(), other.title(), other.description(), at, problems);
        }
        return texts;
    }

    private static void text(String locale, Text text, String at, Map<String, DisplayText> texts, Problems problems) {
        texts.put(locale, new DisplayText(text.title(), text.description()));
        check(locale, text.title(), text.description(), at, problems);
    }

    private static void check(String locale, String title, String description, String at, Problems problems) {
        if (title.isBlank()) {
            problems.add(at + "." + locale + ".title must not be empty (en and ru texts are required)");
        }
        if (description.isBlank()) {
            problems.add(at + "." + locale + ".description must not be empty (en and ru texts are required)");
        }
    }

    /**
     * An empty {@code META-INF/beans.xml} makes Quarkus index the contract's jar when a replica is built, so that it
     * sees the JAX-RS annotations of the interface and serves it (without an index, a replica implementing the
     * contract would serve none of its methods). The contract module needs no Jandex plugin. Not written when the
     * module has a beans.xml of its own.
     */
    private void writeBeansXml(Element origin) {
        if (beansXmlWritten) {
            return;
        }
        beansXmlWritten = true;
        try (InputStream existing = processingEnv.getFiler().getResource(StandardLocation.CLASS_OUTPUT, "", BEANS_XML)
                .openInputStream()) {
            return; // the module's own (copied from its resources)
        } catch (IOException | IllegalArgumentException e) {
            // none: write ours
        }
        writeText(BEANS_XML, """
                <?xml version="1.0" encoding="UTF-8"?>
                <!-- Written by reside-manifest-processor: Quarkus indexes a jar with a beans.xml, and so serves the
                     JAX-RS interfaces of the contracts in it. A contract declares no beans. -->
                <beans xmlns="https://jakarta.ee/xml/ns/jakartaee" version="4.0" bean-discovery-mode="annotated"/>
                """, origin);
    }

    private void write(String resource, Manifest manifest, Element origin) {
        writeText(resource, Manifests.toJson(manifest), origin);
    }

    private void writeText(String resource, String text, Element origin) {
        try {
            FileObject file = processingEnv.getFiler().createResource(StandardLocation.CLASS_OUTPUT, "", resource,
                    origin);
            try (Writer w = file.openWriter()) {
                w.write(text);
            }
        } catch (IOException e) {
            processingEnv.getMessager().printMessage(Diagnostic.Kind.ERROR,
                    "ReSide: cannot write " + resource + ": " + e.getMessage(), origin);
        }
    }

    private TypeElement typeOf(Runnable classAccess) {
        try {
            classAccess.run();
            throw new IllegalStateException("class member did not throw MirroredTypeException");
        } catch (MirroredTypeException e) {
            return (TypeElement) processingEnv.getTypeUtils().asElement(e.getTypeMirror());
        }
    }

    private static boolean hasAnnotation(Element e, String qualifiedName) {
        return mirror(e, qualifiedName).isPresent();
    }

    private static Optional<String> annotationString(Element e, String qualifiedName) {
        return mirror(e, qualifiedName).flatMap(a -> a.getElementValues().entrySet().stream()
                .filter(v -> v.getKey().getSimpleName().contentEquals("value"))
                .map(v -> (String) ((AnnotationValue) v.getValue()).getValue()).findFirst());
    }

    private static Optional<? extends AnnotationMirror> mirror(Element e, String qualifiedName) {
        return e.getAnnotationMirrors().stream()
                .filter(a -> ((TypeElement) a.getAnnotationType().asElement()).getQualifiedName()
                        .contentEquals(qualifiedName))
                .findFirst();
    }

    /** The problems of one declaration, reported as compilation errors on it. */
    private static final class Problems {
        private final Element element;
        private final String subject;
        private final List<String> list = new ArrayList<>();

        Problems(Element element, String subject) {
            this.element = element;
            this.subject = subject;
        }

        void add(String problem) {
            list.add(problem);
        }

        boolean isEmpty() {
            return list.isEmpty();
        }

        /** @return whether there were problems */
        boolean report(javax.annotation.processing.ProcessingEnvironment env) {
            for (String problem : list) {
                env.getMessager().printMessage(Diagnostic.Kind.ERROR, "ReSide " + subject + ": " + problem, element);
            }
            return !list.isEmpty();
        }
    }
}
