package io.reside.examples.greeter.replica;

import io.reside.examples.greeter.GreeterApi;
import io.reside.model.annotation.DisplayInfo;
import io.reside.model.annotation.Replica;
import io.reside.model.annotation.ReplicaClass;
import io.reside.model.annotation.Text;

/** The replica's declaration: its manifest is generated from it. */
@Replica(
        name = "greeter",
        replicaClass = ReplicaClass.LONG_RUNNING,
        exclusive = false,
        scalable = true,
        displayInfo = @DisplayInfo(
                en = @Text(title = "Greeter", description = "Greets people"),
                ru = @Text(title = "Приветствие", description = "Приветствует людей")),
        implementations = @Replica.Implementation(key = "greeter", contract = GreeterApi.class))
public class GreeterReplica {
}
