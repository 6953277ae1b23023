package org.vfio4j.conformance;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.function.UnaryOperator;
import org.vfio4j.KernelProfile;
import org.vfio4j.kernel.KernelBackend;
import org.vfio4j.kernel.SystemBackend;

/**
 * The real kernel as a conformance target, described by system properties: {@code
 * vfio4j.kernel.group} (a viable group bound to vfio-pci), {@code vfio4j.kernel.device} (a device of
 * it) and optionally {@code vfio4j.kernel.nonViableGroup}. The type1 {@code dma_entry_limit} is read
 * from sysfs and used when at most 4096; pinning limits are not assumed (root has CAP_IPC_LOCK).
 * Nothing destructive is allowed unless its property says {@code true}: {@code
 * vfio4j.kernel.allowReset}, {@code vfio4j.kernel.allowDma}, {@code vfio4j.kernel.allowEehInjection}
 * ({@link DestructiveOperation#property()}), as the command line's flags do.
 */
public final class KernelTargets {
    private KernelTargets() {}

    /** The target, or why there is none here. */
    public static Optional<ConformanceTarget> fromSystemProperties() {
        return reasonMissing().isPresent() ? Optional.empty() : Optional.of(new ConformanceTarget("kernel",
                new SystemBackend(), KernelProfile.ofRelease(System.getProperty("os.version")),
                Integer.getInteger("vfio4j.kernel.group"), System.getProperty("vfio4j.kernel.device"),
                Optional.ofNullable(Integer.getInteger("vfio4j.kernel.nonViableGroup")).map(OptionalInt::of).orElse(OptionalInt.empty()),
                dmaEntryLimit(), OptionalInt.empty(), List.of(), allowedBy(System::getProperty)));
    }

    /** The destructive operations whose property ({@link DestructiveOperation#property()}) {@code properties} sets to {@code true}. */
    static Set<DestructiveOperation> allowedBy(UnaryOperator<String> properties) {
        Set<DestructiveOperation> allowed = EnumSet.noneOf(DestructiveOperation.class);
        for (DestructiveOperation op : DestructiveOperation.values()) {
            if (Boolean.parseBoolean(properties.apply(op.property()))) {
                allowed.add(op);
            }
        }
        return allowed;
    }

    /** Why the kernel target cannot run here, if it cannot. */
    public static Optional<String> reasonMissing() {
        if (Integer.getInteger("vfio4j.kernel.group") == null || System.getProperty("vfio4j.kernel.device") == null) {
            return Optional.of("no kernel target: set -Dvfio4j.kernel.group=<group> and -Dvfio4j.kernel.device=<BDF>"
                    + " for a device bound to vfio-pci");
        }
        KernelBackend.Availability a = KernelBackend.availability();
        return a.isAvailable() ? Optional.empty() : Optional.of("kernel VFIO unavailable: " + String.join("; ", a.problems()));
    }

    private static OptionalInt dmaEntryLimit() {
        try {
            int limit = Integer.parseInt(Files.readString(Path.of("/sys/module/vfio_iommu_type1/parameters/dma_entry_limit")).trim());
            return limit <= 4096 ? OptionalInt.of(limit) : OptionalInt.empty();
        } catch (IOException | NumberFormatException e) {
            return OptionalInt.empty();
        }
    }
}
