package org.vfio4j.conformance.lane;

import static org.vfio4j.uapi.VfioUapi.*;

import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.vfio4j.VfioException;
import org.vfio4j.kernel.KernelBackend;
import org.vfio4j.spi.Fd;
import org.vfio4j.spi.PollFd;
import org.vfio4j.spi.LinuxAbi;
import org.vfio4j.spi.VfioKernel;

/**
 * A fixed sequence of raw vfio-pci device calls (info, every region with its capability chain,
 * IRQ info, the whole config space, BAR sizing, region access at the edges, mmap, every access
 * width through pread/pwrite and a mapping with the config header's write masks, MAP_DMA of a BAR
 * mapping and dirty-page tracking ({@link AccessProbe}), reset, hot-reset info, VF token,
 * ioeventfd, gfx) whose results and bytes are printed one per line, so that a
 * device on the real kernel and its simulated model can be diffed. Usage: {@code DeviceProbe
 * kernel|sim GROUP BDF [mirror arguments]}; with {@code sim} the lane mirror is built from the
 * remaining arguments as {@link LaneProbe} does.
 */
public final class DeviceProbe {
    private static final long CONFIG = (long) VFIO_PCI_CONFIG_REGION_INDEX << 40;
    private final VfioKernel k;
    private final ProbeOutput out;
    private final Arena arena;

    private DeviceProbe(VfioKernel k, ProbeOutput out) {
        this.k = k;
        this.out = out;
        this.arena = out.arena;
    }

    /** The probe's lines for {@code bdf} in {@code group} on {@code k} (which it leaves open). */
    public static java.util.List<String> lines(VfioKernel k, int group, String bdf) throws VfioException {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        try (ProbeOutput o = new ProbeOutput(new PrintStream(bytes, true, java.nio.charset.StandardCharsets.UTF_8))) {
            new DeviceProbe(k, o).run(group, bdf);
        }
        return bytes.toString(java.nio.charset.StandardCharsets.UTF_8).lines().toList();
    }

    /** Runs the probe; arguments as in the class description. */
    public static void main(String[] args) throws Exception {
        int group = Integer.parseInt(args[1]);
        String bdf = args[2];
        VfioKernel k = args[0].equals("kernel") ? KernelBackend.open()
                : org.vfio4j.conformance.run.Targets.laneMirror(Integer.parseInt(args[3]), args[4], Integer.parseInt(args[5]),
                        args[6]).boot();
        lines(k, group, bdf).forEach(System.out::println);
        k.close();
    }

    private MemorySegment arg(int size, int argsz) {
        return out.arg(size, argsz);
    }

    private long line(String what, ProbeOutput.Call call, MemorySegment shown, int bytes) {
        return out.line(what, call, shown, bytes);
    }

    private static String hex(MemorySegment m, int bytes) {
        return ProbeOutput.hex(m, bytes);
    }

    private long setIrqs(String what, Fd d, int flags, int index, int start, int count, int... data) {
        MemorySegment a = arg(20 + 4 * Math.max(1, data.length), 20 + 4 * data.length);
        a.set(ValueLayout.JAVA_INT, 4, flags);
        a.set(ValueLayout.JAVA_INT, 8, index);
        a.set(ValueLayout.JAVA_INT, 12, start);
        a.set(ValueLayout.JAVA_INT, 16, count);
        for (int i = 0; i < data.length; i++) {
            a.set(ValueLayout.JAVA_INT_UNALIGNED, 20 + 4L * i, data[i]);
        }
        return line("SET_IRQS " + what, () -> k.ioctl(d, VFIO_DEVICE_SET_IRQS, a), null, 0);
    }

    private void counters(String when, Fd... efds) throws VfioException {
        StringBuilder sb = new StringBuilder("eventfds " + when + ":");
        for (Fd e : efds) {
            short[] ready = k.poll(java.util.List.of(new org.vfio4j.spi.PollFd(e, LinuxAbi.POLLIN)), 0);
            sb.append(' ').append((ready[0] & LinuxAbi.POLLIN) != 0 ? k.readEventCounter(e) : 0);
        }
        out.println(sb);
    }

