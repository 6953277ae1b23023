package org.vfio4j.kernel;

import java.lang.foreign.Arena;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
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
import org.vfio4j.VfioException;
import org.vfio4j.kernel.internal.ErrnoCalls.CallState;
import org.vfio4j.spi.Fd;
import org.vfio4j.spi.LinuxAbi;
import org.vfio4j.spi.VfioKernel;

/**
 * One ioctl round trip through FFM, on an eventfd, in the shapes the kernel backend could take:
 * the {@link Libc} layer with the thread's reused errno and argument buffers (what the backend
 * does), the same with a fresh {@link Arena} per call (what it avoids), and the whole seam
 * ({@link VfioKernel#ioctl} with handle checks). {@code ioctl_roundtrip.c} runs the same loops in C.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 4, time = 1)
@Measurement(iterations = 8, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class IoctlRoundTripBenchmark {

    private VfioKernel kernel;
    private Fd eventfd;
    private int fd;
    private CallState state;
    private MemorySegment arg;

    @Setup(Level.Trial)
    public void open() throws VfioException {
        kernel = KernelBackend.open();
        eventfd = kernel.eventfd(0, 0);
        fd = eventfd.number();
        state = Libc.state();
        arg = Arena.ofAuto().allocate(ValueLayout.JAVA_INT);
    }

    @TearDown(Level.Trial)
    public void close() {
        kernel.close();
    }

    /** FIONREAD fails with ENOTTY; the errno is read from the thread's capture segment. */
    @Benchmark
    public int ffmFionreadReusedBuffers() {
        return Libc.ioctl(state, fd, LinuxAbi.FIONREAD, arg) < 0 ? state.errno() : 0;
    }

    /** FIONBIO succeeds. */
    @Benchmark
    public int ffmFionbioReusedBuffers() {
        return Libc.ioctl(state, fd, LinuxAbi.FIONBIO, arg);
    }

    /** The same FIONREAD with the capture and argument buffers allocated per call. */
    @Benchmark
    public int ffmFionreadArenaPerCall() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment capture = arena.allocate(Linker.Option.captureStateLayout());
            MemorySegment a = arena.allocate(ValueLayout.JAVA_INT);
            return Libc.ioctlWithCapture(capture, fd, LinuxAbi.FIONREAD, a);
        }
    }

    /** FIONBIO through the seam: ownership and open-handle checks, then the Libc call. */
    @Benchmark
    public int seamFionbio() throws VfioException {
        return kernel.ioctl(eventfd, LinuxAbi.FIONBIO, arg);
    }
}
