package io.reside.telegram;

import io.reside.contracts.telegram.v1.TelegramApi;
import io.reside.contracts.usermanager.v1.UserManagerApi;
import io.reside.model.annotation.DisplayInfo;
import io.reside.model.annotation.Replica;
import io.reside.model.annotation.ReplicaClass;
import io.reside.model.annotation.Text;

/**
 * The bot gateway (SPEC 6.3): one instance per bot (not exclusive: several bots, several instances), scalable (during
 * an update two versions run; one of them polls, under a lock per bot). People who write to the bot become managed
 * users of realm {@code telegram} through the User Manager.
 */
@Replica(
        name = "telegram",
        replicaClass = ReplicaClass.LONG_RUNNING,
        exclusive = false,
        scalable = true,
        displayInfo = @DisplayInfo(
                en = @Text(
                        title = "Telegram",
                        description = "The bot: people's messages to handlers, their answers "
                                + "back"),
                ru = @Text(title = "Телеграм", description = "Бот: сообщения людей обработчикам, их ответы")),
        implementations = @Replica.Implementation(key = "telegram", contract = TelegramApi.class),
        requirements = @Replica.Requirement(
                key = "users",
                contract = UserManagerApi.class,
                permissions = {
                        @Replica.Grant(
                                name = "realm:manage",
                                params = @Replica.Param(name = "name", value = "telegram")),
                        @Replica.Grant(
                                name = "user:read:realm",
                                params = @Replica.Param(name = "realm", value = "telegram")),
                        @Replica.Grant(
                                name = "user:create:realm",
                                params = @Replica.Param(name = "realm", value = "telegram")) }))
public class TelegramReplica {
}
