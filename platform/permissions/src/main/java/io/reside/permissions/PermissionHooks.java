package io.reside.permissions;

/**
 * What the implementing replica does when a permission of one of its contracts is granted, changed or revoked (e.g.
 * the Telegram replica creates a handler when {@code handler:setup} is granted). Called by the
 * {@link PermissionReconciler}, one call at a time.
 * <p>
 * <b>Hooks must be idempotent.</b> A hook is called at least once per change: if the process dies after a hook
 * returned but before its result was recorded, the hook is called again after the restart (never for a change whose
 * result was recorded). A hook that throws is retried with backoff; other grants go on meanwhile.
 */
public interface PermissionHooks {

    PermissionHooks NONE = new PermissionHooks() {
    };

    /** The grant is now expected; until this returns, checks for it fail. */
    default void onGranted(Grant grant) {
    }

    /** The params of a granted permission changed (its instance did not: that is another grant). */
    default void onUpdated(Grant now, Grant before) {
    }

    /** The grant is no longer expected; checks for it already fail. */
    default void onRevoked(Grant grant) {
    }
}
