package org.vfio4j.conformance.lane;

import static org.vfio4j.uapi.VfioUapi.*;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.vfio4j.VfioException;
import org.vfio4j.spi.Fd;
import org.vfio4j.spi.LinuxAbi;
import org.vfio4j.spi.VfioKernel;
import org.vfio4j.uapi.VfioStructs.vfio_bitmap;
import org.vfio4j.uapi.VfioStructs.vfio_iommu_type1_dirty_bitmap_get;

/**
 * The part of {@link DeviceProbe} that looks at every access a driver can make and at what the
 * type1 IOMMU does with device memory: BAR0 reads and writes through pread/pwrite and through a
 * mapping at widths 1, 2, 4 and 8 (aligned, unaligned, at the BAR's last bytes, where the device
 * has no register), every config header dword written with all-ones and with zeros, MAP_DMA of a
 * BAR mapping, and the VFIO_IOMMU_DIRTY_PAGES matrix. One line per access, so that the real
 * kernel's answers and the simulator's can be diffed.
 */
final class AccessProbe {
    private static final long CONFIG = (long) VFIO_PCI_CONFIG_REGION_INDEX << 40;
    /** Bytes 11 22 ... 88 in memory order: a write of n bytes is the first n of them. */
    private static final long PATTERN = 0x8877_6655_4433_2211L;
    private static final int[] WIDTHS = {1, 2, 4, 8};
    /**
     * BAR0 offsets read at every width: edu's registers and the gaps between them, NVMe's
     * controller registers, its doorbells, MSI-X table and PBA, all of them when the BAR has them.
     */
    private static final long[] READ_AT = {0x00, 0x01, 0x02, 0x03, 0x04, 0x06, 0x08, 0x0c, 0x14, 0x1c, 0x20, 0x24, 0x28,
        0x2c, 0x30, 0x38, 0x3c, 0x40, 0x7c, 0x80, 0x82, 0x84, 0x88, 0x98, 0x9c, 0x100, 0xe00, 0xe1c, 0xffc, 0x1000,
        0x1004, 0x1ffc, 0x2000, 0x200c, 0x2ffc, 0x3000, 0x3ffc};
    /** edu's registers that can be written without starting work: liveness, status, irq status (read-only), DMA source. */
    private static final long[] EDU_WRITE_AT = {0x00, 0x04, 0x20, 0x24, 0x80};
    /** Bytes of edu no write may touch: the factorial (starts a computation), raise/acknowledge, the DMA command. */
    private static final long[][] EDU_AVOID = {{0x08, 0x0c}, {0x60, 0x68}, {0x98, 0xa0}};
    /** NVMe's registers that can be written without enabling the controller: CAP and CSTS (read-only), INTMS, AQA, ASQ, ACQ. */
    private static final long[] NVME_WRITE_AT = {0x00, 0x0c, 0x1c, 0x24, 0x28, 0x30};
    /** Bytes of NVMe no write may touch: CC (enables the controller), NSSR (subsystem reset), the doorbells. */
    private static final long[][] NVME_AVOID = {{0x14, 0x18}, {0x20, 0x24}, {0x1000, Long.MAX_VALUE}};
    private static final int EDU = 0x11e8_1234;
    private static final int NVME = 0x0010_1b36;

    private final VfioKernel k;
    private final ProbeOutput out;
    private final Arena arena;
    private long[][] avoid = new long[0][];

    AccessProbe(VfioKernel k, ProbeOutput out) {
        this.k = k;
        this.out = out;
        this.arena = out.arena;
    }

