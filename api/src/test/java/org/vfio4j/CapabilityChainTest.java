package org.vfio4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

/** The one chain walker, on forged replies (the decoders' own rules are in {@link HostileReplyTest}). */
class CapabilityChainTest {
    private static final Reply REPLY = new Reply("VFIO_TEST_GET_INFO", "fd 3");

    private static MemorySegment reply(int size) {
        return MemorySegment.ofArray(new byte[size]);
    }

    private static void header(MemorySegment m, int at, int id, int version, int next) {
        m.set(ValueLayout.JAVA_SHORT_UNALIGNED, at, (short) id);
        m.set(ValueLayout.JAVA_SHORT_UNALIGNED, at + 2, (short) version);
        m.set(ValueLayout.JAVA_INT_UNALIGNED, at + 4, next);
    }

    @Test
    void walk_followsNextOffsetsFromTheStructStart() throws Exception {
        MemorySegment m = reply(80);
        header(m, 24, 3, 1, 40);
        header(m, 40, 1, 1, 0);
        var chain = CapabilityChain.walk(REPLY, m, 24, 24);
        assertThat(chain).extracting(CapabilityChain.Entry::id).containsExactly(3, 1);
        assertThat(chain).extracting(CapabilityChain.Entry::offset).containsExactly(24L, 40L);
        assertThat(chain.get(0).bytes().byteSize()).isEqualTo(16);
        assertThat(chain.get(1).bytes().byteSize()).isEqualTo(40);
        assertThat(CapabilityChain.walk(REPLY, m, 0, 24)).isEmpty();
    }

    @Test
    void walk_refusesCyclesAndOffsetsOutsideTheReply_asEproto() {
        MemorySegment cycle = reply(64);
        header(cycle, 24, 1, 1, 24);
        assertThatThrownBy(() -> CapabilityChain.walk(REPLY, cycle, 24, 24)).isInstanceOfSatisfying(VfioException.class,
                e -> assertThat(e.errno()).isEqualTo(Errno.EPROTO)).hasMessageContaining("forward");
        MemorySegment outside = reply(64);
        header(outside, 24, 1, 1, 60);
        assertThatThrownBy(() -> CapabilityChain.walk(REPLY, outside, 24, 24)).isInstanceOfSatisfying(VfioException.class,
                e -> assertThat(e.errno()).isEqualTo(Errno.EPROTO)).hasMessageContaining("header");
        assertThatThrownBy(() -> CapabilityChain.walk(REPLY, reply(16), 24, 8)).isInstanceOfSatisfying(VfioException.class,
                e -> assertThat(e.operation()).isEqualTo("VFIO_TEST_GET_INFO"));
    }
}
