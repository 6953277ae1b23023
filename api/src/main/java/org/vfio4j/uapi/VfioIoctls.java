package org.vfio4j.uapi;

import static org.vfio4j.uapi.VfioUapi.*;

import java.util.List;
import java.util.Map;

/**
 * The names of the VFIO ioctl requests, as {@code <linux/vfio.h>} spells them, for messages and
 * traces: what {@link org.vfio4j.VfioException#operation()} and the simulator's trace call a request.
 *
 * <p>Request numbers alias between kinds of file: {@code VFIO_BASE + 13} is VFIO_IOMMU_MAP_DMA on a
 * container and VFIO_DEVICE_PCI_HOT_RESET on a device, and the kernel dispatches by the file. So a
 * request is named for the {@link FileKind} it is sent to. Numbers alias within a container too,
 * between IOMMU drivers: {@code VFIO_BASE + 12} is VFIO_IOMMU_GET_INFO, but
 * VFIO_IOMMU_SPAPR_TCE_GET_INFO on a {@link FileKind#SPAPR_CONTAINER}, and {@code VFIO_BASE + 17}
 * is type1's VFIO_IOMMU_DIRTY_PAGES on a {@link FileKind#TYPE1_CONTAINER} but
 * VFIO_IOMMU_SPAPR_REGISTER_MEMORY on a {@link FileKind#CONTAINER}, a container whose IOMMU is not
 * type1, not set yet, or not known.
 */
public final class VfioIoctls {
    private VfioIoctls() {}

    /** The kinds of VFIO file an ioctl can be sent to, each with its own table of requests. */
    public enum FileKind {
        /**
         * {@code /dev/vfio/vfio} whose IOMMU driver is not type1, not set yet, or not known: the
         * container's requests, with {@code VFIO_BASE + 17} named as sPAPR's REGISTER_MEMORY.
         */
        CONTAINER,
        /** {@code /dev/vfio/vfio} with a type1 IOMMU set: {@code VFIO_BASE + 17} is VFIO_IOMMU_DIRTY_PAGES. */
        TYPE1_CONTAINER,
        /**
         * {@code /dev/vfio/vfio} with the sPAPR TCE IOMMU set (v1 or v2): {@code VFIO_BASE + 12} is
         * VFIO_IOMMU_SPAPR_TCE_GET_INFO, {@code VFIO_BASE + 17} VFIO_IOMMU_SPAPR_REGISTER_MEMORY.
         */
        SPAPR_CONTAINER,
        /** {@code /dev/vfio/<group>}: the group's requests. */
        GROUP,
        /** A device fd from VFIO_GROUP_GET_DEVICE_FD: the device's requests. */
        DEVICE
    }

    private static final Map<Long, String> CONTAINER_REQUESTS = Map.ofEntries(
            Map.entry(VFIO_GET_API_VERSION, "VFIO_GET_API_VERSION"),
            Map.entry(VFIO_CHECK_EXTENSION, "VFIO_CHECK_EXTENSION"),
            Map.entry(VFIO_SET_IOMMU, "VFIO_SET_IOMMU"),
            Map.entry(VFIO_IOMMU_GET_INFO, "VFIO_IOMMU_GET_INFO"),
            Map.entry(VFIO_IOMMU_MAP_DMA, "VFIO_IOMMU_MAP_DMA"),
            Map.entry(VFIO_IOMMU_UNMAP_DMA, "VFIO_IOMMU_UNMAP_DMA"),
            Map.entry(VFIO_IOMMU_ENABLE, "VFIO_IOMMU_ENABLE"),
            Map.entry(VFIO_IOMMU_DISABLE, "VFIO_IOMMU_DISABLE"),
            Map.entry(VFIO_IOMMU_SPAPR_REGISTER_MEMORY, "VFIO_IOMMU_SPAPR_REGISTER_MEMORY"),
            Map.entry(VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY, "VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY"),
            Map.entry(VFIO_IOMMU_SPAPR_TCE_CREATE, "VFIO_IOMMU_SPAPR_TCE_CREATE"),
            Map.entry(VFIO_IOMMU_SPAPR_TCE_REMOVE, "VFIO_IOMMU_SPAPR_TCE_REMOVE"),
            Map.entry(VFIO_EEH_PE_OP, "VFIO_EEH_PE_OP"));

    private static final Map<Long, String> TYPE1_CONTAINER_REQUESTS = type1Requests();

    private static final Map<Long, String> SPAPR_CONTAINER_REQUESTS = spaprRequests();

