package org.vfio4j.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.vfio4j.IommuType;
import org.vfio4j.PciConfig;
import org.vfio4j.Vfio;
import org.vfio4j.VfioContainer;
import org.vfio4j.VfioDevice;
import org.vfio4j.VfioGroup;

/**
 * The typed API's register reads keep one buffer per thread (no allocation per read): threads
 * reading different registers of one device at once must each get their own register's value, at
 * every width.
 */
class ConcurrentConfigReadTest {

    @Test
    void threadsReadingDifferentRegisters_eachGetTheirOwnValues() throws Exception {
        try (Vfio vfio = Vfio.open(SimulatedHost.x86Type1())) {
            VfioContainer c = vfio.openContainer();
            VfioGroup g = vfio.openGroup(7);
            g.setContainer(c);
            c.setIommu(IommuType.TYPE1V2);
            VfioDevice d = g.openDevice("0000:01:00.0");
            PciConfig config = d.config();
            int[] expected = new int[64];
            for (int i = 0; i < 64; i++) {
                expected[i] = d.readConfigDword(4L * i);
            }
            // registers whose dwords no other register has, so that a read given another's bytes shows
            List<Integer> distinct = new ArrayList<>();
            for (int i = 0; i < 64; i++) {
                int v = expected[i];
                if (i != 1 && java.util.Arrays.stream(expected).filter(x -> x == v).count() == 1) {
                    distinct.add(i);
                }
            }
            assertThat(distinct).as("registers with values of their own").hasSizeGreaterThanOrEqualTo(3);
            ExecutorService pool = Executors.newFixedThreadPool(4);
            try {
                List<Future<Integer>> wrong = new ArrayList<>();
                for (int t = 0; t < 4; t++) {
                    int seed = t;
                    wrong.add(pool.submit(() -> {
                        int bad = 0;
                        for (int i = 0; i < 50_000; i++) {
                            int r = distinct.get((i * 7 + seed * 13) % distinct.size()); // never COMMAND/STATUS, which may change
                            bad += d.readConfigDword(4L * r) != expected[r] ? 1 : 0;
                            bad += config.read16(4 * r + 2) != expected[r] >>> 16 ? 1 : 0;
                            bad += config.read8(4 * r) != (expected[r] & 0xff) ? 1 : 0;
                        }
                        return bad;
                    }));
                }
                for (Future<Integer> f : wrong) {
                    assertThat(f.get(60, TimeUnit.SECONDS)).as("reads that returned another register's bytes").isZero();
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }
}