    /** Runs every part on device {@code d} (BAR0 of {@code bar0} bytes) of container {@code c}, type1v2 set. */
    void run(Fd c, Fd d, long bar0, int ids) throws VfioException {
        long[] writable = ids == EDU ? EDU_WRITE_AT : ids == NVME ? NVME_WRITE_AT : new long[0];
        avoid = ids == EDU ? EDU_AVOID : ids == NVME ? NVME_AVOID : new long[0][];
        if (ids == NVME) {
            // the guest's firmware (SeaBIOS) drove the controller and left its admin queue registers set: clear them
            for (long reg : new long[] {0x24, 0x28, 0x2c, 0x30, 0x34}) {
                k.pwrite(d, arena.allocate(4, 4), reg);
            }
            MemorySegment ones = arena.allocate(4, 4);
            ones.fill((byte) -1);
            k.pwrite(d, ones, 0x10); // INTMC: every vector unmasked
        }
        if (bar0 > 0) {
            barThroughPreadPwrite(d, bar0, writable);
            barThroughMapping(d, bar0, writable);
        }
        configHeader(d);
        if (bar0 >= 4096) {
            mapDmaOfBar(c, d);
        }
        dirtyPages(c);
    }

    // ---- BAR0 ------------------------------------------------------------------------------------

    private void barThroughPreadPwrite(Fd d, long bar0, long[] writable) {
        MemorySegment buf = arena.allocate(8, 8);
        for (long at : readOffsets(bar0)) {
            for (int w : WIDTHS) {
                if (at + w <= bar0) {
                    buf.fill((byte) 0x5a);
                    out.line(String.format("BAR0 pread %d at %x", w, at), () -> k.pread(d, buf.asSlice(0, w), at), buf, w);
                }
            }
        }
        for (long reg : writable) {
            for (int w : WIDTHS) {
                for (int shift : new int[] {0, 1}) {
                    long at = reg + shift;
                    if (touchesAvoided(at, w)) {
                        continue;
                    }
                    buf.set(ValueLayout.JAVA_LONG, 0, PATTERN);
                    String what = String.format("BAR0 pwrite %d at %x", w, at);
                    long r = out.line(what, () -> k.pwrite(d, buf.asSlice(0, w), at), null, 0);
                    out.println(what + " reads back " + preadEight(d, reg));
                    if (r >= 0) {
                        clear(d, reg);
                    }
                }
            }
        }
    }

    /** 8 bytes at {@code reg} as two 4-byte preads, or the errno. */
    private String preadEight(Fd d, long reg) {
        MemorySegment b = arena.allocate(8, 8);
        b.fill((byte) 0x5a);
        try {
            k.pread(d, b.asSlice(0, 4), reg);
            k.pread(d, b.asSlice(4, 4), reg + 4);
            return ProbeOutput.hex(b, 8);
        } catch (VfioException e) {
            return "-1 " + e.errno();
        }
    }

    /** Zeros over the 8 bytes at {@code reg}, but for 4 bytes no write may touch. */
    private void clear(Fd d, long reg) {
        MemorySegment zero = arena.allocate(4, 4);
        try {
            for (long at : new long[] {reg, reg + 4}) {
                if (!touchesAvoided(at, 4)) {
                    k.pwrite(d, zero, at);
                }
            }
        } catch (VfioException e) {
            out.println(String.format("BAR0 clearing %x failed: %s", reg, e.errno()));
        }
    }

