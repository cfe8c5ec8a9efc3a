package io.reside.secretary.users;

import io.reside.contracts.alpha.v1.AlphaApi;
import io.reside.contracts.telegram.v1.TelegramApi;
import io.reside.contracts.telegramhandler.v1.TelegramHandlerApi;
import io.reside.contracts.usermanager.v1.UserManagerApi;
import io.reside.model.annotation.DisplayInfo;
import io.reside.model.annotation.Replica;
import io.reside.model.annotation.ReplicaClass;
import io.reside.model.annotation.Text;

/**
 * The User Manager's secretary (SPEC 7): a Telegram handler for people's profiles, users and permissions. Its own
 * rights are only what a handler needs (its handler name, reading who wrote to the bot, acting as people of realm
 * {@code telegram}); everything else it does as the person asking.
 */
@Replica(
        name = "user-manager-secretary",
        replicaClass = ReplicaClass.LONG_RUNNING,
        exclusive = true,
        scalable = true,
        displayInfo = @DisplayInfo(
                en = @Text(
                        title = "User Manager secretary",
                        description = "Your profile, people and their "
                                + "permissions, in Telegram"),
                ru = @Text(
                        title = "Секретарь менеджера пользователей",
                        description = "Профиль, люди и их права "
                                + "в Телеграме")),
        implementations = @Replica.Implementation(key = "handler", contract = TelegramHandlerApi.class),
        requirements = {
                @Replica.Requirement(
                        key = "telegram",
                        contract = TelegramApi.class,
                        permissions = {
                                @Replica.Grant(
                                        name = "handler:setup",
                                        params = @Replica.Param(name = "name", value = "{replica.name}")),
                                @Replica.Grant(name = "user:read:all") }),
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
public class UserManagerSecretaryReplica {
}
