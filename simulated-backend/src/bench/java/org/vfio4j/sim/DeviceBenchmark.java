package org.vfio4j.sim;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.vfio4j.IommuType;
import org.vfio4j.Vfio;
import org.vfio4j.VfioContainer;
import org.vfio4j.VfioDevice;
import org.vfio4j.VfioException;
import org.vfio4j.VfioGroup;

/** A config-space dword read through the typed API, the fd and pread; and booting a fresh host to an open device. */
@State(Scope.Thread)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class DeviceBenchmark {
    private SimulatedKernel kernel;
    private VfioDevice device;

    @Setup(Level.Trial)
    public void setUp() throws VfioException {
        kernel = SimulatedHost.x86Type1().boot();
        kernel.recordTrace(false);
        Vfio vfio = Vfio.over(kernel);
        VfioContainer c = vfio.openContainer();
        VfioGroup g = vfio.openGroup(7);
        g.setContainer(c);
        c.setIommu(IommuType.TYPE1V2);
        device = g.openDevice("0000:01:00.0");
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        kernel.close();
    }

    /** VfioDevice.readConfigDword: typed API, seam, fd checks, region decode, config copy. */
    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.NANOSECONDS)
    public int configDwordRead() throws VfioException {
        return device.readConfigDword(0);
    }

    /** A new host, kernel (with its sysfs), container, group, type1v2 IOMMU and open device; then closed. */
    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public int bootToOpenDevice() throws VfioException {
        try (Vfio vfio = Vfio.open(SimulatedHost.x86Type1())) {
            VfioContainer c = vfio.openContainer();
            VfioGroup g = vfio.openGroup(7);
            g.setContainer(c);
            c.setIommu(IommuType.TYPE1V2);
            return g.openDevice("0000:01:00.0").fd().number();
        }
    }
}
