package io.reside.secretary.alpha;

import io.reside.contracts.alpha.v1.AlphaApi;
import io.reside.contracts.telegram.v1.TelegramApi;
import io.reside.contracts.telegramhandler.v1.TelegramHandlerApi;
import io.reside.contracts.usermanager.v1.UserManagerApi;
import io.reside.model.annotation.DisplayInfo;
import io.reside.model.annotation.Replica;
import io.reside.model.annotation.ReplicaClass;
import io.reside.model.annotation.Text;

/**
 * Alpha's secretary (SPEC 7): the cluster in Telegram. It holds no permission on Alpha at all: every call to Alpha is
 * made as the person asking, through a delegation of the User Manager.
 */
@Replica(
        name = "alpha-secretary",
        replicaClass = ReplicaClass.LONG_RUNNING,
        exclusive = true,
        scalable = true,
        displayInfo = @DisplayInfo(
                en = @Text(
                        title = "Alpha secretary",
                        description = "The replicas, contracts and loads of the "
                                + "cluster, in Telegram"),
                ru = @Text(
                        title = "Секретарь Альфы",
                        description = "Реплики, контракты и загрузки кластера в "
                                + "Телеграме")),
        implementations = @Replica.Implementation(key = "handler", contract = TelegramHandlerApi.class),
        requirements = {
                @Replica.Requirement(
                        key = "telegram",
                        contract = TelegramApi.class,
                        permissions = @Replica.Grant(
                                name = "handler:setup",
                                params = @Replica.Param(name = "name", value = "{replica.name}"))),
                @Replica.Requirement(
                        key = "users",
                        contract = UserManagerApi.class,
                        permissions = {
                                @Replica.Grant(
                                        name = "realm:read",
                                        params = @Replica.Param(name = "name", value = "telegram")),
                                @Replica.Grant(
                                        name = "user:read:realm",
                                        params = @Replica.Param(name = "realm", value = "telegram")),
                                @Replica.Grant(
                                        name = "user:impersonate:realm",
                                        params = @Replica.Param(name = "realm", value = "telegram")) }),
                @Replica.Requirement(key = "alpha", contract = AlphaApi.class) })
public class AlphaSecretaryReplica {
}
