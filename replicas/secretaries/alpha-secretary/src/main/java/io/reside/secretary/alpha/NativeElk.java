package io.reside.secretary.alpha;

import io.quarkus.runtime.annotations.RegisterForReflection;

/**
 * For a native image: ELK finds its option providers with {@code ServiceLoader} (the service files are included as
 * resources in {@code application.properties}) and creates them by reflection. The layered algorithm itself is
 * called directly ({@link GraphPicture}), not looked up.
 */
@RegisterForReflection(
        targets = { org.eclipse.elk.core.options.CoreOptions.class,
                org.eclipse.elk.alg.layered.options.LayeredMetaDataProvider.class,
                org.eclipse.elk.alg.common.compaction.options.PolyominoOptions.class,
                org.eclipse.elk.core.labels.LabelManagementOptions.class })
final class NativeElk {

    private NativeElk() {
    }
}
