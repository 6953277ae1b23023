package org.vfio4j.conformance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.vfio4j.fixtures.assertj.VfioAssertions.assertThatVfioCall;
import static org.vfio4j.uapi.VfioUapi.*;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import org.vfio4j.DeviceInfo;
import org.vfio4j.Errno;
import org.vfio4j.EventNotifier;
import org.vfio4j.PciCapability;
import org.vfio4j.PciConfig;
import org.vfio4j.RegionInfo;
import org.vfio4j.VfioDevice;
import org.vfio4j.fixtures.assertj.VfioCallAssert;
import org.vfio4j.spi.LinuxAbi;
import org.vfio4j.spi.VfioKernel;

/**
 * vfio-pci device rules, I22-I28 and I35-I38 of docs/conformance.md, on every device of the target
 * ({@code drivers/vfio/pci/vfio_pci_core.c}, {@code vfio_pci_config.c}, {@code vfio_pci_rdwr.c}). Expectations come from what the device reports through VFIO (region sizes and flags,
 * its config space) and the kernel's rules, never from the backend's internals.
 */
public interface PciDeviceContract extends Contract {

    /** Runs {@code body} on each of the target's devices, opened in a fresh session. */
    default void onEachDevice(DeviceBody body) throws Exception {
        onEach(this, body);
    }

    /** {@link #onEachDevice} for other contracts. */
    static void onEach(Contract c, DeviceBody body) throws Exception {
        for (TargetDevice t : c.target().devices()) {
            try (Session s = new Session(c.target())) {
                Session.Opened o = s.open(t);
                body.run(s, o, o.device());
            }
        }
    }

    /** A test body run on one opened device of the target. */
    @FunctionalInterface
    interface DeviceBody {
        /** Runs on device {@code d}, opened in session {@code s}. */
        void run(Session s, Session.Opened o, VfioDevice d) throws Exception;
    }

    private static MemorySegment arg(Session s, int size, int argsz) {
        MemorySegment m = s.memory(1).asSlice(0, size);
        m.fill((byte) 0x5a);
        m.set(ValueLayout.JAVA_INT, 0, argsz);
        return m;
    }

    private static VfioKernel seam(Session s) {
        return s.vfio.seam();
    }

    /**
     * DEVICE_GET_INFO: argsz below 16 is EINVAL; 16 writes 16 bytes; 6.1 also writes cap_offset (0)
     * when argsz reaches it ({@code vfio_pci_ioctl_get_info}).
     */
    @Property(tries = 3)
    default void deviceGetInfo_followsTheArgszProtocol(@ForAll @IntRange(min = 0, max = 15) int small) throws Exception {
        onEachDevice((s, o, d) -> {
            assertThatVfioCall(() -> seam(s).ioctl(d.fd(), VFIO_DEVICE_GET_INFO, arg(s, 24, small))).failsWith(Errno.EINVAL);
            MemorySegment exact = arg(s, 24, 16);
            seam(s).ioctl(d.fd(), VFIO_DEVICE_GET_INFO, exact);
            assertThat(exact.get(ValueLayout.JAVA_INT, 16)).as("bytes past argsz 16 untouched").isEqualTo(0x5a5a5a5a);
            MemorySegment wide = arg(s, 24, 24);
            seam(s).ioctl(d.fd(), VFIO_DEVICE_GET_INFO, wide);
            assertThat(wide.get(ValueLayout.JAVA_INT, 0)).as("argsz unchanged").isEqualTo(24);
            assertThat(wide.get(ValueLayout.JAVA_INT, 16)).as("cap_offset").isEqualTo(target().profile().hasDeviceInfoCapOffset() ? 0 : 0x5a5a5a5a);
            // 6.6+ copies the struct's padding after cap_offset too, as zeros ("vfio: align capability structures")
            assertThat(wide.get(ValueLayout.JAVA_INT, 20)).as(target().profile().copiesWholeInfoStructs() ? "the struct's padding"
                    : "bytes past the struct untouched").isEqualTo(target().profile().copiesWholeInfoStructs() ? 0 : 0x5a5a5a5a);
        });
    }

