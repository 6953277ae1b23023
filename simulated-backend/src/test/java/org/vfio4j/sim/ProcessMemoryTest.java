package org.vfio4j.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;
import org.vfio4j.sim.core.ProcessMemory;

class ProcessMemoryTest {

    private final ProcessMemory memory = new ProcessMemory(SimulatedKernel.factsOf(SimulatedHost.x86Type1()));

    @Test
    void resolve_followsTheArena_notTheSegmentObject() {
        long address;
        try (Arena arena = Arena.ofConfined()) {
            address = memory.register(arena.allocate(8192, 4096));
            System.gc(); // the segment object is unreachable from here; the memory is not
            assertThat(memory.resolve(address, 8192)).isNotNull().extracting(MemorySegment::byteSize).isEqualTo(8192L);
            assertThat(memory.resolve(address + 4096, 8192)).extracting(MemorySegment::byteSize).as("as far as it reaches").isEqualTo(4096L);
            assertThat(memory.resolve(address + 8192, 4096)).isNull();
        }
        assertThat(memory.resolve(address, 4096)).as("the arena was closed").isNull();
    }

    @Test
    void register_ofASliceOfRecordedMemory_keepsTheEnclosingSegment() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment big = arena.allocate(16 * 4096, 4096);
            memory.register(big);
            memory.register(big.asSlice(0, 4096));
            memory.register(big.asSlice(4096, 4096));
            assertThat(memory.resolve(big.address(), big.byteSize())).as("all of the enclosing segment still resolves")
                    .extracting(MemorySegment::byteSize).isEqualTo(big.byteSize());
        }
    }

    @Test
    void register_ofPartlyOverlappingSlices_keepsBoth() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment big = arena.allocate(4 * 4096, 4096);
            memory.register(big.asSlice(0, 2 * 4096));
            memory.register(big.asSlice(4096, 3 * 4096));
            assertThat(memory.resolve(big.address(), 2 * 4096)).extracting(MemorySegment::byteSize).isEqualTo(2 * 4096L);
            assertThat(memory.resolve(big.address() + 4096, 3 * 4096)).extracting(MemorySegment::byteSize).isEqualTo(3 * 4096L);
        }
    }

    @Test
    void register_ofALargerSegment_replacesTheSlicesItContains() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment big = arena.allocate(4 * 4096, 4096);
            memory.register(big.asSlice(4096, 4096));
            memory.register(big);
            assertThat(memory.resolve(big.address(), big.byteSize())).extracting(MemorySegment::byteSize).isEqualTo(big.byteSize());
        }
    }

    @Test
    void registrations_ofFreedMemory_areSweptOut_soTheTableStaysWithinTwiceTheLiveOnes() {
        try (Arena live = Arena.ofConfined(); Arena spacers = Arena.ofConfined()) {
            for (int i = 0; i < 20; i++) {
                memory.register(live.allocate(4096, 4096));
            }
            for (int i = 0; i < 1000; i++) {
                spacers.allocate(4096); // keeps malloc from handing the next buffer the address of the last one
                try (Arena freed = Arena.ofConfined()) {
                    memory.register(freed.allocate(4096, 4096));
                }
                assertThat(memory.segmentCount()).as("after %d freed buffers", i + 1).isLessThanOrEqualTo(2 * 20 + 1);
            }
            MemorySegment more = live.allocate(4096, 4096);
            memory.register(more);
            assertThat(memory.resolve(more.address(), 4096)).as("live memory is never swept").isNotNull();
        }
    }

    @Test
    void lockedPages_chargeAgainstTheLimit_unlessCapIpcLock() {
        ProcessMemory limited = new ProcessMemory(SimulatedKernel.factsOf(SimulatedHost.x86Type1().toBuilder().memlockLimit(16 * 4096).build()));
        limited.charge(10);
        assertThat(limited.allowance()).isEqualTo(6);
        limited.uncharge(10);
        assertThat(limited.allowance()).isEqualTo(16);
        ProcessMemory privileged = new ProcessMemory(SimulatedKernel.factsOf(SimulatedHost.x86Type1().toBuilder().memlockLimit(4096).capIpcLock(true).build()));
        privileged.charge(1000);
        assertThat(privileged.lockedPages()).isZero();
        assertThat(privileged.allowance()).isEqualTo(Long.MAX_VALUE);
    }
}
