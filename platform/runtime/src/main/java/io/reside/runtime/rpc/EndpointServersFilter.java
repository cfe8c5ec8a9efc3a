package io.reside.runtime.rpc;

import org.eclipse.microprofile.config.ConfigProvider;
import org.eclipse.microprofile.openapi.OASFactory;
import org.eclipse.microprofile.openapi.OASFilter;
import org.eclipse.microprofile.openapi.models.OpenAPI;

import io.quarkus.smallrye.openapi.OpenApiFilter;
import io.reside.runtime.ResideConfig;
import io.smallrye.config.SmallRyeConfig;

/**
 * Lists this instance's endpoints ({@code RESIDE_ENDPOINT_INTERNAL}, {@code RESIDE_ENDPOINT_EXTERNAL}) as the servers
 * of its OpenAPI document. Runs when the application starts, since the endpoints are known only then.
 */
@OpenApiFilter(OpenApiFilter.RunStage.RUN)
public class EndpointServersFilter implements OASFilter {

    @Override
    public void filterOpenAPI(OpenAPI openAPI) {
        ResideConfig.Endpoint endpoint = ConfigProvider.getConfig().unwrap(SmallRyeConfig.class)
                .getConfigMapping(ResideConfig.class).endpoint();
        endpoint.internal().ifPresent(uri -> openAPI.addServer(OASFactory.createServer().url(uri.toString())
                .description("inside the cluster (Kubernetes Service)")));
        endpoint.external().ifPresent(uri -> openAPI.addServer(OASFactory.createServer().url(uri.toString())
                .description("from outside (Ingress)")));
    }
}