    /**
     * REGION_INFO's argsz protocol for every index: below 32 EINVAL; exactly 32 succeeds and, with
     * capabilities, sets CAPS, grows argsz to what they need and leaves cap_offset 0; with that argsz
     * the chain starts at 32, walks forward inside it and ends with next 0; more room changes nothing
     * ({@code vfio_pci_ioctl_get_region_info}).
     */
    @Property(tries = 2)
    default void regionInfo_followsTheArgszProtocol_forEveryIndex(@ForAll @IntRange(min = 0, max = 31) int small) throws Exception {
        onEachDevice((s, o, d) -> {
            DeviceInfo info = d.info();
            for (int index = 0; index < info.numRegions() + 2; index++) {
                int i = index;
                MemorySegment low = arg(s, 32, small);
                low.set(ValueLayout.JAVA_INT, 8, i);
                assertThatVfioCall(() -> seam(s).ioctl(d.fd(), VFIO_DEVICE_GET_REGION_INFO, low)).as("index %d argsz %d", i, small)
                        .failsWith(Errno.EINVAL);
                MemorySegment r = arg(s, 32, 32);
                r.set(ValueLayout.JAVA_INT, 8, i);
                Calls.Attempt<Integer> e = Calls.attempt(() -> seam(s).ioctl(d.fd(), VFIO_DEVICE_GET_REGION_INFO, r));
                boolean exists = i < info.numRegions() && (i != VFIO_PCI_VGA_REGION_INDEX || e.succeeded());
                if (!exists) {
                    Calls.assertThat(e).as("index %d", i).failsWith(Errno.EINVAL);
                    assertThat(r.get(ValueLayout.JAVA_INT, 4)).as("nothing written on failure").isEqualTo(0x5a5a5a5a);
                    continue;
                }
                Calls.assertThat(e).as("index %d", i).succeeds();
                assertThat(r.get(ValueLayout.JAVA_LONG, 24)).isEqualTo((long) i << 40);
                int flags = r.get(ValueLayout.JAVA_INT, 4);
                int needed = r.get(ValueLayout.JAVA_INT, 0);
                if ((flags & VFIO_REGION_INFO_FLAG_CAPS) == 0) {
                    assertThat(needed).isEqualTo(32);
                    assertThat(r.get(ValueLayout.JAVA_INT, 12)).as("cap_offset untouched without caps").isEqualTo(0x5a5a5a5a);
                    continue;
                }
                assertThat(needed).as("argsz grows to the chain").isGreaterThan(32);
                assertThat(r.get(ValueLayout.JAVA_INT, 12)).as("cap_offset 0 when the chain does not fit").isZero();
                MemorySegment full = arg(s, needed + 16, needed);
                full.set(ValueLayout.JAVA_INT, 8, i);
                seam(s).ioctl(d.fd(), VFIO_DEVICE_GET_REGION_INFO, full);
                assertThat(full.get(ValueLayout.JAVA_INT, 0)).isEqualTo(needed);
                assertThat(full.get(ValueLayout.JAVA_INT, 12)).isEqualTo(32);
                long at = 32;
                Set<Long> seen = new HashSet<>();
                while (at != 0) {
                    assertThat(seen.add(at) && at >= 32 && at + 8 <= needed).as("chain entry at %d", at).isTrue();
                    at = Integer.toUnsignedLong(full.get(ValueLayout.JAVA_INT, at + 4));
                }
                assertThat(full.get(ValueLayout.JAVA_INT, needed)).as("nothing written past argsz").isEqualTo(0x5a5a5a5a);
                MemorySegment more = arg(s, needed + 64, needed + 64);
                more.set(ValueLayout.JAVA_INT, 8, i);
                seam(s).ioctl(d.fd(), VFIO_DEVICE_GET_REGION_INFO, more);
                assertThat(more.asSlice(4, needed - 4).toArray(ValueLayout.JAVA_BYTE)).isEqualTo(full.asSlice(4, needed - 4).toArray(ValueLayout.JAVA_BYTE));
            }
        });
    }

