package io.reside.runtime.security;

import java.lang.annotation.Annotation;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import jakarta.enterprise.inject.build.compatible.spi.AnnotationBuilder;
import jakarta.enterprise.inject.build.compatible.spi.BuildCompatibleExtension;
import jakarta.enterprise.inject.build.compatible.spi.ClassConfig;
import jakarta.enterprise.inject.build.compatible.spi.Enhancement;
import jakarta.enterprise.inject.build.compatible.spi.MethodConfig;
import jakarta.enterprise.lang.model.AnnotationInfo;
import jakarta.enterprise.lang.model.AnnotationMember;
import jakarta.enterprise.lang.model.declarations.ClassInfo;
import jakarta.enterprise.lang.model.declarations.MethodInfo;
import jakarta.enterprise.lang.model.types.Type;

import io.reside.model.annotation.Contract;
import io.reside.model.annotation.Requires;

/**
 * Binds {@link EnforcePermissionInterceptor} to every method of a bean that implements a method of a
 * {@link Contract} interface, carrying the method's {@link Requires}; and {@link RequireCallerInterceptor} to every
 * other JAX-RS resource method that declares no security of its own ({@code @PermitAll}, {@code @RolesAllowed},
 * {@code @DenyAll}, {@code @Authenticated}, {@code @PermissionsAllowed}, on the method or its class): secure by
 * default. Annotations on interface methods do not bind
 * interceptors to implementing classes (CDI), and Quarkus's own {@code @PermissionsAllowed} cannot express ReSide
 * permission names, so we add the binding at build time: a CDI build-compatible extension, run by Quarkus during the
 * build, with no reflection at run time.
 */
public class ContractEnforcementExtension implements BuildCompatibleExtension {

    private static final List<Class<? extends Annotation>> HTTP_METHODS = List.of(jakarta.ws.rs.GET.class,
            jakarta.ws.rs.POST.class, jakarta.ws.rs.PUT.class, jakarta.ws.rs.DELETE.class, jakarta.ws.rs.PATCH.class,
            jakarta.ws.rs.HEAD.class, jakarta.ws.rs.OPTIONS.class);
    private static final List<Class<? extends Annotation>> SECURITY = List.of(
            jakarta.annotation.security.PermitAll.class, jakarta.annotation.security.RolesAllowed.class,
            jakarta.annotation.security.DenyAll.class, io.quarkus.security.Authenticated.class,
            io.quarkus.security.PermissionsAllowed.class);

    @Enhancement(types = Object.class, withSubtypes = true)
    public void bind(ClassConfig config) {
        ClassInfo type = config.info();
        if (type.isInterface() || type.isAnnotation()) {
            return;
        }
        List<ClassInfo> contracts = new ArrayList<>(contractsOf(type, new LinkedHashSet<>()));
        boolean classDeclaresSecurity = SECURITY.stream().anyMatch(type::hasAnnotation);
        for (MethodConfig method : config.methods()) {
            boolean contractMethod = false;
            for (ClassInfo contract : contracts) {
                for (MethodInfo declared : contract.methods()) {
                    if (!declared.isStatic() && sameSignature(declared, method.info())) {
                        method.addAnnotation(binding(contract, declared));
                        contractMethod = true;
                    }
                }
            }
            MethodInfo m = method.info();
            if (!contractMethod && HTTP_METHODS.stream().anyMatch(m::hasAnnotation) && !classDeclaresSecurity
                    && SECURITY.stream().noneMatch(m::hasAnnotation)) {
                method.addAnnotation(RequireCaller.class);
            }
        }
    }

    /** Same name and parameter types (contracts have no overloads, but an implementation may add methods). */
    private static boolean sameSignature(MethodInfo declared, MethodInfo implemented) {
        if (!declared.name().equals(implemented.name())
                || declared.parameters().size() != implemented.parameters().size()) {
            return false;
        }
        for (int i = 0; i < declared.parameters().size(); i++) {
            if (!erasure(declared.parameters().get(i).type()).equals(erasure(implemented.parameters().get(i).type()))) {
                return false;
            }
        }
        return true;
    }

    private static String erasure(Type t) {
        ClassInfo c = declaration(t);
        return c != null ? c.name() : t.toString();
    }

    private static AnnotationInfo binding(ClassInfo contract, MethodInfo method) {
        AnnotationInfo c = contract.annotation(Contract.class);
        AnnotationBuilder binding = AnnotationBuilder.of(EnforcePermission.class)
                .member("contract", c.member("name").asString() + ".v" + c.member("version").asInt());
        AnnotationInfo requires = method.annotation(Requires.class);
        if (requires == null) {
            return binding.build(); // any authenticated caller
        }
        List<String> paths = new ArrayList<>();
        AnnotationMember instance = requires.member("instance");
        if (instance != null) {
            instance.asArray().forEach(m -> paths.add(m.asString()));
        }
        int[] parameters = new int[paths.size()];
        for (int i = 0; i < paths.size(); i++) {
            String first = paths.get(i).split("\\.")[0];
            parameters[i] = -1;
            for (int p = 0; p < method.parameters().size(); p++) {
                if (method.parameters().get(p).name().equals(first)) {
                    parameters[i] = p;
                }
            }
            if (parameters[i] < 0) {
                throw new IllegalStateException("@Requires on " + contract.name() + "." + method.name()
                        + ": instance path '" + paths.get(i) + "' does not start with a parameter name (compile the "
                        + "contract with -parameters)");
            }
        }
        return binding.member("permission", requires.value().asString())
                .member("instance", paths.toArray(String[]::new))
                .member("instanceParameters", parameters)
                .build();
    }

    private static Set<ClassInfo> contractsOf(ClassInfo type, Set<ClassInfo> found) {
        for (Type t : type.superInterfaces()) {
            ClassInfo i = declaration(t);
            if (i == null) {
                continue;
            }
            if (i.hasAnnotation(Contract.class)) {
                found.add(i);
            }
            contractsOf(i, found);
        }
        ClassInfo superClass = type.superClass() == null ? null : declaration(type.superClass());
        if (superClass != null && !superClass.name().equals("java.lang.Object")) {
            contractsOf(superClass, found);
        }
        return found;
    }

    /** The class of a plain or parameterized type ({@code Comparable<X>}), else null. */
    private static ClassInfo declaration(Type t) {
        if (t.isClass()) {
            return t.asClass().declaration();
        }
        if (t.isParameterizedType()) {
            return t.asParameterizedType().declaration();
        }
        return null;
    }
}
