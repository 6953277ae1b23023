package org.vfio4j;

import static org.vfio4j.uapi.VfioStructs.*;

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

    /**
     * The id in the capability header.
     *
     * @return {@code VFIO_REGION_INFO_CAP_*}
     */
    int id();

    /**
     * The version in the capability header.
     *
     * @return 1 for every capability this version decodes
     */
    default int version() {
        return 1;
    }

    /**
     * The bytes after the 8-byte header, as the kernel lays them out.
     *
     * @return a fresh array each time
     */
    byte[] body();

    /**
     * A mappable window of a region ({@code struct vfio_region_sparse_mmap_area}).
     *
     * @param offset where the window starts, from the start of the region
     * @param size   its length in bytes
     */
    record Area(long offset, long size) {}

    /**
     * VFIO_REGION_INFO_CAP_SPARSE_MMAP (1): only these areas of the region may be mmapped.
     *
     * @param areas the mappable windows, in the kernel's order (may be empty: nothing is mappable)
     */
    record SparseMmap(List<Area> areas) implements RegionCapability {
        /** Keeps an unmodifiable copy of {@code areas}. */
        public SparseMmap {
            areas = List.copyOf(areas);
        }

        @Override
        public int id() {
            return 1;
        }

        @Override
        public byte[] body() {
            int first = inBody(vfio_region_info_cap_sparse_mmap.areas);
            MemorySegment b = MemorySegment.ofArray(new byte[first + vfio_region_sparse_mmap_area.SIZE * areas.size()]);
            b.set(ValueLayout.JAVA_INT_UNALIGNED, inBody(vfio_region_info_cap_sparse_mmap.nr_areas), areas.size()); // reserved stays 0
            for (int i = 0; i < areas.size(); i++) {
                long at = first + (long) vfio_region_sparse_mmap_area.SIZE * i;
                b.set(ValueLayout.JAVA_LONG_UNALIGNED, at + vfio_region_sparse_mmap_area.offset, areas.get(i).offset());
                b.set(ValueLayout.JAVA_LONG_UNALIGNED, at + vfio_region_sparse_mmap_area.size, areas.get(i).size());
            }
            return b.toArray(ValueLayout.JAVA_BYTE);
        }
    }

    /**
     * VFIO_REGION_INFO_CAP_TYPE (2): what a device-specific region is.
     *
     * @param type    vendor-qualified type: a {@code VFIO_REGION_TYPE_*}, or a PCI vendor id with bit 31 set
     * @param subtype the subtype within the type (e.g. {@code VFIO_REGION_SUBTYPE_GFX_EDID})
     */
    record Type(int type, int subtype) implements RegionCapability {
        @Override
        public int id() {
            return 2;
        }

        @Override
        public byte[] body() {
            MemorySegment b = MemorySegment.ofArray(new byte[inBody(vfio_region_info_cap_type.SIZE)]);
            b.set(ValueLayout.JAVA_INT_UNALIGNED, inBody(vfio_region_info_cap_type.type), type);
            b.set(ValueLayout.JAVA_INT_UNALIGNED, inBody(vfio_region_info_cap_type.subtype), subtype);
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

    /**
     * VFIO_REGION_INFO_CAP_NVLINK2_SSATGT (4): the GPU RAM's system-side address as the device sees it.
     *
     * @param target the address ({@code tgt})
     */
    record Nvlink2Ssatgt(long target) implements RegionCapability {
        @Override
        public int id() {
            return 4;
        }

        @Override
        public byte[] body() {
            MemorySegment b = MemorySegment.ofArray(new byte[inBody(vfio_region_info_cap_nvlink2_ssatgt.SIZE)]);
            b.set(ValueLayout.JAVA_LONG_UNALIGNED, inBody(vfio_region_info_cap_nvlink2_ssatgt.tgt), target);
            return b.toArray(ValueLayout.JAVA_BYTE);
        }
    }

    /**
     * VFIO_REGION_INFO_CAP_NVLINK2_LNKSPD (5): the NVLink speed, followed by a pad u32.
     *
     * @param linkSpeed the speed code ({@code link_speed})
     */
    record Nvlink2LinkSpeed(int linkSpeed) implements RegionCapability {
        @Override
        public int id() {
            return 5;
        }

        @Override
        public byte[] body() {
            MemorySegment b = MemorySegment.ofArray(new byte[inBody(vfio_region_info_cap_nvlink2_lnkspd.SIZE)]);
            b.set(ValueLayout.JAVA_INT_UNALIGNED, inBody(vfio_region_info_cap_nvlink2_lnkspd.link_speed), linkSpeed);
            return b.toArray(ValueLayout.JAVA_BYTE);
        }
    }

    /**
     * A capability this version does not decode, or a device's own: header fields and the body.
     * Compared by content.
     *
     * @param id      the id in the header
     * @param version the version in the header
     * @param body    the bytes after the header (copied in and out)
     */
    record Unknown(int id, int version, byte[] body) implements RegionCapability {
        /** Keeps a copy of {@code body}. */
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
     *
     * @param id      the id in the header
     * @param version the version in the header
     * @param body    the bytes after the header
     * @return the decoded capability, or {@link Unknown} with the same fields
     */
    static RegionCapability decode(int id, int version, byte[] body) {
        MemorySegment b = MemorySegment.ofArray(body);
        if (version == 1) {
            switch (id) {
                case 1 -> {
                    int first = inBody(vfio_region_info_cap_sparse_mmap.areas);
                    if (body.length >= first) {
                        long n = Integer.toUnsignedLong(b.get(ValueLayout.JAVA_INT_UNALIGNED, inBody(vfio_region_info_cap_sparse_mmap.nr_areas)));
                        if (first + vfio_region_sparse_mmap_area.SIZE * n <= body.length) {
                            List<Area> areas = new ArrayList<>();
                            for (int i = 0; i < n; i++) {
                                long at = first + (long) vfio_region_sparse_mmap_area.SIZE * i;
                                areas.add(new Area(b.get(ValueLayout.JAVA_LONG_UNALIGNED, at + vfio_region_sparse_mmap_area.offset),
                                        b.get(ValueLayout.JAVA_LONG_UNALIGNED, at + vfio_region_sparse_mmap_area.size)));
                            }
                            return new SparseMmap(areas);
                        }
                    }
                }
                case 2 -> {
                    if (body.length >= inBody(vfio_region_info_cap_type.SIZE)) {
                        return new Type(b.get(ValueLayout.JAVA_INT_UNALIGNED, inBody(vfio_region_info_cap_type.type)),
                                b.get(ValueLayout.JAVA_INT_UNALIGNED, inBody(vfio_region_info_cap_type.subtype)));
                    }
                }
                case 3 -> {
                    return new MsixMappable();
                }
                case 4 -> {
                    if (body.length >= inBody(vfio_region_info_cap_nvlink2_ssatgt.SIZE)) {
                        return new Nvlink2Ssatgt(b.get(ValueLayout.JAVA_LONG_UNALIGNED, inBody(vfio_region_info_cap_nvlink2_ssatgt.tgt)));
                    }
                }
                case 5 -> {
                    if (body.length >= inBody(vfio_region_info_cap_nvlink2_lnkspd.link_speed) + Integer.BYTES) {
                        return new Nvlink2LinkSpeed(b.get(ValueLayout.JAVA_INT_UNALIGNED, inBody(vfio_region_info_cap_nvlink2_lnkspd.link_speed)));
                    }
                }
                default -> { }
            }
        }
        return new Unknown(id, version, body);
    }

    /** Where a member of a capability struct sits in the body: its offset less the header's size. */
    private static int inBody(int offsetInCapability) {
        return offsetInCapability - vfio_info_cap_header.SIZE;
    }
}
