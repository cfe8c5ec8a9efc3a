package io.reside.usermanager;

import io.reside.contracts.alpha.v1.AlphaApi;
import io.reside.contracts.usermanager.v1.UserManagerApi;
import io.reside.model.annotation.DisplayInfo;
import io.reside.model.annotation.Replica;
import io.reside.model.annotation.ReplicaClass;
import io.reside.model.annotation.Text;

/**
 * The User Manager (SPEC 6.2): one per cluster (Alpha designates it as the issuer of delegations when it loads it),
 * scalable (during an update two versions serve; the grant sync runs in one of them, under a lock). It holds
 * {@code rcb:manage:all} on Alpha to write people's grants for the implementing replicas.
 */
@Replica(
        name = "user-manager",
        replicaClass = ReplicaClass.LONG_RUNNING,
        exclusive = true,
        scalable = true,
        displayInfo = @DisplayInfo(
                en = @Text(title = "User Manager", description = "People, realms, their permissions and delegations"),
                ru = @Text(title = "Менеджер пользователей", description = "Люди, области, их права и делегирование")),
        implementations = @Replica.Implementation(key = "users", contract = UserManagerApi.class),
        requirements = @Replica.Requirement(
                key = "alpha",
                contract = AlphaApi.class,
                permissions = @Replica.Grant(name = "rcb:manage:all")))
public class UserManagerReplica {
}
