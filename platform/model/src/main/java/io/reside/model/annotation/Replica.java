package io.reside.model.annotation;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Declares the replica a module builds, identity {@code <prefix>/replicas/<name>}: what it implements, what it
 * requires, and how it runs. Put it on one class of the replica (its application class, say). The manifest
 * {@code META-INF/reside/manifest.json} is generated from it at build time.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
public @interface Replica {
    /** The default technical name of instances: a DNS label that starts with a letter, at most 40 characters. */
    String name();

    /** {@code LONG_RUNNING} runs as a Deployment, {@code ONESHOT} as a Job. */
    ReplicaClass replicaClass() default ReplicaClass.LONG_RUNNING;

    /** One instance per cluster: loading it again updates that instance. */
    boolean exclusive() default false;

    /** May run old and new versions side by side during an update. */
    boolean scalable() default true;

    DisplayInfo displayInfo();

    Implementation[] implementations() default {};

    Requirement[] requirements() default {};

    /** A contract this replica serves, under a key. */
    @Retention(RetentionPolicy.RUNTIME)
    @Target({})
    @interface Implementation {
        String key();

        /** The contract interface (annotated {@link Contract}). */
        Class<?> contract();
    }

    /** A contract this replica calls, under a key, with the permissions it asks for. */
    @Retention(RetentionPolicy.RUNTIME)
    @Target({})
    @interface Requirement {
        String key();

        /** The contract interface (annotated {@link Contract}). */
        Class<?> contract();

        /** The replica works without an implementor. */
        boolean optional() default false;

        /** Every implementor, not just one. */
        boolean multiple() default false;

        /** Static permissions, granted when the load request is approved. */
        Grant[] permissions() default {};
    }

    /**
     * A permission requested from the required contract. Param values are strings converted to the param's type;
     * {@code {replica.name}} is replaced by the instance's name when it is loaded.
     */
    @Retention(RetentionPolicy.RUNTIME)
    @Target({})
    @interface Grant {
        String name();

        Param[] params() default {};
    }

    @Retention(RetentionPolicy.RUNTIME)
    @Target({})
    @interface Param {
        String name();

        String value();
    }
}
