package org.vfio4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.vfio4j.spi.Fd;
import org.vfio4j.spi.VfioKernel;
import org.vfio4j.uapi.VfioUapi;

/**
 * Config space through {@link VfioDevice} and {@link PciConfig}: every access lands at the offset
 * the kernel reported for the CONFIG region (asked once per device), and readConfigDword may be
 * called from several threads at once.
 */
class ConfigAccessTest {
    /** Where this backend puts config space in the device file: not vfio-pci's {@code 7 << 40}. */
    private static final long CONFIG_BASE = 0x2a_0000_0000L;

    /**
     * A device file whose only region is a 256-byte config space at {@link #CONFIG_BASE}: each dword
     * at offset {@code o} holds {@code 0xc0de0000 | o}. pread and pwrite anywhere else are EINVAL;
     * it answers only GET_REGION_INFO of CONFIG, pread and pwrite ({@link #asKernel()}).
     */
    private static final class ConfigOnlyDevice {
        final MemorySegment config = MemorySegment.ofArray(new byte[256]);
        final AtomicInteger regionInfoCalls = new AtomicInteger();

        ConfigOnlyDevice() {
            for (int o = 0; o < 256; o += 4) {
                config.set(ValueLayout.JAVA_INT_UNALIGNED, o, 0xc0de_0000 | o);
            }
        }

        /** The seam: the three calls above, {@code name()}, and UnsupportedOperationException for the rest. */
        VfioKernel asKernel() {
            return (VfioKernel) Proxy.newProxyInstance(VfioKernel.class.getClassLoader(), new Class<?>[] {VfioKernel.class},
                    (proxy, method, args) -> switch (method.getName()) {
                        case "name" -> "config-only";
                        case "ioctl" -> regionInfo((long) args[1], (MemorySegment) args[2]);
                        case "pread" -> pread((MemorySegment) args[1], (long) args[2]);
                        case "pwrite" -> pwrite((MemorySegment) args[1], (long) args[2]);
                        default -> throw new UnsupportedOperationException(method.getName());
                    });
        }

        int regionInfo(long request, MemorySegment arg) throws VfioException {
            if (request != VfioUapi.VFIO_DEVICE_GET_REGION_INFO || arg.get(ValueLayout.JAVA_INT_UNALIGNED, 8) != RegionIndex.CONFIG) {
                throw new VfioException(Errno.EINVAL, "ioctl", "fake device", "only GET_REGION_INFO of CONFIG is known");
            }
            regionInfoCalls.incrementAndGet();
            arg.set(ValueLayout.JAVA_INT_UNALIGNED, 4, VfioUapi.VFIO_REGION_INFO_FLAG_READ | VfioUapi.VFIO_REGION_INFO_FLAG_WRITE);
            arg.set(ValueLayout.JAVA_LONG_UNALIGNED, 16, config.byteSize());
            arg.set(ValueLayout.JAVA_LONG_UNALIGNED, 24, CONFIG_BASE);
            return 0;
        }

        private long at(long offset, long length, String op) throws VfioException {
            long at = offset - CONFIG_BASE;
            if (at < 0 || at + length > config.byteSize()) {
                throw new VfioException(Errno.EINVAL, op, "fake device", "offset 0x" + Long.toHexString(offset) + " is not config space");
            }
            return at;
        }

        long pread(MemorySegment dst, long offset) throws VfioException {
            long at = at(offset, dst.byteSize(), "pread");
            for (long i = 0; i < dst.byteSize(); i++) { // byte by byte, so that a shared buffer would tear
                dst.set(ValueLayout.JAVA_BYTE, i, config.get(ValueLayout.JAVA_BYTE, at + i));
                Thread.yield();
            }
            return dst.byteSize();
        }

        long pwrite(MemorySegment src, long offset) throws VfioException {
            MemorySegment.copy(src, 0, config, at(offset, src.byteSize(), "pwrite"), src.byteSize());
            return src.byteSize();
        }
    }

    private final ConfigOnlyDevice file = new ConfigOnlyDevice();
    private final VfioKernel kernel = file.asKernel();
    private final VfioDevice device = new VfioDevice(kernel, "0000:00:05.0", new Fd(kernel, 5, "device", n -> 0));

    @Test
    void everyConfigAccess_usesTheReportedOffset_askedOnce() throws Exception {
        assertThat(device.readConfigDword(0x10)).isEqualTo(0xc0de_0010);
        MemorySegment two = MemorySegment.ofArray(new byte[2]);
        assertThat(device.readConfig(0x20, two)).isEqualTo(2);
        assertThat(two.get(ValueLayout.JAVA_SHORT_UNALIGNED, 0)).isEqualTo((short) 0x0020);
        MemorySegment one = MemorySegment.ofArray(new byte[] {0x5a});
        assertThat(device.writeConfig(0x3c, one)).isEqualTo(1);
        assertThat(device.config().read8(0x3c)).isEqualTo(0x5a);
        device.config().write16(0x40, 0xbeef);
        assertThat(device.readConfigDword(0x40)).isEqualTo(0xc0de_beef);
        assertThat(device.config().size()).isEqualTo(256);
        assertThat(file.regionInfoCalls).as("GET_REGION_INFO of CONFIG, once per device").hasValue(1);
    }

    @Test
    void offsetsOutsideTheRegionsWindow_areEinvalBeforeTheBackendIsAsked() throws Exception {
        assertThatThrownBy(() -> device.readConfigDword(-4)).isInstanceOfSatisfying(VfioException.class,
                e -> assertThat(e.errno()).isEqualTo(Errno.EINVAL));
        assertThatThrownBy(() -> device.writeConfig(1L << 40, MemorySegment.ofArray(new byte[1])))
                .isInstanceOfSatisfying(VfioException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EINVAL));
        assertThat(device.readConfigDword(0)).isEqualTo(0xc0de_0000);
    }

    @Test
    void readConfigDword_fromManyThreads_eachGetsItsOwnRegister() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<Integer>> mismatches = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int offset = 0x10 * t;
                Callable<Integer> reader = () -> {
                    int wrong = 0;
                    for (int i = 0; i < 500; i++) {
                        if (device.readConfigDword(offset) != (0xc0de_0000 | offset)) {
                            wrong++;
                        }
                    }
                    return wrong;
                };
                mismatches.add(pool.submit(reader));
            }
            for (Future<Integer> f : mismatches) {
                assertThat(f.get()).as("reads that returned another thread's bytes").isZero();
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
