package org.vfio4j;

import java.util.Arrays;
import java.util.List;

/**
 * One capability of VFIO_IOMMU_GET_INFO's chain, decoded. Unknown ids are kept with their bytes
 * rather than dropped.
 */
public sealed interface IommuCapability
        permits IommuCapability.IovaRanges, IommuCapability.DmaAvailable, IommuCapability.Migration, IommuCapability.Unknown {

    /** The capability id in its header. */
    int id();

    /** VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE: the IOVA ranges usable for MAP_DMA, sorted. */
    record IovaRanges(List<IovaRange> ranges) implements IommuCapability {
        /** Keeps an unmodifiable copy of {@code ranges}. */
        public IovaRanges {
            ranges = List.copyOf(ranges);
        }

        @Override
        public int id() {
            return 1;
        }
    }

    /** VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL (Linux 5.10+): mappings the container can still make. */
    record DmaAvailable(int available) implements IommuCapability {
        @Override
        public int id() {
            return 3;
        }
    }

    /** VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION (Linux 5.8+): dirty-page tracking limits. */
    record Migration(int flags, long pageSizes, long maxDirtyBitmapSize) implements IommuCapability {
        @Override
        public int id() {
            return 2;
        }
    }

    /** A capability this version does not decode: header fields and the whole capability's bytes. */
    record Unknown(int id, int version, byte[] bytes) implements IommuCapability {
        /** Keeps a copy of {@code bytes}. */
        public Unknown {
            bytes = bytes.clone();
        }

        /** The whole capability, header included; a fresh copy each time. */
        @Override
        public byte[] bytes() {
            return bytes.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Unknown u && u.id == id && u.version == version && Arrays.equals(u.bytes, bytes);
        }

        @Override
        public int hashCode() {
            return 31 * (31 * id + version) + Arrays.hashCode(bytes);
        }

        @Override
        public String toString() {
            return "Unknown[id=" + id + ", version=" + version + ", " + bytes.length + " bytes]";
        }
    }
}
