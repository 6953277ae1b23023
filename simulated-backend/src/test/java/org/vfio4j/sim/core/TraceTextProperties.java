package org.vfio4j.sim.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;

/** The trace's hand-made hex against {@code String.format}, which it replaced on the pread/pwrite path. */
class TraceTextProperties {

    @Property
    void transfersReadAsTheFormattedLittleEndianValue(@ForAll long value) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(8);
            buf.set(ValueLayout.JAVA_LONG_UNALIGNED, 0, value);
            assertThat(TraceText.data(buf.asSlice(0, 1), 1)).isEqualTo(String.format("0x%02x", (byte) value));
            assertThat(TraceText.data(buf.asSlice(0, 2), 2)).isEqualTo(String.format("0x%04x", (short) value));
            assertThat(TraceText.data(buf.asSlice(0, 4), 4)).isEqualTo(String.format("0x%08x", (int) value));
            assertThat(TraceText.data(buf, 8)).isEqualTo(String.format("0x%016x", value));
            assertThat(TraceText.data(buf, 3)).isEqualTo("3 bytes");
        }
    }

    @Property
    void rawOffsetsAreHex(@ForAll long offset) {
        assertThat(TraceText.where(null, offset)).isEqualTo(String.format("offset=0x%x", offset));
    }
}
