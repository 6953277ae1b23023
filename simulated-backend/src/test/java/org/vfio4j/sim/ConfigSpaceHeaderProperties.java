package org.vfio4j.sim;

import static org.assertj.core.api.Assertions.assertThat;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.vfio4j.sim.device.ConfigSpace;

/**
 * The header-only config space a bare function gets is what the builder makes of the same
 * identity, byte for byte and mask bit for mask bit; and the builder, which grows past 256 bytes
 * only when written there, still sizes and places what it is given as before.
 */
class ConfigSpaceHeaderProperties {

    @Property(tries = 300)
    void theHeaderIsWhatTheBuilderMakes(@ForAll @IntRange(max = 0xffff) int vendor, @ForAll @IntRange(max = 0xffff) int device,
                                        @ForAll @IntRange(max = 0xffffff) int classCode, @ForAll @IntRange(max = 4) int pin,
                                        @ForAll @IntRange(max = 0xff) int headerType) {
        ConfigSpace built = ConfigSpace.builder(vendor, device, classCode).interruptPin(pin).readOnlyGaps()
                .bytes(0x0e, new byte[] {(byte) headerType}).build();
        ConfigSpace header = ConfigSpace.header(vendor, device, classCode, pin, headerType);
        assertThat(header.bytes()).isEqualTo(built.bytes());
        assertThat(header.writeMask()).isEqualTo(built.writeMask());
    }

    @Property(tries = 100)
    void extendedSpaceGrowsTo4096_andBytesPast256WithoutItAreDropped(@ForAll @IntRange(min = 0x100, max = 0xff0) int at,
                                                                     @ForAll byte value) {
        ConfigSpace plain = ConfigSpace.builder(0x1234, 0x11e8, 0xff00).bytes(at, new byte[] {value}).mask(at, 1, 0xff).build();
        assertThat(plain.size()).isEqualTo(256);

        ConfigSpace extended = ConfigSpace.builder(0x1234, 0x11e8, 0xff00).extendedCapability(0x0b, 1, new byte[8])
                .bytes(Math.max(at, 0x10c), new byte[] {value}).mask(Math.max(at, 0x10c), 1, 0x5a).build();
        assertThat(extended.size()).isEqualTo(4096);
        assertThat(extended.u32(0x100) & 0xffff).isEqualTo(0x0b);
        assertThat((byte) extended.u8(Math.max(at, 0x10c))).isEqualTo(value);
        assertThat(extended.writeMask()[Math.max(at, 0x10c)]).isEqualTo((byte) 0x5a);
        assertThat(extended.findExtendedCapability(0x0b)).isEqualTo(0x100);
        assertThat(extended.u8(0x40)).as("untouched bytes stay zero").isZero();
        assertThat(extended.writeMask()[0x40]).as("gaps below 0x100 writable by default").isEqualTo((byte) 0xff);
        assertThat(extended.writeMask()[0x200 == Math.max(at, 0x10c) ? 0x204 : 0x200]).as("no gap above 0x100 is writable").isZero();
    }
}
