package io.reside.manifest.processor;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import javax.annotation.processing.ProcessingEnvironment;
import javax.lang.model.element.Element;
import javax.lang.model.element.ElementKind;
import javax.lang.model.element.ExecutableElement;
import javax.lang.model.element.Modifier;
import javax.lang.model.element.RecordComponentElement;
import javax.lang.model.element.TypeElement;
import javax.lang.model.element.VariableElement;
import javax.lang.model.type.ArrayType;
import javax.lang.model.type.DeclaredType;
import javax.lang.model.type.TypeMirror;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;

/**
 * GraalVM native-image configuration of a contract, so that a replica built as a native image still reads and writes
 * the contract's JSON and can create its client proxy: the data types reachable from the contract's methods and
 * permission params (records, classes and enums outside the JDK and Jakarta, through type arguments, arrays, record
 * components and fields) are registered for reflection, and the interface for dynamic proxies
 * ({@code io.reside.runtime.client.RequirementClients} builds a {@link java.lang.reflect.Proxy} of it). native-image
 * reads these files from {@code META-INF/native-image/} of every jar on its class path; Quarkus already registers the
 * types of the methods a replica serves, but not those only used through a client proxy or our own Jackson mapper.
 */
final class NativeImageConfig {

    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

    private final ProcessingEnvironment env;
    private final Set<TypeElement> types = new LinkedHashSet<>();

    NativeImageConfig(ProcessingEnvironment env) {
        this.env = env;
    }

    /** The reflection and proxy configuration of {@code contract}, whose permission params are {@code params}. */
    static String[] of(ProcessingEnvironment env, TypeElement contract, List<TypeElement> params) {
        NativeImageConfig c = new NativeImageConfig(env);
        for (Element e : contract.getEnclosedElements()) {
            if (e.getKind() == ElementKind.METHOD && e.getModifiers().contains(Modifier.ABSTRACT)) {
                ExecutableElement m = (ExecutableElement) e;
                c.add(m.getReturnType());
                m.getParameters().forEach(p -> c.add(p.asType()));
            }
        }
        params.forEach(p -> c.add(p.asType()));
        ArrayNode reflect = JSON.arrayNode();
        List<String> names = new ArrayList<>();
        c.types.forEach(t -> names.add(env.getElementUtils().getBinaryName(t).toString()));
        names.stream().sorted().forEach(name -> reflect.addObject().put("name", name)
                .put("allDeclaredConstructors", true).put("allDeclaredMethods", true).put("allDeclaredFields", true));
        ArrayNode proxy = JSON.arrayNode();
        proxy.addObject().putArray("interfaces").add(env.getElementUtils().getBinaryName(contract).toString());
        return new String[] { reflect.toPrettyString() + "\n", proxy.toPrettyString() + "\n" };
    }

    private void add(TypeMirror type) {
        if (type instanceof ArrayType array) {
            add(array.getComponentType());
            return;
        }
        if (!(type instanceof DeclaredType declared)) {
            return; // primitives, void, type variables
        }
        declared.getTypeArguments().forEach(this::add);
        TypeElement element = (TypeElement) declared.asElement();
        if (isPlatformType(element) || !types.add(element)) {
            return;
        }
        for (Element member : element.getEnclosedElements()) {
            if (member instanceof RecordComponentElement component) {
                add(component.asType());
            } else if (member.getKind() == ElementKind.FIELD && !member.getModifiers().contains(Modifier.STATIC)) {
                add(((VariableElement) member).asType());
            }
        }
        if (element.getSuperclass() instanceof DeclaredType superclass) {
            add(superclass);
        }
    }

    private boolean isPlatformType(TypeElement element) {
        String name = env.getElementUtils().getPackageOf(element).getQualifiedName().toString();
        return name.startsWith("java.") || name.startsWith("javax.") || name.startsWith("jakarta.")
                || name.startsWith("io.smallrye.mutiny") || name.startsWith("com.fasterxml.jackson.");
    }
}