    /**
     * GET_IRQ_INFO: argsz below 16 or index 5+ is EINVAL; ERR exists exactly on PCI Express
     * functions; INTx is maskable and automasked, the others NORESIZE (but MSI-X with 6.5's dynamic
     * MSI-X); INTx count follows the
     * interrupt pin, MSI-X's the table size in its capability ({@code vfio_pci_ioctl_get_irq_info},
     * {@code vfio_pci_get_irq_count}).
     */
    @Property(tries = 2)
    default void irqInfo_followsTheConfigSpace_andBadIndexesAreEinval(@ForAll @IntRange(min = 5, max = 64) int badIndex) throws Exception {
        onEachDevice((s, o, d) -> {
            PciConfig cfg = d.config();
            assertThatVfioCall(() -> d.irqInfo(badIndex)).failsWith(Errno.EINVAL);
            MemorySegment small = arg(s, 16, 15);
            assertThatVfioCall(() -> seam(s).ioctl(d.fd(), VFIO_DEVICE_GET_IRQ_INFO, small)).failsWith(Errno.EINVAL);
            boolean pcie = cfg.find(0x10) >= 0;
            Calls.failsWithOrSucceeds(assertThatVfioCall(() -> d.irqInfo(VFIO_PCI_ERR_IRQ_INDEX)).as("ERR"), pcie ? null : Errno.EINVAL);
            var intx = d.irqInfo(VFIO_PCI_INTX_IRQ_INDEX);
            assertThat(intx.flags()).isEqualTo(VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_MASKABLE | VFIO_IRQ_INFO_AUTOMASKED);
            assertThat(intx.count()).isEqualTo(cfg.read8(0x3d) != 0 ? 1 : 0);
            for (int i : new int[] {VFIO_PCI_MSI_IRQ_INDEX, VFIO_PCI_MSIX_IRQ_INDEX, VFIO_PCI_REQ_IRQ_INDEX}) {
                // 6.5+ on x86: a function with MSI-X can grow it (has_dyn_msix)
                boolean resizable = i == VFIO_PCI_MSIX_IRQ_INDEX && target().profile().hasDynamicMsix() && cfg.find(0x11) >= 0;
                assertThat(d.irqInfo(i).flags()).as("index %d", i)
                        .isEqualTo(VFIO_IRQ_INFO_EVENTFD | (resizable ? 0 : VFIO_IRQ_INFO_NORESIZE));
            }
            int msix = cfg.find(0x11);
            assertThat(d.irqInfo(VFIO_PCI_MSIX_IRQ_INDEX).count()).isEqualTo(msix < 0 ? 0 : (cfg.read16(msix + 2) & 0x7ff) + 1);
            assertThat(d.irqInfo(VFIO_PCI_REQ_IRQ_INDEX).count()).isEqualTo(1);
            if (cfg.find(0x05) < 0) {
                assertThat(d.irqInfo(VFIO_PCI_MSI_IRQ_INDEX).count()).isZero();
            }
        });
    }

    /**
     * I24: writing all-ones to a BAR and reading it back gives the size mask with the BAR's type
     * bits (size from REGION_INFO), the upper half of a 64-bit BAR the mask's upper half, an
     * unimplemented BAR 0; restoring the value restores it, and the device stays reachable ({@code
     * vfio_bar_fixup}).
     */
    @Property(tries = 2)
    default void barSizing_readsTheSizeMaskWithTheTypeBits(@ForAll @IntRange(min = 0, max = 5) int first) throws Exception {
        onEachDevice((s, o, d) -> {
            PciConfig cfg = d.config();
            for (int k = 0; k < 6; k++) {
                int bar = (first + k) % 6;
                int at = 0x10 + 4 * bar;
                int old = cfg.read32(at);
                cfg.write32(at, -1);
                int sized = cfg.read32(at);
                cfg.write32(at, old);
                assertThat(cfg.read32(at)).as("BAR%d restored", bar).isEqualTo(old);
                long size = d.regionInfo(bar).size();
                boolean upperHalf = bar > 0 && (cfg.read32(at - 4) & 0x7) == 0x4 && d.regionInfo(bar - 1).size() > 0;
                if (upperHalf) {
                    long lowerSize = d.regionInfo(bar - 1).size();
                    assertThat(sized).as("upper half of 64-bit BAR%d", bar - 1).isEqualTo((int) (~(lowerSize - 1) >>> 32));
                } else if (size == 0) {
                    assertThat(sized).as("unimplemented BAR%d", bar).isZero();
                } else {
                    boolean io = (old & 1) != 0;
                    int typeBits = old & (io ? 0x1 : 0xf);
                    assertThat(sized).as("BAR%d of 0x%x bytes", bar, size).isEqualTo((int) ~(size - 1) & (io ? ~0x3 : ~0xf) | typeBits);
                }
            }
            assertThat(d.regionInfo(VFIO_PCI_CONFIG_REGION_INDEX).size()).isIn(256L, 4096L);
            long bar0 = d.regionInfo(0).size();
            if (bar0 > 0) {
                assertThat(d.region(0).read(0, s.memory(1).asSlice(0, 4))).isEqualTo(4);
            }
        });
    }

