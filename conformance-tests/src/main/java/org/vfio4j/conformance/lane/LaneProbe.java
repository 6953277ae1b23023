package org.vfio4j.conformance.lane;

import static org.vfio4j.uapi.VfioUapi.*;

import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.vfio4j.VfioException;
import org.vfio4j.kernel.KernelBackend;
import org.vfio4j.spi.Fd;
import org.vfio4j.spi.LinuxAbi;
import org.vfio4j.spi.VfioKernel;

/**
 * A fixed sequence of raw VFIO calls whose results and returned bytes are printed one per line,
 * so that the output on the real kernel and on a simulated host configured like it can be diffed.
 * Usage: {@code LaneProbe kernel|sim GROUP BDF}. Arguments are filled with 0x5a so that bytes the
 * kernel does not write are visible.
 */
public final class LaneProbe {
    private final VfioKernel k;
    private final ProbeOutput out;
    private final Arena arena;

    private LaneProbe(VfioKernel k, ProbeOutput out) {
        this.k = k;
        this.out = out;
        this.arena = out.arena;
    }

    /** Runs the probe; arguments as in the class description. */
    public static void main(String[] args) throws Exception {
        int group = Integer.parseInt(args[1]);
        String bdf = args[2];
        VfioKernel k = args[0].equals("kernel") ? KernelBackend.open()
                : org.vfio4j.conformance.run.Targets.laneMirror(group, bdf, Integer.parseInt(args[3]), args[4]).boot();
        try (ProbeOutput o = new ProbeOutput(System.out)) {
            new LaneProbe(k, o).run(group, bdf);
        }
        k.close();
    }

    private MemorySegment arg(int size, int argsz) {
        return out.arg(size, argsz);
    }

    private void line(String what, ProbeOutput.Call call, MemorySegment shown, int bytes) {
        out.line(what, call, shown, bytes);
    }

