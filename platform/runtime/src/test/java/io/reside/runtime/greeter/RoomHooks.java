package io.reside.runtime.greeter;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import jakarta.enterprise.context.ApplicationScoped;

import io.reside.permissions.Grant;
import io.reside.permissions.PermissionHooks;
import io.reside.runtime.PermissionHook;

/** Opens a room when someone is granted entry (the hook a replica uses to set things up). */
@ApplicationScoped
@PermissionHook(contract = GreeterApi.class, permission = "room:enter")
public class RoomHooks implements PermissionHooks {

    private final List<String> opened = new CopyOnWriteArrayList<>();

    /** The rooms opened, as "room for grantee" (a method: fields are not reachable through the CDI proxy). */
    public List<String> opened() {
        return List.copyOf(opened);
    }

    @Override
    public void onGranted(Grant grant) {
        opened.add(grant.params(GreeterApi.RoomParams.class).room() + " for " + grant.grantee());
    }
}