    /**
     * I25: writes to read-only header fields (IDs, STATUS, revision/class, header type, capability
     * pointer, pin) never change them ({@code vfio_basic_config_write}).
     */
    @Property(tries = 10)
    default void readOnlyHeaderFields_ignoreWrites(@ForAll("readOnlyField") int offset, @ForAll int value, @ForAll("width") int width)
            throws Exception {
        onEachDevice((s, o, d) -> {
            int at = offset & -width;
            MemorySegment before = s.memory(1).asSlice(0, 64);
            d.readConfig(0, before);
            MemorySegment w = s.memory(1).asSlice(0, width);
            for (int i = 0; i < width; i++) {
                w.set(ValueLayout.JAVA_BYTE, i, (byte) (value >>> 8 * i));
            }
            if (at == 0x04) {
                return; // COMMAND shares the dword with STATUS; STATUS is written alone below
            }
            assertThat(d.writeConfig(at, w)).isEqualTo(width);
            MemorySegment after = s.memory(1).asSlice(0, 64);
            d.readConfig(0, after);
            for (int b = at; b < at + width; b++) {
                if (readOnly(b)) {
                    assertThat(after.get(ValueLayout.JAVA_BYTE, b)).as("config byte 0x%x after writing 0x%x", b, value)
                            .isEqualTo(before.get(ValueLayout.JAVA_BYTE, b));
                }
            }
            MemorySegment status = s.memory(1).asSlice(0, 2);
            status.set(ValueLayout.JAVA_SHORT_UNALIGNED, 0, (short) value);
            d.writeConfig(0x06, status);
            assertThat(d.config().read16(0x06)).isEqualTo(before.get(ValueLayout.JAVA_SHORT_UNALIGNED, 0x06) & 0xffff);
        });
    }

    private static boolean readOnly(int b) {
        return b <= 0x03 || b == 0x06 || b == 0x07 || (b >= 0x08 && b <= 0x0b) || b == 0x0e || b == 0x34 || b == 0x3d;
    }

    /** Offsets of read-only header fields. */
    @Provide
    default Arbitrary<Integer> readOnlyField() {
        return Arbitraries.of(0x00, 0x02, 0x08, 0x0a, 0x0e, 0x34, 0x3d);
    }

    /** Access widths in bytes. */
    @Provide
    default Arbitrary<Integer> width() {
        return Arbitraries.of(1, 2, 4);
    }

    /**
     * The capability walk as vfio-pci presents it terminates, stays inside config space on dword
     * boundaries, and never shows a capability vfio-pci hides (null, slot id, CompactPCI, debug,
     * SHPC, bridge subsystem, AGP3, secure device, anything past Enhanced Allocation); the same
     * for the extended list ({@code vfio_cap_init}, {@code vfio_ecap_init}).
     */
    @Property(tries = 2)
    default void capabilityWalk_terminates_andShowsNothingVfioPciHides(@ForAll @IntRange(min = 0, max = 1) int unused) throws Exception {
        onEachDevice((s, o, d) -> {
            PciConfig cfg = d.config();
            List<PciCapability> caps = cfg.capabilities();
            Set<Integer> offsets = new HashSet<>();
            for (PciCapability c : caps) {
                assertThat(c.offset()).isBetween(0x40, 0xfc);
                assertThat(c.offset() % 4).isZero();
                assertThat(offsets.add(c.offset())).as("capability at 0x%x seen twice", c.offset()).isTrue();
                assertThat(c.id()).as("hidden capability ids").isNotIn(0, 0x04, 0x06, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f)
                        .isLessThanOrEqualTo(0x13);
            }
            int last = caps.isEmpty() ? 0x34 : caps.getLast().offset() + 1;
            assertThat(cfg.read8(last) & 0xfc).as("the walk ends with a null pointer").isZero();
            assertThat((cfg.read16(0x06) & 0x10) != 0).as("STATUS CAP_LIST iff capabilities are visible").isEqualTo(!caps.isEmpty());
            for (PciCapability c : cfg.extendedCapabilities()) {
                assertThat(c.offset()).isBetween(0x100, (int) cfg.size() - 4);
            }
        });
    }