    private static final Map<Long, String> GROUP_REQUESTS = Map.of(
            VFIO_GROUP_GET_STATUS, "VFIO_GROUP_GET_STATUS",
            VFIO_GROUP_SET_CONTAINER, "VFIO_GROUP_SET_CONTAINER",
            VFIO_GROUP_UNSET_CONTAINER, "VFIO_GROUP_UNSET_CONTAINER",
            VFIO_GROUP_GET_DEVICE_FD, "VFIO_GROUP_GET_DEVICE_FD");

    private static final Map<Long, String> DEVICE_REQUESTS = Map.ofEntries(
            Map.entry(VFIO_DEVICE_GET_INFO, "VFIO_DEVICE_GET_INFO"),
            Map.entry(VFIO_DEVICE_GET_REGION_INFO, "VFIO_DEVICE_GET_REGION_INFO"),
            Map.entry(VFIO_DEVICE_GET_IRQ_INFO, "VFIO_DEVICE_GET_IRQ_INFO"),
            Map.entry(VFIO_DEVICE_SET_IRQS, "VFIO_DEVICE_SET_IRQS"),
            Map.entry(VFIO_DEVICE_RESET, "VFIO_DEVICE_RESET"),
            Map.entry(VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, "VFIO_DEVICE_GET_PCI_HOT_RESET_INFO"),
            Map.entry(VFIO_DEVICE_PCI_HOT_RESET, "VFIO_DEVICE_PCI_HOT_RESET"),
            Map.entry(VFIO_DEVICE_QUERY_GFX_PLANE, "VFIO_DEVICE_QUERY_GFX_PLANE"),
            Map.entry(VFIO_DEVICE_GET_GFX_DMABUF, "VFIO_DEVICE_GET_GFX_DMABUF"),
            Map.entry(VFIO_DEVICE_IOEVENTFD, "VFIO_DEVICE_IOEVENTFD"),
            Map.entry(VFIO_DEVICE_FEATURE, "VFIO_DEVICE_FEATURE"));

    /**
     * How a request sent to a file of {@code kind} is named: its name in that file's table, else
     * {@code ioctl(0x…)}. A null kind (a file that is not a VFIO container, group or device, or
     * one no longer known) is named as {@link #name(long)} names it.
     *
     * @param kind    the kind of file the request is sent to, or null when not known
     * @param request the ioctl request number
     * @return the header's name, or {@code ioctl(0x…)} with the number in hex
     */
    public static String name(FileKind kind, long request) {
        String name = kind == null ? unambiguousName(request) : table(kind).get(request);
        return name != null ? name : "ioctl(0x" + Long.toHexString(request) + ")";
    }

    /**
     * How a request is named when the file it is sent to is not known: by its name if only one
     * kind of file has a request with this number, else {@code ioctl(0x…)}.
     *
     * @param request the ioctl request number
     * @return the header's name, or {@code ioctl(0x…)} with the number in hex
     */
    public static String name(long request) {
        return name(null, request);
    }

    /** The container's table with type1's meaning of the numbers type1 shares with sPAPR. */
    private static Map<Long, String> type1Requests() {
        Map<Long, String> m = new java.util.HashMap<>(CONTAINER_REQUESTS);
        m.put(VFIO_IOMMU_DIRTY_PAGES, "VFIO_IOMMU_DIRTY_PAGES");
        return Map.copyOf(m);
    }

    /** The container's table with sPAPR's name for GET_INFO. */
    private static Map<Long, String> spaprRequests() {
        Map<Long, String> m = new java.util.HashMap<>(CONTAINER_REQUESTS);
        m.put(VFIO_IOMMU_SPAPR_TCE_GET_INFO, "VFIO_IOMMU_SPAPR_TCE_GET_INFO");
        return Map.copyOf(m);
    }

    private static Map<Long, String> table(FileKind kind) {
        return switch (kind) {
            case CONTAINER -> CONTAINER_REQUESTS;
            case TYPE1_CONTAINER -> TYPE1_CONTAINER_REQUESTS;
            case SPAPR_CONTAINER -> SPAPR_CONTAINER_REQUESTS;
            case GROUP -> GROUP_REQUESTS;
            case DEVICE -> DEVICE_REQUESTS;
        };
    }

    private static String unambiguousName(long request) {
        String found = null;
        for (Map<Long, String> m : List.of(CONTAINER_REQUESTS, GROUP_REQUESTS, DEVICE_REQUESTS)) {
            String n = m.get(request);
            if (n != null) {
                if (found != null && !found.equals(n)) {
                    return null;
                }
                found = n;
            }
        }
        return found;
    }
}
