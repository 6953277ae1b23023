package org.vfio4j;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A device's config space through VFIO (the CONFIG region): reads and writes by width, little
 * endian, and the capability lists as vfio-pci presents them. The walks stop at a null pointer,
 * a pointer outside the space or into the header, or a capability seen before, so a bad chain
 * ends the list rather than looping.
 */
public final class PciConfig {
    private final VfioDevice device;
    private final long size;
    private final MemorySegment buf = Structs.buffer(4);

    PciConfig(VfioDevice device, long size) {
        this.device = device;
        this.size = size;
    }

    /** 256, or 4096 with extended config space. */
    public long size() {
        return size;
    }

    public int read8(int offset) throws VfioException {
        device.readConfig(offset, buf.asSlice(0, 1));
        return buf.get(ValueLayout.JAVA_BYTE, 0) & 0xff;
    }

    public int read16(int offset) throws VfioException {
        device.readConfig(offset, buf.asSlice(0, 2));
        return buf.get(ValueLayout.JAVA_SHORT_UNALIGNED, 0) & 0xffff;
    }

    public int read32(int offset) throws VfioException {
        device.readConfig(offset, buf);
        return buf.get(ValueLayout.JAVA_INT_UNALIGNED, 0);
    }

    public void write8(int offset, int value) throws VfioException {
        buf.set(ValueLayout.JAVA_BYTE, 0, (byte) value);
        device.writeConfig(offset, buf.asSlice(0, 1));
    }

    public void write16(int offset, int value) throws VfioException {
        buf.set(ValueLayout.JAVA_SHORT_UNALIGNED, 0, (short) value);
        device.writeConfig(offset, buf.asSlice(0, 2));
    }

    public void write32(int offset, int value) throws VfioException {
        buf.set(ValueLayout.JAVA_INT_UNALIGNED, 0, value);
        device.writeConfig(offset, buf);
    }

    /** The standard capability list from the pointer at 0x34 (empty when STATUS has no CAP_LIST). */
    public List<PciCapability> capabilities() throws VfioException {
        List<PciCapability> out = new ArrayList<>();
        if ((read16(0x06) & 0x10) == 0) {
            return out;
        }
        Set<Integer> seen = new HashSet<>();
        int at = read8(0x34) & 0xfc;
        while (at >= 0x40 && at < 256 && seen.add(at)) {
            int header = read16(at);
            out.add(new PciCapability(header & 0xff, at, false, 0));
            at = header >> 8 & 0xfc;
        }
        return out;
    }

    /** The extended capability list from 0x100 (empty on 256-byte spaces or when the first header is 0). */
    public List<PciCapability> extendedCapabilities() throws VfioException {
        List<PciCapability> out = new ArrayList<>();
        Set<Integer> seen = new HashSet<>();
        int at = 0x100;
        while (size > 256 && at >= 0x100 && at + 4 <= size && seen.add(at)) {
            int header = read32(at);
            if (header == 0) {
                break;
            }
            out.add(new PciCapability(header & 0xffff, at, true, header >>> 16 & 0xf));
            at = header >>> 20 & 0xffc;
        }
        return out;
    }

    /** The first capability with {@code id} in the standard list, or -1. */
    public int find(int id) throws VfioException {
        return capabilities().stream().filter(c -> c.id() == id).mapToInt(PciCapability::offset).findFirst().orElse(-1);
    }
}