    /**
     * I27: reads of an implemented BAR return min(count, size - offset) below its end and EINVAL
     * at or past it; writes past the end are EINVAL and of zero bytes return 0; the ROM refuses
     * writes; an unimplemented BAR refuses access ({@code vfio_pci_bar_rw}).
     */
    @Property(tries = 15)
    default void barAccess_isClippedAtTheBarEnd_andAtOrPastItIsEinval(@ForAll @IntRange(min = 0, max = 5) int bar, @ForAll @LongRange(min = 1, max = 64) long count,
                                       @ForAll @LongRange(min = 0, max = 64) long fromEnd) throws Exception {
        onEachDevice((s, o, d) -> {
            VfioKernel k = seam(s);
            RegionInfo r = d.regionInfo(bar);
            MemorySegment buf = s.memory(1).asSlice(0, count);
            long base = (long) bar << 40;
            if (r.size() == 0) {
                assertThatVfioCall(() -> k.pread(d.fd(), buf, base)).as("unimplemented BAR%d", bar).failsWith(Errno.EINVAL);
                return;
            }
            long offset = r.size() - fromEnd;
            VfioCallAssert<Long> read = assertThatVfioCall(() -> k.pread(d.fd(), buf, base + offset)).as("read at the end of BAR%d - %d", bar, fromEnd);
            if (fromEnd == 0) {
                read.failsWith(Errno.EINVAL);
                assertThatVfioCall(() -> k.pwrite(d.fd(), buf, base + offset)).as("write at the end of BAR%d", bar).failsWith(Errno.EINVAL);
            } else {
                read.succeeds().isEqualTo(Math.min(count, fromEnd));
            }
            assertThat(k.pwrite(d.fd(), buf.asSlice(0, 0), base + r.size() + 8)).isZero();
            assertThatVfioCall(() -> k.pwrite(d.fd(), buf, (long) VFIO_PCI_ROM_REGION_INDEX << 40)).as("ROM write").failsWith(Errno.EINVAL);
        });
    }

    /**
     * I28: the MMAP flag decides mmap: a shared mapping of a page-aligned part of an MMAP region
     * succeeds, the rest of the BAR-less or flagless regions refuse; MAP_PRIVATE, config, ROM and
     * VGA are EINVAL; so is a mapping past the page-aligned end of a BAR ({@code vfio_pci_core_mmap}).
     */
    @Property(tries = 2)
    default void mmap_succeedsOnlyAsASharedMappingInsideAnMmapRegion(@ForAll @IntRange(min = 0, max = 1) int unused) throws Exception {
        onEachDevice((s, o, d) -> {
            VfioKernel k = seam(s);
            int rw = LinuxAbi.PROT_READ | LinuxAbi.PROT_WRITE;
            for (int i = 0; i <= VFIO_PCI_BAR5_REGION_INDEX; i++) {
                RegionInfo r = d.regionInfo(i);
                long base = (long) i << 40;
                if (r.mmappable()) {
                    MemorySegment m = k.mmap(d.fd(), base, 4096, LinuxAbi.PROT_READ, LinuxAbi.MAP_SHARED);
                    assertThat(m.byteSize()).isEqualTo(4096);
                    k.munmap(m);
                    long pages = (r.size() + 4095) & -4096L;
                    assertThatVfioCall(() -> k.mmap(d.fd(), base + pages, 4096, LinuxAbi.PROT_READ, LinuxAbi.MAP_SHARED))
                            .as("past the end of BAR%d", i).failsWith(Errno.EINVAL);
                    assertThatVfioCall(() -> k.mmap(d.fd(), base, 4096, LinuxAbi.PROT_READ, LinuxAbi.MAP_PRIVATE))
                            .as("MAP_PRIVATE of BAR%d", i).failsWith(Errno.EINVAL);
                } else {
                    assertThatVfioCall(() -> k.mmap(d.fd(), base, 4096, rw, LinuxAbi.MAP_SHARED)).as("BAR%d", i).failsWith(Errno.EINVAL);
                }
            }
            for (int i : new int[] {VFIO_PCI_ROM_REGION_INDEX, VFIO_PCI_CONFIG_REGION_INDEX, VFIO_PCI_VGA_REGION_INDEX}) {
                long base = (long) i << 40;
                assertThatVfioCall(() -> k.mmap(d.fd(), base, 4096, LinuxAbi.PROT_READ, LinuxAbi.MAP_SHARED)).as("region %d", i)
                        .failsWith(Errno.EINVAL);
            }
        });
    }

