package io.reside.it.provider;

import io.reside.it.echo.EchoApi;
import io.reside.model.annotation.DisplayInfo;
import io.reside.model.annotation.Replica;
import io.reside.model.annotation.Text;

@Replica(
        name = "provider",
        displayInfo = @DisplayInfo(
                en = @Text(title = "Provider", description = "Implements echo.v1 for tests"),
                ru = @Text(title = "Поставщик", description = "Реализует echo.v1 для тестов")),
        implementations = @Replica.Implementation(key = "echo", contract = EchoApi.class))
public class ProviderReplica {
}
