package io.reside.it.telegram;

import io.reside.contracts.telegram.v1.TelegramApi;
import io.reside.contracts.telegramhandler.v1.TelegramHandlerApi;
import io.reside.contracts.usermanager.v1.UserManagerApi;
import io.reside.model.annotation.DisplayInfo;
import io.reside.model.annotation.Replica;
import io.reside.model.annotation.ReplicaClass;
import io.reside.model.annotation.Text;

/**
 * A test handler: answers {@code /ping}. Not exclusive, so tests load it several times: an instance whose name starts
 * with {@code slow} is offered updates first and answers too late, one starting with {@code failing} fails.
 */
@Replica(
        name = "ping",
        replicaClass = ReplicaClass.LONG_RUNNING,
        exclusive = false,
        scalable = true,
        displayInfo = @DisplayInfo(
                en = @Text(title = "Ping", description = "Answers /ping"),
                ru = @Text(title = "Пинг", description = "Отвечает на /ping")),
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
                        permissions = @Replica.Grant(
                                name = "user:impersonate:realm",
                                params = @Replica.Param(name = "realm", value = "telegram"))) })
public class PingReplica {
}