    /**
     * I35 and the ioeventfd checks: the same (BAR, offset, data, size) twice is EEXIST; removing
     * with fd -1 once succeeds and again is ENODEV; data is part of the identity; sizes other than
     * 1/2/4/8, fd below -1, non-BAR regions and writes past the BAR are EINVAL; a closed fd is EBADF
     * and a non-eventfd EINVAL; the 1001st entry is ENOSPC ({@code vfio_pci_ioctl_ioeventfd}, {@code
     * vfio_pci_ioeventfd}).
     */
    @Property(tries = 2)
    default void ioeventfd_refusesDuplicatesAndBadArgs_andStopsAt1000(@ForAll @LongRange(min = 0, max = 0xffff) long data) throws Exception {
        onEachDevice((s, o, d) -> {
            VfioKernel k = seam(s);
            if (d.regionInfo(0).size() < 8) {
                return;
            }
            try (EventNotifier n = s.vfio.eventNotifier()) {
                int fd = n.fd().number();
                ioeventfd(s, d, 4, 0, data, fd).succeeds();
                ioeventfd(s, d, 4, 0, data, fd).failsWith(Errno.EEXIST);
                ioeventfd(s, d, 4, 0, data + 1, fd).as("data is part of the identity").succeeds();
                ioeventfd(s, d, 4, 0, data, -1).succeeds();
                ioeventfd(s, d, 4, 0, data, -1).failsWith(Errno.ENODEV);
                ioeventfd(s, d, 4, 0, data + 1, -1).succeeds();
                ioeventfd(s, d, 3, 0, data, fd).failsWith(Errno.EINVAL);
                ioeventfd(s, d, 0x14, 0, data, fd).failsWith(Errno.EINVAL);
                ioeventfd(s, d, 4, 0, data, -2).failsWith(Errno.EINVAL);
                ioeventfd(s, d, 4, (long) VFIO_PCI_CONFIG_REGION_INDEX << 40, data, fd).failsWith(Errno.EINVAL);
                ioeventfd(s, d, 4, d.regionInfo(0).size() - 2, data, fd).failsWith(Errno.EINVAL);
                ioeventfd(s, d, 4, 0, data, 100_000).failsWith(Errno.EBADF);
                ioeventfd(s, d, 4, 0, data, o.container().fd().number()).failsWith(Errno.EINVAL);
                for (int i = 0; i < 1000; i++) {
                    ioeventfd(s, d, 1, 0, i, fd).as("entry %d", i).succeeds();
                }
                ioeventfd(s, d, 1, 0, 1000, fd).failsWith(Errno.ENOSPC);
            }
        });
    }

    /** Makes a raw VFIO_DEVICE_IOEVENTFD (size in {@code flags}) and asserts on it, named by its fields. */
    private static VfioCallAssert<Integer> ioeventfd(Session s, VfioDevice d, int flags, long offset, long data, int fd) {
        MemorySegment a = arg(s, 32, 32);
        a.set(ValueLayout.JAVA_INT, 4, flags);
        a.set(ValueLayout.JAVA_LONG, 8, offset);
        a.set(ValueLayout.JAVA_LONG, 16, data);
        a.set(ValueLayout.JAVA_INT, 24, fd);
        return assertThatVfioCall(() -> s.vfio.seam().ioctl(d.fd(), VFIO_DEVICE_IOEVENTFD, a))
                .as("VFIO_DEVICE_IOEVENTFD {flags=0x%x, offset=0x%x, data=0x%x, fd=%d}", flags, offset, data, fd);
    }

