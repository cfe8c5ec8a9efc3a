package io.reside.examples.greeter.replica;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import jakarta.enterprise.context.ApplicationScoped;

import io.reside.examples.greeter.GreeterApi;
import io.reside.permissions.Grant;
import io.reside.permissions.PermissionHooks;
import io.reside.runtime.PermissionHook;

/**
 * The rooms, opened when someone is first granted entry. Hooks must be idempotent: a hook may run again after a
 * restart. (A real replica keeps such state in etcd, through the injected {@code Store}.)
 */
@ApplicationScoped
@PermissionHook(contract = GreeterApi.class, permission = "room:enter")
public class Rooms implements PermissionHooks {

    private final Map<String, List<String>> people = new ConcurrentHashMap<>();

    @Override
    public void onGranted(Grant grant) {
        people.computeIfAbsent(grant.params(GreeterApi.RoomParams.class).room(), r -> new CopyOnWriteArrayList<>());
    }

    void enter(String room, String who) {
        people.computeIfAbsent(room, r -> new CopyOnWriteArrayList<>()).add(who);
    }

    List<String> in(String room) {
        return List.copyOf(people.getOrDefault(room, List.of()));
    }
}