    /** SET_IRQS on every index: enable, loop-back, mask/unmask, exclusion, ERR/REQ slots, disable. */
    private void irqs(Fd d) throws VfioException {
        Fd a = k.eventfd(0, 0);
        Fd b = k.eventfd(0, 0);
        int none = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER;
        int efd = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
        for (int index = 0; index < 5; index++) {
            String i = "index " + index;
            setIrqs(i + " disable while off", d, none, index, 0, 0);
            setIrqs(i + " trigger while off", d, none, index, 0, 1);
            setIrqs(i + " enable count 0", d, efd, index, 0, 0);
            setIrqs(i + " enable a", d, efd, index, 0, 1, a.number());
            setIrqs(i + " enable a again", d, efd, index, 0, 1, a.number());
            setIrqs(i + " mask", d, VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_MASK, index, 0, 1);
            setIrqs(i + " trigger", d, none, index, 0, 1);
            setIrqs(i + " unmask", d, VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_UNMASK, index, 0, 1);
            setIrqs(i + " mask from eventfd", d, VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_MASK, index, 0, 1, b.number());
            setIrqs(i + " unmask on eventfd b", d, VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_UNMASK, index, 0, 1, b.number());
            setIrqs(i + " trigger bool", d, VFIO_IRQ_SET_DATA_BOOL | VFIO_IRQ_SET_ACTION_TRIGGER, index, 0, 1, 1);
            setIrqs(i + " replace with b", d, efd, index, 0, 1, b.number());
            setIrqs(i + " trigger", d, none, index, 0, 1);
            for (int other = 0; other < 3; other++) {
                if (other != index && setIrqs(i + " then enable " + other, d, efd, other, 0, 1, a.number()) == 0) {
                    setIrqs(i + " then disable " + other, d, none, other, 0, 0);
                }
            }
            setIrqs(i + " fd -2", d, efd, index, 0, 1, -2);
            setIrqs(i + " fd -1", d, efd, index, 0, 1, -1);
            if (index != 0) { // INTx: Linux 6.1 dereferences the missing eventfd (fixed in 6.9); the simulator refuses
                setIrqs(i + " trigger without fd", d, none, index, 0, 1);
            }
            setIrqs(i + " bad fd", d, efd, index, 0, 1, 9999);
            setIrqs(i + " disable", d, none, index, 0, 0);
            setIrqs(i + " disable again", d, none, index, 0, 0);
            counters("after " + i, a, b);
        }
        if (setIrqs("MSI-X sparse: vectors 0-2, eventfd on 2", d, efd, 2, 2, 1, a.number()) == 0) {
            setIrqs("MSI-X trigger 0-2", d, none, 2, 0, 3);
            setIrqs("MSI-X grow to 4", d, efd, 2, 3, 1, b.number());
            setIrqs("MSI-X eventfd b on 1", d, efd, 2, 1, 1, b.number());
            setIrqs("MSI-X bool trigger 0-2", d, VFIO_IRQ_SET_DATA_BOOL | VFIO_IRQ_SET_ACTION_TRIGGER, 2, 0, 3, 0x00010101);
            setIrqs("MSI-X a on 0, bad fd on 1", d, efd, 2, 0, 2, a.number(), 9999);
            setIrqs("MSI-X trigger 0-2 after the failed block", d, none, 2, 0, 3);
            setIrqs("MSI-X disable", d, none, 2, 0, 0);
            counters("after MSI-X", a, b);
        }
        setIrqs("two data bits", d, VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_DATA_BOOL | VFIO_IRQ_SET_ACTION_TRIGGER, 0, 0, 1, 1);
        setIrqs("two actions", d, VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_MASK | VFIO_IRQ_SET_ACTION_UNMASK, 0, 0, 1);
        setIrqs("unknown flag", d, none | 0x40, 0, 0, 1);
        setIrqs("index 5", d, none, 5, 0, 0);
        k.close(a);
        k.close(b);
    }

    private int cfg32(Fd d, int at) throws VfioException {
        MemorySegment b = arena.allocate(4);
        k.pread(d, b, CONFIG + at);
        return b.get(ValueLayout.JAVA_INT_UNALIGNED, 0);
    }

    private void cfgWrite32(Fd d, int at, int value) throws VfioException {
        MemorySegment b = arena.allocate(4);
        b.set(ValueLayout.JAVA_INT_UNALIGNED, 0, value);
        k.pwrite(d, b, CONFIG + at);
    }