    /**
     * I36 and the FEATURE header checks: argsz below 8, unknown flag bits, GET with SET without
     * PROBE are EINVAL; VF_TOKEN PROBE|SET succeeds exactly on SR-IOV PFs (ENOTTY elsewhere) and
     * GET of it never succeeds (EINVAL on PFs; ENOTTY elsewhere: "not a PF" is checked first)
     * ({@code vfio_ioctl_device_feature}, {@code vfio_check_feature}).
     */
    @Property(tries = 2)
    default void deviceFeature_checksItsHeader_andVfTokenExistsOnlyOnPfs(@ForAll @IntRange(min = 0, max = 7) int small) throws Exception {
        onEachDevice((s, o, d) -> {
            boolean pf = d.config().extendedCapabilities().stream().anyMatch(c -> c.id() == 0x10);
            feature(s, d, small, VFIO_DEVICE_FEATURE_PROBE | VFIO_DEVICE_FEATURE_SET).failsWith(Errno.EINVAL);
            feature(s, d, 24, 1 << 19).failsWith(Errno.EINVAL);
            feature(s, d, 24, VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_SET).failsWith(Errno.EINVAL);
            Calls.failsWithOrSucceeds(feature(s, d, 24, VFIO_DEVICE_FEATURE_PROBE | VFIO_DEVICE_FEATURE_SET), pf ? null : Errno.ENOTTY);
            feature(s, d, 24, VFIO_DEVICE_FEATURE_GET).failsWith(pf ? Errno.EINVAL : Errno.ENOTTY);
        });
    }

    /** Makes a raw VFIO_DEVICE_FEATURE of feature 0 (VF_TOKEN) and asserts on it, named by its fields. */
    private static VfioCallAssert<Integer> feature(Session s, VfioDevice d, int argsz, int flags) {
        MemorySegment a = arg(s, 24, argsz);
        a.set(ValueLayout.JAVA_INT, 4, flags);
        return assertThatVfioCall(() -> s.vfio.seam().ioctl(d.fd(), VFIO_DEVICE_FEATURE, a))
                .as("VFIO_DEVICE_FEATURE {argsz=%d, flags=0x%x}", argsz, flags);
    }

    /**
     * I37: HOT_RESET_INFO with only the header is ENODEV (no slot or bus reset) or ENOSPC with the
     * count written; with room for that count it succeeds with the same count, lists the device
     * itself, and leaves argsz alone. A hot reset with count 0 is EINVAL (after the ENODEV check; 6.5+ before it),
     * with a non-group fd EINVAL, and with the device's own group succeeds when it alone is affected
     * ({@code vfio_pci_ioctl_get_pci_hot_reset_info}, {@code vfio_pci_ioctl_pci_hot_reset}).
     */
    @Property(tries = 2)
    @RequiresFeature(TargetFeature.RESETS)
    default void hotReset_infoCountsTheDevices_andResetChecksTheGroups(@ForAll @IntRange(min = 0, max = 11) int small) throws Exception {
        onEachDevice((s, o, d) -> {
            VfioKernel k = seam(s);
            MemorySegment low = arg(s, 16, small);
            assertThatVfioCall(() -> k.ioctl(d.fd(), VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, low)).failsWith(Errno.EINVAL);
            MemorySegment h = arg(s, 16, 12);
            Calls.Attempt<Integer> e = Calls.attempt(() -> k.ioctl(d.fd(), VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, h));
            MemorySegment reset = arg(s, 16, 16);
            reset.set(ValueLayout.JAVA_INT, 4, 0);
            reset.set(ValueLayout.JAVA_INT, 8, 0);
            reset.set(ValueLayout.JAVA_INT, 12, o.group().fd().number());
            if (e.errno() == Errno.ENODEV) {
                assertThat(h.get(ValueLayout.JAVA_INT, 8)).as("nothing written with ENODEV").isEqualTo(0x5a5a5a5a);
                // 6.5+: an empty group list is EINVAL before the bus checks (it is for cdev-opened devices)
                assertThatVfioCall(() -> k.ioctl(d.fd(), VFIO_DEVICE_PCI_HOT_RESET, reset))
                        .failsWith(target().profile().hotResetWantsGroups() ? Errno.EINVAL : Errno.ENODEV);
                return;
            }
            Calls.assertThat(e).as("HOT_RESET_INFO with only the header").failsWith(Errno.ENOSPC);
            int count = h.get(ValueLayout.JAVA_INT, 8);
            assertThat(count).isGreaterThanOrEqualTo(1);
            assertThat(h.get(ValueLayout.JAVA_INT, 4)).as("flags").isZero();
            var info = d.hotResetInfo();
            assertThat(info.devices()).hasSize(count);
            assertThat(info.devices().stream().map(x -> x.address().toString())).contains(d.name());
            MemorySegment full = arg(s, 12 + 8 * count + 8, 12 + 8 * count);
            k.ioctl(d.fd(), VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, full);
            assertThat(full.get(ValueLayout.JAVA_INT, 0)).isEqualTo(12 + 8 * count);
            assertThatVfioCall(() -> k.ioctl(d.fd(), VFIO_DEVICE_PCI_HOT_RESET, reset)).as("count 0").failsWith(Errno.EINVAL);
            reset.set(ValueLayout.JAVA_INT, 8, 1);
            reset.set(ValueLayout.JAVA_INT, 12, o.container().fd().number());
            assertThatVfioCall(() -> k.ioctl(d.fd(), VFIO_DEVICE_PCI_HOT_RESET, reset)).as("a container fd for a group").failsWith(Errno.EINVAL);
            if (count == 1) {
                d.hotReset(List.of(o.group()));
            }
        });
    }