    private void barThroughMapping(Fd d, long bar0, long[] writable) throws VfioException {
        long length = Math.min(bar0, 0x4000);
        MemorySegment m;
        try {
            m = k.mmap(d, 0, length, LinuxAbi.PROT_READ | LinuxAbi.PROT_WRITE, LinuxAbi.MAP_SHARED);
        } catch (VfioException e) {
            out.println("mapped accesses: mmap BAR0 -1 " + e.errno());
            return;
        }
        try {
            for (long at : readOffsets(length)) {
                for (int w : WIDTHS) {
                    if (at + w <= length && at % w == 0) { // the seam makes aligned accesses only
                        out.line(String.format("BAR0 mapped load %d at %x", w, at), () -> k.load(m, at, w), null, 0);
                    }
                }
            }
            for (long reg : writable) {
                for (int w : WIDTHS) {
                    for (int shift : new int[] {0, 1, 2, 4}) {
                        long at = reg + shift;
                        if (at % w != 0 || touchesAvoided(at, w)) {
                            continue;
                        }
                        String what = String.format("BAR0 mapped store %d at %x", w, at);
                        out.line(what, () -> {
                            k.store(m, at, w, PATTERN);
                            return 0;
                        }, null, 0);
                        out.line(what + " loads back", () -> k.load(m, reg, 4) | k.load(m, reg + 4, 4) << 32, null, 0);
                        out.println(what + " reads back " + preadEight(d, reg));
                        clear(d, reg);
                    }
                }
            }
        } finally {
            k.munmap(m);
        }
        if (bar0 > length) { // the last page of a large BAR
            MemorySegment last = k.mmap(d, bar0 - 4096, 4096, LinuxAbi.PROT_READ, LinuxAbi.MAP_SHARED);
            try {
                for (long at : new long[] {0, 0xff8, 0xffc, 0xffe, 0xfff}) {
                    for (int w : WIDTHS) {
                        if (at + w <= 4096 && at % w == 0) {
                            out.line(String.format("BAR0 mapped load %d at size-%x", w, 4096 - at), () -> k.load(last, at, w), null, 0);
                        }
                    }
                }
            } finally {
                k.munmap(last);
            }
        }
    }

    private boolean touchesAvoided(long at, int width) {
        for (long[] range : avoid) {
            if (at < range[1] && at + width > range[0]) {
                return true;
            }
        }
        return false;
    }

    private static long[] readOffsets(long size) {
        java.util.TreeSet<Long> at = new java.util.TreeSet<>();
        for (long o : READ_AT) {
            if (o < size) {
                at.add(o);
            }
        }
        for (long back : new long[] {8, 4, 2, 1}) {
            at.add(size - back);
        }
        return at.stream().mapToLong(Long::longValue).toArray();
    }

    // ---- config header -----------------------------------------------------------------------------

    /** Every header dword written with all-ones and with zeros, read back after each, then restored. */
    private void configHeader(Fd d) throws VfioException {
        for (int at = 0; at < 0x40; at += 4) {
            int old = cfg32(d, at);
            cfgWrite32(d, at, -1);
            int ones = cfg32(d, at);
            cfgWrite32(d, at, 0);
            int zeros = cfg32(d, at);
            cfgWrite32(d, at, old);
            out.println(String.format("config header %02x: %08x, ones -> %08x, zeros -> %08x, restored %08x", at, old, ones, zeros,
                    cfg32(d, at)));
        }
        // single bytes of the command/status dword and of the BIST dword: the masks per byte
        for (int at : new int[] {0x04, 0x05, 0x06, 0x07, 0x0c, 0x0d, 0x0e, 0x0f, 0x3c, 0x3d}) {
            int old = cfg32(d, at & ~3);
            MemorySegment b = arena.allocate(1);
            b.set(ValueLayout.JAVA_BYTE, 0, (byte) -1);
            k.pwrite(d, b, CONFIG + at);
            int now = cfg32(d, at & ~3);
            cfgWrite32(d, at & ~3, old);
            out.println(String.format("config byte ff at %02x: %08x -> %08x", at, old, now));
        }
    }

    private int cfg32(Fd d, int at) throws VfioException {
        MemorySegment b = arena.allocate(4, 4);
        k.pread(d, b, CONFIG + at);
        return b.get(ValueLayout.JAVA_INT, 0);
    }

    private void cfgWrite32(Fd d, int at, int value) throws VfioException {
        MemorySegment b = arena.allocate(4, 4);
        b.set(ValueLayout.JAVA_INT, 0, value);
        k.pwrite(d, b, CONFIG + at);
    }

    // ---- MAP_DMA of a BAR mapping --------------------------------------------------------------

