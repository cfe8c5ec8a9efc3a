package io.reside.it.consumer;

import io.reside.it.echo.EchoApi;
import io.reside.model.annotation.DisplayInfo;
import io.reside.model.annotation.Replica;
import io.reside.model.annotation.Text;

/** Exclusive and not scalable (the provider is neither), so that Alpha's tests cover both kinds of replica. */
@Replica(
        name = "consumer",
        exclusive = true,
        scalable = false,
        displayInfo = @DisplayInfo(
                en = @Text(title = "Consumer", description = "Requires echo.v1, for tests"),
                ru = @Text(title = "Потребитель", description = "Требует echo.v1, для тестов")),
        requirements = @Replica.Requirement(
                key = "echo",
                contract = EchoApi.class,
                permissions = @Replica.Grant(name = "echo:call")))
public class ConsumerReplica {
}
