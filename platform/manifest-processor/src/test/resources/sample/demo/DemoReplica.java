package demo;

import io.reside.model.annotation.DisplayInfo;
import io.reside.model.annotation.Replica;
import io.reside.model.annotation.Replica.Grant;
import io.reside.model.annotation.Replica.Implementation;
import io.reside.model.annotation.Replica.Param;
import io.reside.model.annotation.Replica.Requirement;
import io.reside.model.annotation.ReplicaClass;
import io.reside.model.annotation.Text;

@Replica(name = "demo", replicaClass = ReplicaClass.LONG_RUNNING, exclusive = true, scalable = false,
        displayInfo = @DisplayInfo(en = @Text(title = "Demo replica", description = "Serves the demo contract"),
                ru = @Text(title = "Демо-реплика", description = "Обслуживает демо-контракт")),
        implementations = @Implementation(key = "demo", contract = DemoApi.class),
        requirements = @Requirement(key = "peers", contract = DemoApi.class, optional = true, multiple = true,
                permissions = {
                        @Grant(name = "item:read:all"),
                        @Grant(name = "realm:read", params = @Param(name = "name", value = "telegram")),
                        @Grant(name = "handler:setup", params = {
                                @Param(name = "name", value = "{replica.name}"),
                                @Param(name = "limit", value = "5"),
                                @Param(name = "enabled", value = "true") })
                }))
public class DemoReplica {
}