    /**
     * I38: VFIO_DEVICE_RESET succeeds exactly when GET_INFO has RESET (EINVAL otherwise); it keeps
     * the virtual config (interrupt line) and the command register as they were ({@code
     * vfio_pci_ioctl_reset}).
     */
    @Property(tries = 2)
    @RequiresFeature(TargetFeature.RESETS)
    default void reset_needsAResetMethod_andKeepsTheVirtualConfig(@ForAll @IntRange(min = 0, max = 255) int line) throws Exception {
        onEachDevice((s, o, d) -> {
            PciConfig cfg = d.config();
            cfg.write8(0x3c, line);
            int command = cfg.read16(0x04);
            boolean canReset = d.info().canReset();
            Calls.failsWithOrSucceeds(assertThatVfioCall(d::reset).as(canReset ? "RESET flag set" : "no RESET flag"), canReset ? null : Errno.EINVAL);
            assertThat(cfg.read8(0x3c)).isEqualTo(line);
            assertThat(cfg.read16(0x04)).isEqualTo(command);
        });
    }

    /**
     * The MSI-X table is the kernel's: through pread it reads as all-ones and pwrite reports the
     * bytes done while dropping them (the table keeps reading all-ones) ({@code vfio_pci_bar_rw}).
     */
    @Property(tries = 3)
    default void msixTable_readsAllOnes_andDropsWrites(@ForAll @IntRange(min = 1, max = 16) int count, @ForAll int value) throws Exception {
        onEachDevice((s, o, d) -> {
            PciConfig cfg = d.config();
            int msix = cfg.find(0x11);
            if (msix < 0) {
                return;
            }
            int table = cfg.read32(msix + 4);
            long at = ((long) (table & 7) << 40) + (table & ~7);
            MemorySegment buf = s.memory(1).asSlice(0, count);
            assertThat(s.vfio.seam().pread(d.fd(), buf, at)).isEqualTo(count);
            for (int i = 0; i < count; i++) {
                assertThat(buf.get(ValueLayout.JAVA_BYTE, i)).as("table byte %d", i).isEqualTo((byte) 0xff);
            }
            buf.fill((byte) value);
            assertThat(s.vfio.seam().pwrite(d.fd(), buf, at)).isEqualTo(count);
            s.vfio.seam().pread(d.fd(), buf, at);
            assertThat(buf.get(ValueLayout.JAVA_BYTE, 0)).isEqualTo((byte) 0xff);
        });
    }

    /**
     * With memory decode off in the virtual command register, memory BAR access is EIO (5.8+, and
     * 5.7.y by backport); back on, it works again ({@code vfio_pci_bar_rw}, {@code vfio_pci_memory_enabled}).
     */
    @Property(tries = 2)
    default void barAccess_withMemoryDecodeOff_isEio(@ForAll @IntRange(min = 0, max = 1) int unused) throws Exception {
        onEachDevice((s, o, d) -> {
            RegionInfo bar0 = d.regionInfo(0);
            PciConfig cfg = d.config();
            if (bar0.size() == 0 || (cfg.read32(0x10) & 1) != 0) {
                return;
            }
            MemorySegment four = s.memory(1).asSlice(0, 4);
            int command = cfg.read16(0x04);
            try {
                cfg.write16(0x04, command & ~0x2);
                assertThat(cfg.read16(0x04) & 0x2).isZero();
                assertThatVfioCall(() -> s.vfio.seam().pread(d.fd(), four, 0)).as("memory decode off").failsWith(Errno.EIO);
            } finally {
                cfg.write16(0x04, command);
            }
            assertThat(s.vfio.seam().pread(d.fd(), four, 0)).isEqualTo(4);
        });
    }
}