    /** MAP_DMA of the device's own BAR0 mapping (a VM_PFNMAP vma), read-write and read-only, then UNMAP. */
    private void mapDmaOfBar(Fd c, Fd d) throws VfioException {
        MemorySegment bar = k.mmap(d, 0, 4096, LinuxAbi.PROT_READ | LinuxAbi.PROT_WRITE, LinuxAbi.MAP_SHARED);
        try {
            long vaddr = k.userAddress(bar);
            for (int flags : new int[] {VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE, VFIO_DMA_MAP_FLAG_READ}) {
                MemorySegment map = out.arg(32, 32);
                map.set(ValueLayout.JAVA_INT, 4, flags);
                map.set(ValueLayout.JAVA_LONG, 8, vaddr);
                map.set(ValueLayout.JAVA_LONG, 16, 0x80_0000);
                map.set(ValueLayout.JAVA_LONG, 24, 4096);
                long r = out.line("MAP_DMA of BAR0's mapping, flags " + flags, () -> k.ioctl(c, VFIO_IOMMU_MAP_DMA, map), null, 0);
                if (r == 0) {
                    MemorySegment unmap = unmap(0x80_0000, 4096);
                    out.line("UNMAP_DMA of BAR0's mapping", () -> k.ioctl(c, VFIO_IOMMU_UNMAP_DMA, unmap), unmap, 24);
                }
            }
        } finally {
            k.munmap(bar);
        }
    }

    private MemorySegment unmap(long iova, long size) {
        MemorySegment unmap = out.arg(24, 24);
        unmap.set(ValueLayout.JAVA_INT, 4, 0);
        unmap.set(ValueLayout.JAVA_LONG, 8, iova);
        unmap.set(ValueLayout.JAVA_LONG, 16, size);
        return unmap;
    }

    // ---- VFIO_IOMMU_DIRTY_PAGES ----------------------------------------------------------------

    private static final long DIRTY_IOVA = 0x40_0000;
    private static final int DIRTY_PAGES = 4;

    /** START/STOP twice each, GET_BITMAP's checks, two reports, UNMAP_DMA with GET_DIRTY_BITMAP. */
    private void dirtyPages(Fd c) throws VfioException {
        MemorySegment memory = arena.allocate(DIRTY_PAGES * 4096L, 4096);
        MemorySegment map = out.arg(32, 32);
        map.set(ValueLayout.JAVA_INT, 4, VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE);
        map.set(ValueLayout.JAVA_LONG, 8, k.userAddress(memory));
        map.set(ValueLayout.JAVA_LONG, 16, DIRTY_IOVA);
        map.set(ValueLayout.JAVA_LONG, 24, DIRTY_PAGES * 4096L);
        if (out.line("dirty: MAP_DMA 4 pages", () -> k.ioctl(c, VFIO_IOMMU_MAP_DMA, map), null, 0) != 0) {
            return;
        }
        dirty(c, "flags 0", 0, 8);
        dirty(c, "argsz 7 START", VFIO_IOMMU_DIRTY_PAGES_FLAG_START, 7);
        dirty(c, "START|STOP", VFIO_IOMMU_DIRTY_PAGES_FLAG_START | VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP, 8);
        dirty(c, "STOP while off", VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP, 8);
        MemorySegment bitmap = arena.allocate(16, 8);
        getBitmap(c, "GET_BITMAP while off", DIRTY_IOVA, 4 * 4096, 4096, 8, bitmap);
        dirty(c, "START", VFIO_IOMMU_DIRTY_PAGES_FLAG_START, 8);
        dirty(c, "START again", VFIO_IOMMU_DIRTY_PAGES_FLAG_START, 8);
        getBitmap(c, "GET_BITMAP whole", DIRTY_IOVA, 4 * 4096, 4096, 8, bitmap);
        getBitmap(c, "GET_BITMAP again", DIRTY_IOVA, 4 * 4096, 4096, 8, bitmap);
        getBitmap(c, "GET_BITMAP pgsize 8192", DIRTY_IOVA, 4 * 4096, 8192, 8, bitmap);
        getBitmap(c, "GET_BITMAP bitmap size 0", DIRTY_IOVA, 4 * 4096, 4096, 0, bitmap);
        getBitmap(c, "GET_BITMAP bitmap size 4", DIRTY_IOVA, 4 * 4096, 4096, 4, bitmap);
        getBitmap(c, "GET_BITMAP unaligned iova", DIRTY_IOVA + 1, 4096, 4096, 8, bitmap);
        getBitmap(c, "GET_BITMAP size 0", DIRTY_IOVA, 0, 4096, 8, bitmap);
        getBitmap(c, "GET_BITMAP half a mapping", DIRTY_IOVA, 2 * 4096, 4096, 8, bitmap);
        getBitmap(c, "GET_BITMAP unmapped range", 0x50_0000, 4096, 4096, 8, bitmap);
        getBitmap(c, "GET_BITMAP null data", DIRTY_IOVA, 4 * 4096, 4096, 8, MemorySegment.NULL);
        MemorySegment unmap = out.arg(48, 48);
        unmap.set(ValueLayout.JAVA_INT, 4, VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP);
        unmap.set(ValueLayout.JAVA_LONG, 8, DIRTY_IOVA);
        unmap.set(ValueLayout.JAVA_LONG, 16, DIRTY_PAGES * 4096L);
        unmap.set(ValueLayout.JAVA_LONG, 24 + vfio_bitmap.pgsize, 4096);
        unmap.set(ValueLayout.JAVA_LONG, 24 + vfio_bitmap.size, 8);
        bitmap.fill((byte) 0);
        unmap.set(ValueLayout.JAVA_LONG, 24 + vfio_bitmap.data, k.userAddress(bitmap));
        out.line("dirty: UNMAP_DMA with GET_DIRTY_BITMAP", () -> k.ioctl(c, VFIO_IOMMU_UNMAP_DMA, unmap), unmap, 24);
        out.println("dirty: UNMAP_DMA's bitmap " + ProbeOutput.hex(bitmap, 8));
        dirty(c, "STOP", VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP, 8);
        dirty(c, "STOP again", VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP, 8);
        MemorySegment rest = unmap(DIRTY_IOVA, DIRTY_PAGES * 4096L);
        out.line("dirty: UNMAP_DMA the rest", () -> k.ioctl(c, VFIO_IOMMU_UNMAP_DMA, rest), rest, 24);
    }

