package io.reside.it.oneshot;

import io.reside.model.annotation.DisplayInfo;
import io.reside.model.annotation.Replica;
import io.reside.model.annotation.ReplicaClass;
import io.reside.model.annotation.Text;

/** A test replica of class oneshot: it does its job once and exits (a Job on Kubernetes, a process locally). */
@Replica(
        name = "oneshot",
        replicaClass = ReplicaClass.ONESHOT,
        displayInfo = @DisplayInfo(
                en = @Text(title = "Oneshot", description = "Records one run and exits"),
                ru = @Text(title = "Разовая", description = "Записывает один запуск и завершается")))
public class OneshotReplica {
}
