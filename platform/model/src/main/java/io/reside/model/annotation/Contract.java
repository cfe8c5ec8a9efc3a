package io.reside.model.annotation;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Declares a JAX-RS interface as a versioned ReSide contract, identity {@code <prefix>/contracts/<name>.v<version>}.
 * The interface must carry {@code @Path("/rpc/<name>.v<version>")}; each of its methods is an RPC method annotated
 * with {@link RpcMethod}, {@code @GET} (pure reads) or {@code @POST} (commands), and {@code @Path("<method name>")}.
 * Permissions are declared with {@link Permission}. The manifest is generated from these declarations at build time
 * by {@code reside-manifest-processor}.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
public @interface Contract {
    /** Lowercase letters, digits and single dashes, e.g. {@code user-manager}. */
    String name();

    /** The major version; a new version is a new contract. */
    int version();

    DisplayInfo displayInfo();
}
