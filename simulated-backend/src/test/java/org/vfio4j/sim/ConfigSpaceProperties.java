package org.vfio4j.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.vfio4j.IommuType;
import org.vfio4j.PciCapability;
import org.vfio4j.Vfio;
import org.vfio4j.VfioContainer;
import org.vfio4j.VfioDevice;
import org.vfio4j.VfioGroup;
import org.vfio4j.sim.device.Bar;
import org.vfio4j.sim.device.BarKind;
import org.vfio4j.sim.device.ConfigSpace;
import org.vfio4j.sim.device.PciDeviceModel;

/**
 * The virtual config header against a deliberately naive model: a table saying, per byte, whether
 * it is constant, a scratch byte, a hardware byte the device keeps, or part of a BAR (sizing: the
 * bytes last written, masked by the size, with the type bits). Random BAR layouts and random
 * writes of 1, 2 and 4 bytes anywhere in the header; after each write the whole header must read
 * as the model says. And the capability list against the physical one filtered by the hiding rule.
 */
class ConfigSpaceProperties {

    record BarSpec(int index, int log2Size, BarKind kind, boolean prefetch) {}

    record Write(int offset, int width, int value) {}

    @Provide
    Arbitrary<List<BarSpec>> layouts() {
        Arbitrary<BarSpec> one = Combinators.combine(Arbitraries.integers().between(0, 5), Arbitraries.integers().between(4, 24),
                Arbitraries.of(BarKind.values()), Arbitraries.of(true, false)).as((i, l, k, p) -> new BarSpec(i, l, k, p && k != BarKind.IO));
        return one.list().ofMaxSize(6).map(ConfigSpaceProperties::consistent);
    }

    /** Keeps BARs that fit: distinct registers, 64-bit ones not at index 5, I/O at most 256 bytes. */
    static List<BarSpec> consistent(List<BarSpec> raw) {
        boolean[] used = new boolean[6];
        List<BarSpec> out = new ArrayList<>();
        for (BarSpec b : raw) {
            int log2 = b.kind() == BarKind.IO ? Math.min(b.log2Size(), 8) : b.log2Size();
            boolean wide = b.kind() == BarKind.MEMORY64;
            if (used[b.index()] || wide && (b.index() == 5 || used[b.index() + 1])) {
                continue;
            }
            used[b.index()] = true;
            if (wide) {
                used[b.index() + 1] = true;
            }
            out.add(new BarSpec(b.index(), log2, b.kind(), b.prefetch()));
        }
        return out;
    }

    @Provide
    Arbitrary<List<Write>> writes() {
        return Combinators.combine(Arbitraries.integers().between(0, 0x3f), Arbitraries.of(1, 2, 4), Arbitraries.integers())
                .as((o, w, v) -> new Write(Math.min(o, 0x40 - w), w, v)).list().ofMaxSize(30);
    }

    /** A device opened on its own host; closing it closes the backend and every fd it opened. */
    record Opened(Vfio vfio, VfioDevice device) implements AutoCloseable {
        @Override
        public void close() {
            vfio.close();
        }
    }

    static Opened open(PciDeviceModel model) throws Exception {
        SimulatedHost host = SimulatedHost.x86Type1().toBuilder().clearGroups()
                .group(3, HostDevice.ofInstance("0000:04:00.0", model).boundTo(HostDevice.VFIO_PCI)).build();
        Vfio vfio = Vfio.open(host);
        try {
            VfioContainer c = vfio.openContainer();
            VfioGroup g = vfio.openGroup(3);
            g.setContainer(c);
            c.setIommu(IommuType.TYPE1V2);
            return new Opened(vfio, g.openDevice("0000:04:00.0"));
        } catch (Exception e) {
            vfio.close();
            throw e;
        }
    }

    @Property(tries = 200)
    void header_followsTheNaiveModel(@ForAll("layouts") List<BarSpec> layout, @ForAll("writes") List<Write> writes) throws Exception {
        ConfigSpace config = ConfigSpace.builder(0x1af4, 0x1234, 0x020000).revision(3).subsystem(0x1af4, 0x55).command(0x0100)
                .interruptPin(2).interruptLine(5).readOnlyGaps().build();
        List<Bar> bars = layout.stream().map(b -> Bar.memory(b.index(), 1L << b.log2Size(), b.kind(), b.prefetch())).toList();
        List<Bar> actual = bars.stream().map(b -> b.kind() == BarKind.IO ? new Bar(b.index(), b.size(), BarKind.IO, false, b.ranges()) : b).toList();
        PciDeviceModel device = new PciDeviceModel() {
            @Override
            public ConfigSpace config() {
                return config;
            }

            @Override
            public List<Bar> bars() {
                return actual;
            }
        };
        try (Opened opened = open(device)) {
            checkWrites(opened.device(), layout, writes);
        }
    }