    private void dirty(Fd c, String what, int flags, int argsz) {
        MemorySegment a = out.arg(8, argsz);
        a.set(ValueLayout.JAVA_INT, 4, flags);
        out.line("dirty: " + what, () -> k.ioctl(c, VFIO_IOMMU_DIRTY_PAGES, a), null, 0);
    }

    private void getBitmap(Fd c, String what, long iova, long size, long pgsize, long bitmapSize, MemorySegment bitmap) {
        int argsz = 8 + vfio_iommu_type1_dirty_bitmap_get.SIZE;
        MemorySegment a = out.arg(argsz, argsz);
        a.set(ValueLayout.JAVA_INT, 4, VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP);
        int get = 8;
        a.set(ValueLayout.JAVA_LONG, get + vfio_iommu_type1_dirty_bitmap_get.iova, iova);
        a.set(ValueLayout.JAVA_LONG, get + vfio_iommu_type1_dirty_bitmap_get.size, size);
        int bm = get + vfio_iommu_type1_dirty_bitmap_get.bitmap;
        a.set(ValueLayout.JAVA_LONG, bm + vfio_bitmap.pgsize, pgsize);
        a.set(ValueLayout.JAVA_LONG, bm + vfio_bitmap.size, bitmapSize);
        if (bitmap.byteSize() > 0) {
            bitmap.fill((byte) 0);
        }
        a.set(ValueLayout.JAVA_LONG, bm + vfio_bitmap.data, bitmap.byteSize() == 0 ? 0 : k.userAddress(bitmap));
        out.line("dirty: " + what, () -> k.ioctl(c, VFIO_IOMMU_DIRTY_PAGES, a), null, 0);
        if (bitmap.byteSize() > 0) {
            out.println("dirty: " + what + " bitmap " + ProbeOutput.hex(bitmap, 8));
        }
    }
}
