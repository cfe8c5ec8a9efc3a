package io.reside.examples.welcome;

import io.reside.examples.greeter.GreeterApi;
import io.reside.model.annotation.DisplayInfo;
import io.reside.model.annotation.Replica;
import io.reside.model.annotation.ReplicaClass;
import io.reside.model.annotation.Text;

/**
 * A replica that requires greeter.v1 and asks for two permissions on it, granted when Alpha loads it:
 * {@code greet:any}, and {@code room:enter} for a room named after the instance ({@code {replica.name}} is
 * replaced by the instance's name at load time).
 */
@Replica(
        name = "welcome",
        replicaClass = ReplicaClass.LONG_RUNNING,
        exclusive = true,
        scalable = false,
        displayInfo = @DisplayInfo(
                en = @Text(title = "Welcome", description = "Greets everyone when it starts"),
                ru = @Text(title = "Добро пожаловать", description = "Приветствует всех при запуске")),
        requirements = @Replica.Requirement(
                key = "greeter",
                contract = GreeterApi.class,
                permissions = {
                        @Replica.Grant(name = "greet:any"),
                        @Replica.Grant(
                                name = "room:enter",
                                params = @Replica.Param(name = "room", value = "{replica.name}")) }))
public class WelcomeReplica {
}