    private static void checkWrites(VfioDevice d, List<BarSpec> layout, List<Write> writes) throws Exception {
        byte[] model = read(d);
        // the naive model's state: bytes as last written for scratch/BAR bytes, hardware bytes as the device keeps them
        byte[] written = model.clone();
        for (Write w : writes) {
            MemorySegment v = MemorySegment.ofArray(new byte[w.width()]);
            for (int i = 0; i < w.width(); i++) {
                v.set(ValueLayout.JAVA_BYTE, i, (byte) (w.value() >>> 8 * i));
            }
            assertThat(d.writeConfig(w.offset(), v)).isEqualTo(w.width());
            for (int i = 0; i < w.width(); i++) {
                int at = w.offset() + i;
                byte b = (byte) (w.value() >>> 8 * i);
                switch (kind(at)) {
                    case SCRATCH, BAR -> written[at] = b;
                    case COMMAND -> written[at] = (byte) (written[at] & ~commandMask(at) | b & commandMask(at));
                    case CONSTANT -> { }
                }
            }
            byte[] expected = expected(written, model, layout);
            assertThat(read(d)).as("after %s", w).isEqualTo(expected);
        }
    }

    enum Kind { CONSTANT, SCRATCH, COMMAND, BAR }

    static Kind kind(int at) {
        if (at == 0x04 || at == 0x05) {
            return Kind.COMMAND;
        }
        if (at == 0x0c || at == 0x3c) {
            return Kind.SCRATCH; // cache line size (the device keeps it), interrupt line (virtual); QEMU's latency timer is read-only
        }
        if (at >= 0x10 && at < 0x28 || at >= 0x30 && at < 0x34) {
            return Kind.BAR;
        }
        return Kind.CONSTANT;
    }

    /** Command bits that change: what QEMU's hardware keeps (IO, MEM, MASTER, SERR; not PARITY) and the virtual INTX_DISABLE. */
    static int commandMask(int at) {
        return at == 0x04 ? 0x07 : 0x05;
    }

    static byte[] expected(byte[] written, byte[] initial, List<BarSpec> layout) {
        byte[] e = written.clone();
        MemorySegment m = MemorySegment.ofArray(e);
        boolean[] implemented = new boolean[6];
        for (BarSpec b : layout) {
            long mask = ~((1L << b.log2Size()) - 1);
            int at = 0x10 + 4 * b.index();
            int flags = b.kind() == BarKind.IO ? 1 : (b.prefetch() ? 8 : 0) | (b.kind() == BarKind.MEMORY64 ? 4 : 0);
            int low = m.get(ValueLayout.JAVA_INT_UNALIGNED, at);
            m.set(ValueLayout.JAVA_INT_UNALIGNED, at, low & (int) mask & (b.kind() == BarKind.IO ? ~3 : ~0xf) | flags);
            implemented[b.index()] = true;
            if (b.kind() == BarKind.MEMORY64) {
                int high = m.get(ValueLayout.JAVA_INT_UNALIGNED, at + 4);
                m.set(ValueLayout.JAVA_INT_UNALIGNED, at + 4, high & (int) (mask >>> 32));
                implemented[b.index() + 1] = true;
            }
        }
        for (int i = 0; i < 6; i++) {
            if (!implemented[i]) {
                m.set(ValueLayout.JAVA_INT_UNALIGNED, 0x10 + 4 * i, 0);
            }
        }
        m.set(ValueLayout.JAVA_INT_UNALIGNED, 0x30, 0); // no ROM
        return e;
    }

    static byte[] read(VfioDevice d) throws Exception {
        MemorySegment h = MemorySegment.ofArray(new byte[0x40]);
        d.readConfig(0, h);
        return h.toArray(ValueLayout.JAVA_BYTE);
    }

    // ---- capability list ----

    @Provide
    Arbitrary<List<Integer>> capabilityIds() {
        return Arbitraries.of(0x01, 0x03, 0x04, 0x05, 0x06, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x11, 0x13, 0x14, 0x15, 0x00, 0x7f)
                .list().ofMaxSize(8);
    }

    /** The user's walk equals the physical chain without the capabilities vfio-pci hides (the naive rule). */
    @Property(tries = 200)
    void visibleCapabilities_areThePhysicalOnesMinusTheHidden(@ForAll("capabilityIds") List<Integer> ids) throws Exception {
        ConfigSpace.Builder b = ConfigSpace.builder(0x1af4, 0x1234, 0x020000);
        List<Integer> physical = new ArrayList<>();
        for (int id : ids) {
            switch (id) {
                case 0x01 -> b.pm(true);
                case 0x05 -> b.msi(2, false, false);
                case 0x09 -> b.vendorCapability(new byte[] {1, 2, 3, 4, 5});
                case 0x11 -> b.msix(4, 0, 0, 0, 0x100);
                default -> b.capability(id, new byte[14]);
            }
            physical.add(id);
        }
        ConfigSpace config = b.build();
        try (Opened opened = open(() -> config)) {
            VfioDevice d = opened.device();
            List<Integer> visible = d.config().capabilities().stream().map(PciCapability::id).toList();
            List<Integer> expected = physical.stream().filter(ConfigSpaceProperties::shown).toList();
            assertThat(visible).isEqualTo(expected);
            assertThat((d.config().read16(0x06) & 0x10) != 0).isEqualTo(!expected.isEmpty());
        }
    }

    /** The hiding rule, written out: known ids with a known length are shown; null, zero-length ones and unknown ids are not. */
    static boolean shown(int id) {
        return List.of(0x01, 0x02, 0x03, 0x05, 0x07, 0x08, 0x09, 0x10, 0x11, 0x12, 0x13).contains(id);
    }
}
