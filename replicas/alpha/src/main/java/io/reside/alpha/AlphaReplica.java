package io.reside.alpha;

import io.reside.contracts.alpha.v1.AlphaApi;
import io.reside.model.annotation.DisplayInfo;
import io.reside.model.annotation.Replica;
import io.reside.model.annotation.ReplicaClass;
import io.reside.model.annotation.Text;

/** Alpha: the root of trust of a cluster. It requires nothing; it implements alpha.v1. */
@Replica(
        name = "alpha",
        replicaClass = ReplicaClass.LONG_RUNNING,
        exclusive = true,
        scalable = true,
        displayInfo = @DisplayInfo(
                en = @Text(title = "Alpha", description = "Loads replicas from images, wires, grants and runs them"),
                ru = @Text(title = "Альфа", description = "Загружает реплики из образов, связывает и запускает их")),
        implementations = @Replica.Implementation(key = "alpha", contract = AlphaApi.class))
public class AlphaReplica {
}
