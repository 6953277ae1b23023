package org.vfio4j.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.vfio4j.IommuType;
import org.vfio4j.Vfio;
import org.vfio4j.VfioContainer;
import org.vfio4j.VfioDevice;
import org.vfio4j.VfioGroup;

/**
 * A pread's or pwrite's entry is written when the trace is first read, from the value copied when
 * the call ran: the caller's buffer may be freed, or hold other bytes, by then.
 */
class TraceReadLaterTest {
    static final long CONFIG = 7L << 40; // VFIO_PCI_CONFIG_REGION_INDEX << VFIO_PCI_OFFSET_SHIFT

    @Test
    void theValueIsTheOneTransferred_evenAfterTheBufferIsReusedAndFreed() throws Exception {
        SimulatedKernel k = SimulatedHost.x86Type1().boot();
        try (Vfio vfio = Vfio.over(k)) {
            VfioContainer c = vfio.openContainer();
            VfioGroup g = vfio.openGroup(7);
            g.setContainer(c);
            c.setIommu(IommuType.TYPE1V2);
            VfioDevice d = g.openDevice("0000:01:00.0");
            Arena arena = Arena.ofConfined();
            MemorySegment buf = arena.allocate(4);
            assertThat(k.pread(d.fd(), buf, CONFIG)).isEqualTo(4);
            assertThat(buf.get(ValueLayout.JAVA_INT_UNALIGNED, 0)).isEqualTo(0x11e8_1234);
            buf.set(ValueLayout.JAVA_INT_UNALIGNED, 0, 0x4);
            MemorySegment two = buf.asSlice(0, 2);
            assertThat(k.pwrite(d.fd(), two, CONFIG + 4)).isEqualTo(2);
            buf.set(ValueLayout.JAVA_INT_UNALIGNED, 0, 0xdead_beef); // reused
            arena.close(); // and freed, before anyone reads the trace

            List<TraceEntry> trace = k.trace();
            TraceEntry read = trace.get(trace.size() - 2);
            TraceEntry write = trace.getLast();
            assertThat(read.call()).isEqualTo("pread");
            assertThat(read.arguments()).isEqualTo("{CONFIG+0x0 (PCI_VENDOR_ID), 4 bytes} -> 0x11e81234");
            assertThat(read.result()).isEqualTo(4);
            assertThat(read.target()).isEqualTo(d.fd().toString());
            assertThat(read.errno()).isEmpty();
            assertThat(write.call()).isEqualTo("pwrite");
            assertThat(write.arguments()).isEqualTo("{CONFIG+0x4 (PCI_COMMAND), 2 bytes: 0x0004}");
            assertThat(write.result()).isEqualTo(2);
            assertThat(k.traceText()).contains("#" + read.sequence() + " pread {CONFIG+0x0 (PCI_VENDOR_ID), 4 bytes} -> 0x11e81234 on "
                    + d.fd() + " = 4");
            assertThat(k.trace()).as("a second read sees the same entries").isEqualTo(trace);
        }
    }
}
