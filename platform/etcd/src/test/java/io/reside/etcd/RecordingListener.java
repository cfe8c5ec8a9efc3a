package io.reside.etcd;

import java.util.ArrayList;
import java.util.List;

/** Records what a watch delivers, for assertions. */
final class RecordingListener implements WatchListener {

    private final List<WatchEvent> events = new ArrayList<>();
    private final List<Long> resets = new ArrayList<>();
    private List<KeyValue> lastState = List.of();

    @Override
    public synchronized void onEvents(List<WatchEvent> batch) {
        events.addAll(batch);
    }

    @Override
    public synchronized void onReset(long revision, List<KeyValue> state) {
        resets.add(revision);
        lastState = state;
    }

    synchronized List<WatchEvent> events() {
        return List.copyOf(events);
    }

    synchronized List<String> describe() {
        return events.stream().map(e -> e.type() + " " + e.kv().key()
                + (e.type() == WatchEvent.Type.PUT ? "=" + e.kv().decode(TestStores.COUNTER).value() : "")).toList();
    }

    synchronized List<Long> resets() {
        return List.copyOf(resets);
    }

    synchronized List<KeyValue> lastState() {
        return lastState;
    }
}
