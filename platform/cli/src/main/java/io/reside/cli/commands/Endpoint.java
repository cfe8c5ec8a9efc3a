package io.reside.cli.commands;

import io.reside.cli.cluster.Connection;
import io.reside.contracts.alpha.v1.AlphaApi;

/** Where a replica answers, as a suffix for a line of output. */
final class Endpoint {

    private Endpoint() {
    }

    /** {@code " at http://..."} in the connection's access context, or nothing when it has no such endpoint. */
    static String of(AlphaApi.Replica replica, Connection connection) {
        String e = replica.endpoints().get(connection.accessContext());
        return e == null ? "" : " at " + e;
    }
}
