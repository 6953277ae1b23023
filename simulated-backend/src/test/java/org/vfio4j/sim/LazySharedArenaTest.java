package org.vfio4j.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

/**
 * The kernel's device memory is made on first use; once used, and once closed, it behaves as the
 * shared arena it stands for (compared with a real {@link Arena#ofShared()} step by step).
 */
class LazySharedArenaTest {

    @Test
    void usedThenClosed_behavesAsASharedArena() {
        Arena real = Arena.ofShared();
        LazySharedArena lazy = new LazySharedArena();
        for (Arena a : new Arena[] {real, lazy}) {
            MemorySegment m = a.allocate(8192, 4096);
            assertThat(m.byteSize()).isEqualTo(8192);
            assertThat(m.address() % 4096).isZero();
            assertThat(m.get(ValueLayout.JAVA_LONG, 4096)).as("fresh memory is zero").isZero();
            m.set(ValueLayout.JAVA_LONG, 4096, 42);
            assertThat(m.get(ValueLayout.JAVA_LONG, 4096)).isEqualTo(42);
            assertThat(m.isAccessibleBy(new Thread(() -> { }))).as("shared: any thread may use it").isTrue();
            a.close();
            assertThat(m.scope().isAlive()).as("its memory dies with it").isFalse();
            assertThat(a.scope().isAlive()).isFalse();
            assertThatThrownBy(() -> a.allocate(8)).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(a::close).isInstanceOf(IllegalStateException.class);
        }
        assertThat(lazy.closed()).isTrue();
    }

    @Test
    void closedBeforeAnyUse_isAClosedArena() {
        LazySharedArena lazy = new LazySharedArena();
        assertThat(lazy.closed()).isFalse();
        lazy.close();
        assertThat(lazy.closed()).isTrue();
        assertThat(lazy.scope().isAlive()).isFalse();
        assertThatThrownBy(() -> lazy.allocate(8)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(lazy::close).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void aKernelThatNeverTouchedDeviceMemory_closesTwiceQuietly_andATouchedBarDiesWithIt() throws Exception {
        SimulatedKernel untouched = SimulatedHost.x86Type1().boot();
        untouched.close();
        untouched.close();

        SimulatedKernel k = SimulatedHost.x86Type1().boot();
        MemorySegment bar = ((Arena) k.deviceMemory()).allocate(4096, 4096);
        assertThat(bar.scope().isAlive()).isTrue();
        k.close();
        assertThat(bar.scope().isAlive()).isFalse();
    }
}
