package io.reside.model.annotation;

/** How a replica runs. */
public enum ReplicaClass {
    /** A service: a Kubernetes Deployment. */
    LONG_RUNNING("long-running"),
    /** A task that completes: a Kubernetes Job. */
    ONESHOT("oneshot");

    private final String json;

    ReplicaClass(String json) {
        this.json = json;
    }

    /** The value in manifests. */
    public String json() {
        return json;
    }

    public static ReplicaClass fromJson(String value) {
        for (ReplicaClass c : values()) {
            if (c.json.equals(value)) {
                return c;
            }
        }
        throw new IllegalArgumentException("replica class must be 'long-running' or 'oneshot', got '" + value + "'");
    }
}