    private void run(int group, String bdf) throws VfioException {
        Fd c = k.open("/dev/vfio/vfio", LinuxAbi.O_RDWR);
        for (int x = 0; x <= 12; x++) {
            int e = x;
            line("CHECK_EXTENSION(" + x + ") before", () -> k.ioctl(c, VFIO_CHECK_EXTENSION, e), null, 0);
        }
        line("SET_IOMMU(3) without group", () -> k.ioctl(c, VFIO_SET_IOMMU, 3L), null, 0);
        MemorySegment m0 = arg(64, 64);
        line("MAP_DMA before SET_IOMMU", () -> k.ioctl(c, VFIO_IOMMU_MAP_DMA, m0), null, 0);
        Fd g = k.open("/dev/vfio/" + group, LinuxAbi.O_RDWR);
        line("open group twice", () -> k.open("/dev/vfio/" + group, LinuxAbi.O_RDWR).number(), null, 0);
        MemorySegment st = arg(8, 8);
        line("GET_STATUS", () -> k.ioctl(g, VFIO_GROUP_GET_STATUS, st), st, 8);
        MemorySegment name = arena.allocateFrom(bdf);
        line("GET_DEVICE_FD without container", () -> k.ioctl(g, VFIO_GROUP_GET_DEVICE_FD, name), null, 0);
        MemorySegment bad = arena.allocateFrom("0000:77:00.0");
        line("GET_DEVICE_FD unknown name, no container", () -> k.ioctl(g, VFIO_GROUP_GET_DEVICE_FD, bad), null, 0);
        Fd efd = k.eventfd(0, 0);
        MemorySegment fdArg = arg(4, efd.number());
        line("SET_CONTAINER(eventfd)", () -> k.ioctl(g, VFIO_GROUP_SET_CONTAINER, fdArg), null, 0);
        MemorySegment neg = arg(4, -1);
        line("SET_CONTAINER(-1)", () -> k.ioctl(g, VFIO_GROUP_SET_CONTAINER, neg), null, 0);
        MemorySegment cfd = arg(4, c.number());
        line("SET_CONTAINER", () -> k.ioctl(g, VFIO_GROUP_SET_CONTAINER, cfd), null, 0);
        line("GET_STATUS attached", () -> k.ioctl(g, VFIO_GROUP_GET_STATUS, st), st, 8);
        line("SET_IOMMU(6) nesting", () -> k.ioctl(c, VFIO_SET_IOMMU, 6L), null, 0);
        line("SET_IOMMU(9)", () -> k.ioctl(c, VFIO_SET_IOMMU, 9L), null, 0);
        line("SET_IOMMU(4)", () -> k.ioctl(c, VFIO_SET_IOMMU, 4L), null, 0);
        line("SET_IOMMU(3)", () -> k.ioctl(c, VFIO_SET_IOMMU, 3L), null, 0);
        for (int x = 0; x <= 12; x++) {
            int e = x;
            line("CHECK_EXTENSION(" + x + ") after", () -> k.ioctl(c, VFIO_CHECK_EXTENSION, e), null, 0);
        }
        for (int argsz : new int[] {15, 16, 19, 20, 24, 120, 256}) {
            MemorySegment info = arg(256, argsz);
            line("IOMMU_GET_INFO argsz " + argsz, () -> k.ioctl(c, VFIO_IOMMU_GET_INFO, info), info, Math.max(24, Math.min(argsz, 160)));
        }
        MemorySegment page = arena.allocate(8192, 4096);
        long vaddr = k.userAddress(page);
        MemorySegment map = arg(32, 32);
        map.set(ValueLayout.JAVA_INT, 4, 3);
        map.set(ValueLayout.JAVA_LONG, 8, vaddr);
        map.set(ValueLayout.JAVA_LONG, 16, 0x100000);
        map.set(ValueLayout.JAVA_LONG, 24, 8192);
        line("MAP_DMA", () -> k.ioctl(c, VFIO_IOMMU_MAP_DMA, map), null, 0);
        line("MAP_DMA again", () -> k.ioctl(c, VFIO_IOMMU_MAP_DMA, map), null, 0);
        MemorySegment unmap = arg(24, 24);
        unmap.set(ValueLayout.JAVA_INT, 4, 0);
        unmap.set(ValueLayout.JAVA_LONG, 8, 0x101000);
        unmap.set(ValueLayout.JAVA_LONG, 16, 0x1000);
        line("UNMAP_DMA bisecting", () -> k.ioctl(c, VFIO_IOMMU_UNMAP_DMA, unmap), unmap, 24);
        unmap.set(ValueLayout.JAVA_LONG, 8, 0x100000);
        unmap.set(ValueLayout.JAVA_LONG, 16, 0x10000);
        line("UNMAP_DMA", () -> k.ioctl(c, VFIO_IOMMU_UNMAP_DMA, unmap), unmap, 24);
        long[] dev = new long[1];
        line("GET_DEVICE_FD", () -> (dev[0] = k.ioctl(g, VFIO_GROUP_GET_DEVICE_FD, name)) >= 0 ? 0 : -1, null, 0);
        Fd d = k.adopt((int) dev[0], "device");
        for (int argsz : new int[] {16, 20, 24}) {
            MemorySegment info = arg(32, argsz);
            line("DEVICE_GET_INFO argsz " + argsz, () -> k.ioctl(d, VFIO_DEVICE_GET_INFO, info), info, 24);
        }
        for (int index = 0; index <= 9; index++) {
            MemorySegment r = arg(64, 32);
            r.set(ValueLayout.JAVA_INT, 8, index);
            line("REGION_INFO " + index, () -> k.ioctl(d, VFIO_DEVICE_GET_REGION_INFO, r), r, 32);
        }
        MemorySegment cfg = arena.allocate(64);
        line("config pread 0..64", () -> k.pread(d, cfg, 7L << 40), cfg, 64);
        line("config pread at 254", () -> k.pread(d, arena.allocate(4), (7L << 40) + 254), null, 0);
        line("UNSET_CONTAINER with device open", () -> k.ioctl(g, VFIO_GROUP_UNSET_CONTAINER, 0L), null, 0);
    }
}