    private void run(int group, String bdf) throws VfioException {
        Fd c = k.open("/dev/vfio/vfio", LinuxAbi.O_RDWR);
        Fd g = k.open("/dev/vfio/" + group, LinuxAbi.O_RDWR);
        MemorySegment cfd = arg(4, c.number());
        k.ioctl(g, VFIO_GROUP_SET_CONTAINER, cfd);
        k.ioctl(c, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU);
        MemorySegment name = arena.allocateFrom(bdf);
        Fd d = k.adopt((int) k.ioctl(g, VFIO_GROUP_GET_DEVICE_FD, name), "device");

        MemorySegment info = arg(32, 24);
        line("DEVICE_GET_INFO", () -> k.ioctl(d, VFIO_DEVICE_GET_INFO, info), info, 24);
        long[] sizes = new long[10];
        for (int index = 0; index <= 10; index++) {
            MemorySegment r = arg(512, 32);
            r.set(ValueLayout.JAVA_INT, 8, index);
            line("REGION_INFO " + index + " argsz 32", () -> k.ioctl(d, VFIO_DEVICE_GET_REGION_INFO, r), r, 32);
            int need = r.get(ValueLayout.JAVA_INT, 0);
            if (index < 10) {
                sizes[index] = r.get(ValueLayout.JAVA_LONG, 16);
            }
            if (need > 32 && need <= 512) {
                MemorySegment r2 = arg(512, need);
                r2.set(ValueLayout.JAVA_INT, 8, index);
                line("REGION_INFO " + index + " argsz " + need, () -> k.ioctl(d, VFIO_DEVICE_GET_REGION_INFO, r2), r2, need);
            }
        }
        for (int index = 0; index <= 5; index++) {
            MemorySegment r = arg(16, 16);
            r.set(ValueLayout.JAVA_INT, 8, index);
            line("IRQ_INFO " + index, () -> k.ioctl(d, VFIO_DEVICE_GET_IRQ_INFO, r), r, 16);
        }
        int cfgSize = (int) sizes[VFIO_PCI_CONFIG_REGION_INDEX];
        MemorySegment cfg = arena.allocate(cfgSize);
        line("config pread all", () -> k.pread(d, cfg, CONFIG), null, 0);
        for (int at = 0; at < cfgSize; at += 32) {
            out.println(String.format("config %03x %s", at, hex(cfg.asSlice(at), 32)));
        }
        // BAR sizing: all-ones, read back, restore
        for (int bar = 0; bar <= 6; bar++) {
            int at = bar == 6 ? 0x30 : 0x10 + 4 * bar;
            int old = cfg32(d, at);
            cfgWrite32(d, at, bar == 6 ? 0xfffff800 : -1);
            int sized = cfg32(d, at);
            cfgWrite32(d, at, old);
            out.println(String.format("BAR %d sizing %08x restored %08x", bar, sized, cfg32(d, at)));
        }
        // read-only header fields: write all-ones, read back
        for (int at : new int[] {0x00, 0x08, 0x2c, 0x34, 0x3c}) {
            int old = cfg32(d, at);
            cfgWrite32(d, at, -1);
            out.println(String.format("config write ffffffff at %02x: %08x -> %08x", at, old, cfg32(d, at)));
            cfgWrite32(d, at, old);
        }
        int status = cfg32(d, 0x04);
        cfgWrite32(d, 0x04, (status & 0xffff) | 0xffff0000);
        out.println(String.format("status write-ones: %08x -> %08x", status, cfg32(d, 0x04)));
        // walk the capability list and write all-ones over every capability dword, restoring after
        int ptr = cfg.get(ValueLayout.JAVA_BYTE, 0x34) & 0xfc;
        for (int guard = 0; ptr != 0 && guard < 48; guard++) {
            int id = cfg.get(ValueLayout.JAVA_BYTE, ptr) & 0xff;
            int next = cfg.get(ValueLayout.JAVA_BYTE, ptr + 1) & 0xfc;
            int end = next > ptr ? Math.min(next, ptr + 64) : Math.min(ptr + 64, 256);
            StringBuilder s = new StringBuilder(String.format("cap %02x at %02x write-ones:", id, ptr));
            for (int at = ptr; at + 4 <= end; at += 4) {
                int old = cfg32(d, at);
                if (id == 0x01 && at == ptr + 4) {
                    continue; // PMCSR: a power-state write would put the device to sleep
                }
                cfgWrite32(d, at, -1);
                int now = cfg32(d, at);
                cfgWrite32(d, at, old);
                s.append(String.format(" %02x:%08x>%08x", at, old, now));
            }
            out.println(s);
            ptr = next;
        }
        // region access at the edges of BAR0, ROM and VGA
        long bar0 = sizes[0];
        MemorySegment eight = arena.allocate(8);
        line("BAR0 pread 4 at 0", () -> k.pread(d, eight.asSlice(0, 4), 0), eight, 4);
        if (bar0 > 0) {
            line("BAR0 pread 8 at size-2", () -> k.pread(d, eight, bar0 - 2), null, 0);
            line("BAR0 pread 4 at size", () -> k.pread(d, eight.asSlice(0, 4), bar0), null, 0);
            line("BAR0 pwrite 0 bytes at size", () -> k.pwrite(d, eight.asSlice(0, 0), bar0), null, 0);
        }
        line("ROM pread 4", () -> k.pread(d, eight.asSlice(0, 4), 6L << 40), null, 0);
        line("ROM pwrite 4", () -> k.pwrite(d, eight.asSlice(0, 4), 6L << 40), null, 0);
        line("VGA pread 1 at 0xa0000", () -> k.pread(d, eight.asSlice(0, 1), (8L << 40) + 0xa0000), null, 0);
        line("region 9 pread", () -> k.pread(d, eight.asSlice(0, 4), 9L << 40), null, 0);
        line("config pread 4 at size", () -> k.pread(d, eight.asSlice(0, 4), CONFIG + cfgSize), null, 0);
        line("config pread 4 at size-2", () -> k.pread(d, eight.asSlice(0, 4), CONFIG + cfgSize - 2), null, 0);
        line("config pread 0 at size+8", () -> k.pread(d, eight.asSlice(0, 0), CONFIG + cfgSize + 8), null, 0);
        // mmap
        if (bar0 >= 4096) {
            line("mmap BAR0 shared", () -> {
                MemorySegment m = k.mmap(d, 0, 4096, LinuxAbi.PROT_READ | LinuxAbi.PROT_WRITE, LinuxAbi.MAP_SHARED);
                long v = Integer.toUnsignedLong(m.get(ValueLayout.JAVA_INT, 0));
                k.munmap(m);
                return v;
            }, null, 0);
            line("mmap BAR0 private", () -> {
                k.munmap(k.mmap(d, 0, 4096, LinuxAbi.PROT_READ, LinuxAbi.MAP_PRIVATE));
                return 0;
            }, null, 0);
            line("mmap BAR0 past end", () -> {
                k.munmap(k.mmap(d, bar0, 4096, LinuxAbi.PROT_READ, LinuxAbi.MAP_SHARED));
                return 0;
            }, null, 0);
        }
        line("mmap config", () -> {
            k.munmap(k.mmap(d, CONFIG, 4096, LinuxAbi.PROT_READ, LinuxAbi.MAP_SHARED));
            return 0;
        }, null, 0);
        // memory decode off: BAR access is EIO
        int cmd = cfg32(d, 0x04) & 0xffff;
        cfgWrite32(d, 0x04, cmd & ~0x2);
        out.println(String.format("command after clearing MEM: %04x", cfg32(d, 0x04) & 0xffff));
        line("BAR0 pread with MEM off", () -> k.pread(d, eight.asSlice(0, 4), 0), null, 0);
        cfgWrite32(d, 0x04, cmd);
        line("BAR0 pread with MEM back", () -> k.pread(d, eight.asSlice(0, 4), 0), eight, 4);
        // every access width through pread/pwrite and a mapping, the config header's write masks,
        // MAP_DMA of a BAR mapping, dirty-page tracking
        new AccessProbe(k, out).run(c, d, bar0, cfg32(d, 0));
        // reset, hot reset
        cfgWrite32(d, 0x3c, (cfg32(d, 0x3c) & ~0xff) | 0x42);
        line("DEVICE_RESET", () -> k.ioctl(d, VFIO_DEVICE_RESET, 0L), null, 0);
        out.println(String.format("after reset: command %04x intline %02x", cfg32(d, 0x04) & 0xffff, cfg32(d, 0x3c) & 0xff));
        MemorySegment hr = arg(256, 12);
        line("HOT_RESET_INFO argsz 12", () -> k.ioctl(d, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, hr), hr, 16);
        int count = hr.get(ValueLayout.JAVA_INT, 8);
        if (count > 0 && count < 30) {
            MemorySegment hr2 = arg(256, 12 + 8 * count);
            line("HOT_RESET_INFO argsz full", () -> k.ioctl(d, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, hr2), hr2, 12 + 8 * count);
        }
        MemorySegment reset = arg(16, 16);
        reset.set(ValueLayout.JAVA_INT, 4, 0);
        reset.set(ValueLayout.JAVA_INT, 8, 1);
        reset.set(ValueLayout.JAVA_INT, 12, g.number());
        line("PCI_HOT_RESET own group", () -> k.ioctl(d, VFIO_DEVICE_PCI_HOT_RESET, reset), null, 0);
        reset.set(ValueLayout.JAVA_INT, 8, 0);
        line("PCI_HOT_RESET count 0", () -> k.ioctl(d, VFIO_DEVICE_PCI_HOT_RESET, reset), null, 0);
        reset.set(ValueLayout.JAVA_INT, 8, 1);
        reset.set(ValueLayout.JAVA_INT, 12, c.number());
        line("PCI_HOT_RESET container fd", () -> k.ioctl(d, VFIO_DEVICE_PCI_HOT_RESET, reset), null, 0);
        // feature
        for (int flags : new int[] {VFIO_DEVICE_FEATURE_PROBE | VFIO_DEVICE_FEATURE_SET, VFIO_DEVICE_FEATURE_GET,
                VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_SET, 0, 1 << 20, VFIO_DEVICE_FEATURE_PROBE | 3}) {
            MemorySegment f = arg(24, 24);
            f.set(ValueLayout.JAVA_INT, 4, flags);
            line("FEATURE flags 0x" + Integer.toHexString(flags), () -> k.ioctl(d, VFIO_DEVICE_FEATURE, f), null, 0);
        }
        // ioeventfd
        Fd efd = k.eventfd(0, 0);
        MemorySegment io = arg(32, 32);
        io.set(ValueLayout.JAVA_INT, 4, 4);
        io.set(ValueLayout.JAVA_LONG, 8, 0); // BAR0 offset 0
        io.set(ValueLayout.JAVA_LONG, 16, 0);
        io.set(ValueLayout.JAVA_INT, 24, efd.number());
        line("IOEVENTFD assign", () -> k.ioctl(d, VFIO_DEVICE_IOEVENTFD, io), null, 0);
        line("IOEVENTFD assign again", () -> k.ioctl(d, VFIO_DEVICE_IOEVENTFD, io), null, 0);
        io.set(ValueLayout.JAVA_INT, 24, -1);
        line("IOEVENTFD deassign", () -> k.ioctl(d, VFIO_DEVICE_IOEVENTFD, io), null, 0);
        line("IOEVENTFD deassign again", () -> k.ioctl(d, VFIO_DEVICE_IOEVENTFD, io), null, 0);
        io.set(ValueLayout.JAVA_INT, 4, 3);
        line("IOEVENTFD size 3", () -> k.ioctl(d, VFIO_DEVICE_IOEVENTFD, io), null, 0);
        io.set(ValueLayout.JAVA_INT, 4, 8);
        io.set(ValueLayout.JAVA_INT, 24, efd.number());
        line("IOEVENTFD size 8", () -> k.ioctl(d, VFIO_DEVICE_IOEVENTFD, io), null, 0);
        io.set(ValueLayout.JAVA_INT, 24, -1);
        line("IOEVENTFD size 8 deassign", () -> k.ioctl(d, VFIO_DEVICE_IOEVENTFD, io), null, 0);
        io.set(ValueLayout.JAVA_INT, 4, 4);
        io.set(ValueLayout.JAVA_LONG, 8, 7L << 40);
        io.set(ValueLayout.JAVA_INT, 24, efd.number());
        line("IOEVENTFD config region", () -> k.ioctl(d, VFIO_DEVICE_IOEVENTFD, io), null, 0);
        io.set(ValueLayout.JAVA_LONG, 8, Math.max(bar0 - 2, 0));
        line("IOEVENTFD across BAR0 end", () -> k.ioctl(d, VFIO_DEVICE_IOEVENTFD, io), null, 0);
        io.set(ValueLayout.JAVA_LONG, 8, 0);
        io.set(ValueLayout.JAVA_INT, 24, 9999);
        line("IOEVENTFD bad fd", () -> k.ioctl(d, VFIO_DEVICE_IOEVENTFD, io), null, 0);
        io.set(ValueLayout.JAVA_INT, 24, c.number());
        line("IOEVENTFD container fd", () -> k.ioctl(d, VFIO_DEVICE_IOEVENTFD, io), null, 0);
        io.set(ValueLayout.JAVA_INT, 24, -2);
        line("IOEVENTFD fd -2", () -> k.ioctl(d, VFIO_DEVICE_IOEVENTFD, io), null, 0);
        MemorySegment plane = arg(96, 96);
        line("QUERY_GFX_PLANE", () -> k.ioctl(d, VFIO_DEVICE_QUERY_GFX_PLANE, plane), null, 0);
        line("GET_GFX_DMABUF", () -> k.ioctl(d, VFIO_DEVICE_GET_GFX_DMABUF, arg(4, 0)), null, 0);
        irqs(d);
        k.close(d);
        // reopen: the virtual config starts again from the device
        Fd d2 = k.adopt((int) k.ioctl(g, VFIO_GROUP_GET_DEVICE_FD, name), "device");
        out.println(String.format("reopened: command %04x intline %02x", cfg32(d2, 0x04) & 0xffff, cfg32(d2, 0x3c) & 0xff));
        k.close(d2);
    }
}
