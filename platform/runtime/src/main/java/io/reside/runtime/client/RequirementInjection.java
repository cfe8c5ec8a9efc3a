package io.reside.runtime.client;

import java.util.LinkedHashMap;
import java.util.Map;

import jakarta.enterprise.inject.Instance;
import jakarta.enterprise.inject.build.compatible.spi.BeanInfo;
import jakarta.enterprise.inject.build.compatible.spi.BuildCompatibleExtension;
import jakarta.enterprise.inject.build.compatible.spi.InjectionPointInfo;
import jakarta.enterprise.inject.build.compatible.spi.Parameters;
import jakarta.enterprise.inject.build.compatible.spi.Registration;
import jakarta.enterprise.inject.build.compatible.spi.Synthesis;
import jakarta.enterprise.inject.build.compatible.spi.SyntheticBeanCreator;
import jakarta.enterprise.inject.build.compatible.spi.SyntheticComponents;
import jakarta.enterprise.lang.model.AnnotationInfo;
import jakarta.enterprise.lang.model.declarations.ClassInfo;
import jakarta.inject.Singleton;

/**
 * Makes {@code @Inject @Requirement("key") SomeApi api} work: at build time, for every such injection point, a
 * synthetic bean of the contract type with that qualifier, whose instance is the requirement's proxy
 * ({@link RequirementClients#client}). A CDI build-compatible extension, run by Quarkus during the build.
 */
public class RequirementInjection implements BuildCompatibleExtension {

    private final Map<String, ClassInfo> wanted = new LinkedHashMap<>();

    @Registration(types = Object.class)
    public void collect(BeanInfo bean) {
        for (InjectionPointInfo point : bean.injectionPoints()) {
            for (AnnotationInfo qualifier : point.qualifiers()) {
                if (qualifier.name().equals(Requirement.class.getName()) && point.type().isClass()) {
                    ClassInfo contract = point.type().asClass().declaration();
                    wanted.put(qualifier.value().asString() + "#" + contract.name(), contract);
                }
            }
        }
    }

    @Synthesis
    public void register(SyntheticComponents components) {
        wanted.forEach((id, contract) -> {
            String key = id.substring(0, id.indexOf('#'));
            components.addBean(Object.class)
                    .type(contract)
                    .qualifier(RequirementLiteral.of(key))
                    .scope(Singleton.class)
                    .withParam("key", key)
                    .withParam("contract", contract)
                    .createWith(Creator.class);
        });
    }

    /** Creates the proxy at run time. */
    public static class Creator implements SyntheticBeanCreator<Object> {
        @Override
        public Object create(Instance<Object> lookup, Parameters params) {
            return lookup.select(RequirementClients.class).get().client(params.get("key", String.class),
                    params.get("contract", Class.class));
        }
    }

    /** An instance of the qualifier. */
    @SuppressWarnings("all") // an annotation literal implements the annotation interface by hand
    static final class RequirementLiteral extends jakarta.enterprise.util.AnnotationLiteral<Requirement>
            implements Requirement {
        private final String value;

        private RequirementLiteral(String value) {
            this.value = value;
        }

        static RequirementLiteral of(String value) {
            return new RequirementLiteral(value);
        }

        @Override
        public String value() {
            return value;
        }
    }
}
