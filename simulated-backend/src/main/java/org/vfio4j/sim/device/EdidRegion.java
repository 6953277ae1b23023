package org.vfio4j.sim.device;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.Optional;
import org.vfio4j.uapi.VfioUapi;

/**
 * The GFX EDID region (type VFIO_REGION_TYPE_GFX, subtype VFIO_REGION_SUBTYPE_GFX_EDID) with the
 * register protocol mbochs implements: a {@code struct vfio_region_gfx_edid} header at offset 0 of
 * which userspace may write only {@code edid_size} and {@code link_state} (aligned 4-byte writes;
 * anything else is ignored), and the EDID blob at {@code edid_offset}. To change the EDID the
 * user sets the link down, writes the blob and its size, and sets the link up; {@link #edid()}
 * then returns what the virtual monitor reports.
 */
public final class EdidRegion implements MmioHandler {
    /** Region size; the blob starts half-way. */
    public static final int SIZE = 4096;
    /** Where the EDID blob starts in the region (what the {@code edid_offset} register reports). */
    public static final int BLOB_OFFSET = SIZE / 2;
    private static final int EDID_OFFSET = 0, EDID_MAX_SIZE = 4, EDID_SIZE = 8, MAX_XRES = 12, MAX_YRES = 16, LINK_STATE = 20;
    private final MemorySegment regs = MemorySegment.ofArray(new byte[24]);
    private final MemorySegment blob = MemorySegment.ofArray(new byte[SIZE - BLOB_OFFSET]);

    /** A display up to {@code maxX} x {@code maxY}, link down and no EDID. */
    public EdidRegion(int maxX, int maxY) {
        regs.set(ValueLayout.JAVA_INT_UNALIGNED, EDID_OFFSET, BLOB_OFFSET);
        regs.set(ValueLayout.JAVA_INT_UNALIGNED, EDID_MAX_SIZE, SIZE - BLOB_OFFSET);
        regs.set(ValueLayout.JAVA_INT_UNALIGNED, MAX_XRES, maxX);
        regs.set(ValueLayout.JAVA_INT_UNALIGNED, MAX_YRES, maxY);
        regs.set(ValueLayout.JAVA_INT_UNALIGNED, LINK_STATE, VfioUapi.VFIO_DEVICE_GFX_LINK_STATE_DOWN);
    }

    /** The region to list in {@link PciDeviceModel#regions()}. */
    public DeviceRegion region() {
        return new DeviceRegion(VfioUapi.VFIO_REGION_TYPE_GFX, VfioUapi.VFIO_REGION_SUBTYPE_GFX_EDID, SIZE, true, false, List.of(),
                Optional.of(this));
    }

    /** Whether the user has set the link up ({@code link_state}). */
    public synchronized boolean linkUp() {
        return regs.get(ValueLayout.JAVA_INT_UNALIGNED, LINK_STATE) == VfioUapi.VFIO_DEVICE_GFX_LINK_STATE_UP;
    }

    /** The EDID as last committed: {@code edid_size} bytes of the blob. */
    public synchronized byte[] edid() {
        int size = Math.min(regs.get(ValueLayout.JAVA_INT_UNALIGNED, EDID_SIZE), (int) blob.byteSize());
        return blob.asSlice(0, Math.max(0, size)).toArray(ValueLayout.JAVA_BYTE);
    }

    @Override
    public synchronized long read(long offset, int size) {
        if (offset < BLOB_OFFSET) {
            if (size != 4 || offset % 4 != 0 || offset + size > regs.byteSize()) {
                return 0;
            }
            return Integer.toUnsignedLong(regs.get(ValueLayout.JAVA_INT_UNALIGNED, offset));
        }
        long at = offset - BLOB_OFFSET;
        long v = 0;
        for (int i = 0; i < size; i++) {
            v |= (blob.get(ValueLayout.JAVA_BYTE, at + i) & 0xffL) << 8 * i;
        }
        return v;
    }

    @Override
    public synchronized void write(long offset, int size, long value) {
        if (offset < BLOB_OFFSET) {
            if (size == 4 && (offset == EDID_SIZE || offset == LINK_STATE)) {
                regs.set(ValueLayout.JAVA_INT_UNALIGNED, offset, (int) value);
            }
            return;
        }
        long at = offset - BLOB_OFFSET;
        for (int i = 0; i < size; i++) {
            blob.set(ValueLayout.JAVA_BYTE, at + i, (byte) (value >>> 8 * i));
        }
    }
}
