package org.vfio4j;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One capability of VFIO_DEVICE_GET_REGION_INFO's chain ({@code VFIO_REGION_INFO_CAP_*}), decoded.
 * Each record knows its id, version and the body it carries after the 8-byte header, so the same
 * values describe what a kernel reports and what a simulated device declares. Unknown ids are kept
 * with their bytes.
 */
public sealed interface RegionCapability permits RegionCapability.SparseMmap, RegionCapability.Type,
        RegionCapability.MsixMappable, RegionCapability.Nvlink2Ssatgt, RegionCapability.Nvlink2LinkSpeed,
        RegionCapability.Unknown {

    /** The id in the capability header. */
    int id();

    /** The version in the capability header. */
    default int version() {
        return 1;
    }

    /** The bytes after the 8-byte header, as the kernel lays them out. */
    byte[] body();

    /** A mappable window of a region. */
    record Area(long offset, long size) {}

    /** VFIO_REGION_INFO_CAP_SPARSE_MMAP (1): only these areas of the region may be mmapped. */
    record SparseMmap(List<Area> areas) implements RegionCapability {
        public SparseMmap {
            areas = List.copyOf(areas);
        }

        @Override
        public int id() {
            return 1;
        }

        @Override
        public byte[] body() {
            MemorySegment b = MemorySegment.ofArray(new byte[8 + 16 * areas.size()]);
            b.set(ValueLayout.JAVA_INT_UNALIGNED, 0, areas.size()); // nr_areas, then a reserved u32
            for (int i = 0; i < areas.size(); i++) {
                b.set(ValueLayout.JAVA_LONG_UNALIGNED, 8 + 16L * i, areas.get(i).offset());
                b.set(ValueLayout.JAVA_LONG_UNALIGNED, 16 + 16L * i, areas.get(i).size());
            }
            return b.toArray(ValueLayout.JAVA_BYTE);
        }
    }

    /** VFIO_REGION_INFO_CAP_TYPE (2): what a device-specific region is (vendor-qualified type, subtype). */
    record Type(int type, int subtype) implements RegionCapability {
        @Override
        public int id() {
            return 2;
        }

        @Override
        public byte[] body() {
            MemorySegment b = MemorySegment.ofArray(new byte[8]);
            b.set(ValueLayout.JAVA_INT_UNALIGNED, 0, type);
            b.set(ValueLayout.JAVA_INT_UNALIGNED, 4, subtype);
            return b.toArray(ValueLayout.JAVA_BYTE);
        }
    }

    /** VFIO_REGION_INFO_CAP_MSIX_MAPPABLE (3): the MSI-X table in this BAR may be mmapped. Header only. */
    record MsixMappable() implements RegionCapability {
        @Override
        public int id() {
            return 3;
        }

        @Override
        public byte[] body() {
            return new byte[0];
        }
    }

    /** VFIO_REGION_INFO_CAP_NVLINK2_SSATGT (4): the GPU RAM's system-side address as the device sees it. */
    record Nvlink2Ssatgt(long target) implements RegionCapability {
        @Override
        public int id() {
            return 4;
        }

        @Override
        public byte[] body() {
            MemorySegment b = MemorySegment.ofArray(new byte[8]);
            b.set(ValueLayout.JAVA_LONG_UNALIGNED, 0, target);
            return b.toArray(ValueLayout.JAVA_BYTE);
        }
    }

    /** VFIO_REGION_INFO_CAP_NVLINK2_LNKSPD (5): the NVLink speed, followed by a pad u32. */
    record Nvlink2LinkSpeed(int linkSpeed) implements RegionCapability {
        @Override
        public int id() {
            return 5;
        }

        @Override
        public byte[] body() {
            MemorySegment b = MemorySegment.ofArray(new byte[8]);
            b.set(ValueLayout.JAVA_INT_UNALIGNED, 0, linkSpeed);
            return b.toArray(ValueLayout.JAVA_BYTE);
        }
    }

    /** A capability this version does not decode, or a device's own: header fields and the body. */
    record Unknown(int id, int version, byte[] body) implements RegionCapability {
        public Unknown {
            body = body.clone();
        }

        @Override
        public byte[] body() {
            return body.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Unknown u && u.id == id && u.version == version && Arrays.equals(u.body, body);
        }

        @Override
        public int hashCode() {
            return 31 * (31 * id + version) + Arrays.hashCode(body);
        }

        @Override
        public String toString() {
            return "Unknown[id=" + id + ", version=" + version + ", " + body.length + " bytes]";
        }
    }

    /**
     * Decodes one capability from its header fields and body. Known ids with a body too short for
     * their layout are kept as {@link Unknown}, never misread.
     */
    static RegionCapability decode(int id, int version, byte[] body) {
        MemorySegment b = MemorySegment.ofArray(body);
        if (version == 1) {
            switch (id) {
                case 1 -> {
                    if (body.length >= 8) {
                        long n = Integer.toUnsignedLong(b.get(ValueLayout.JAVA_INT_UNALIGNED, 0));
                        if (8 + 16 * n <= body.length) {
                            List<Area> areas = new ArrayList<>();
                            for (int i = 0; i < n; i++) {
                                areas.add(new Area(b.get(ValueLayout.JAVA_LONG_UNALIGNED, 8 + 16L * i),
                                        b.get(ValueLayout.JAVA_LONG_UNALIGNED, 16 + 16L * i)));
                            }
                            return new SparseMmap(areas);
                        }
                    }
                }
                case 2 -> {
                    if (body.length >= 8) {
                        return new Type(b.get(ValueLayout.JAVA_INT_UNALIGNED, 0), b.get(ValueLayout.JAVA_INT_UNALIGNED, 4));
                    }
                }
                case 3 -> {
                    return new MsixMappable();
                }
                case 4 -> {
                    if (body.length >= 8) {
                        return new Nvlink2Ssatgt(b.get(ValueLayout.JAVA_LONG_UNALIGNED, 0));
                    }
                }
                case 5 -> {
                    if (body.length >= 4) {
                        return new Nvlink2LinkSpeed(b.get(ValueLayout.JAVA_INT_UNALIGNED, 0));
                    }
                }
                default -> { }
            }
        }
        return new Unknown(id, version, body);
    }
}
