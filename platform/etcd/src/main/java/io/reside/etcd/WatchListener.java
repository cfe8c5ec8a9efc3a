package io.reside.etcd;

import java.util.List;

/**
 * Receives what a watch sees. Calls come one at a time, in revision order, on the watch's own thread (never a
 * gRPC or Vert.x event-loop thread), so a listener may block and may call the store. An exception it throws is
 * logged and the watch goes on.
 */
public interface WatchListener {

    /** Changes in revision order; each revision is delivered exactly once. */
    void onEvents(List<WatchEvent> events);

    /**
     * The complete current state of the watched key or prefix at {@code revision}: sent first when
     * {@link WatchOptions#initialSnapshot()} is set, and whenever the revision to resume from was compacted away
     * (so changes in between cannot be replayed). Replace what you hold with it; events after it follow.
     */
    void onReset(long revision, List<KeyValue> state);
}
