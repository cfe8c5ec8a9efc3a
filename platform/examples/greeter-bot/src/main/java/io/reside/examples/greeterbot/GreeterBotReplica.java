package io.reside.examples.greeterbot;

import io.reside.contracts.telegram.v1.TelegramApi;
import io.reside.contracts.telegramhandler.v1.TelegramHandlerApi;
import io.reside.contracts.usermanager.v1.UserManagerApi;
import io.reside.examples.greeter.GreeterApi;
import io.reside.model.annotation.DisplayInfo;
import io.reside.model.annotation.Replica;
import io.reside.model.annotation.ReplicaClass;
import io.reside.model.annotation.Text;

/**
 * The chat of docs/getting-started.md: {@code /greet <name>} asks greeter.v1 as the person who wrote it. It asks the
 * telegram replica to be a handler, the User Manager to act as the people of realm telegram, and nothing of the
 * greeter: its calls there run as the person, with the person's permissions.
 */
@Replica(
        name = "greeter-bot",
        replicaClass = ReplicaClass.LONG_RUNNING,
        exclusive = true,
        scalable = true,
        displayInfo = @DisplayInfo(
                en = @Text(title = "Greeter bot", description = "/greet in the chat"),
                ru = @Text(title = "Бот приветствий", description = "/greet в чате")),
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
                                params = @Replica.Param(name = "realm", value = "telegram"))),
                @Replica.Requirement(key = "greeter", contract = GreeterApi.class) })
public class GreeterBotReplica {
}
