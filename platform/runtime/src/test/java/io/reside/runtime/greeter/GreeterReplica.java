package io.reside.runtime.greeter;

import io.reside.model.annotation.DisplayInfo;
import io.reside.model.annotation.Replica;
import io.reside.model.annotation.Text;

@Replica(
        name = "greeter",
        displayInfo = @DisplayInfo(
                en = @Text(title = "Greeter", description = "A test replica"),
                ru = @Text(title = "Приветствие", description = "Тестовая реплика")),
        implementations = @Replica.Implementation(key = "greeter", contract = GreeterApi.class),
        requirements = @Replica.Requirement(key = "self", contract = GreeterApi.class, optional = true))
public class GreeterReplica {
}
