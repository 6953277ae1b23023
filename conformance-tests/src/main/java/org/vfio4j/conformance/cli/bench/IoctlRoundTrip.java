package org.vfio4j.conformance.cli.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.Locale;
import org.vfio4j.kernel.KernelBackend;
import org.vfio4j.spi.Fd;
import org.vfio4j.spi.LinuxAbi;
import org.vfio4j.spi.VfioKernel;

/**
 * The kernel backend's ioctl round trip: {@code VfioKernel.ioctl} (handle checks, the libc downcall
 * with errno capture) of FIONBIO on an eventfd, against the same ioctl in a C loop in this process,
 * which like any JVM has other, idle threads.
 */
final class IoctlRoundTrip implements Measure {
    private static final int CALLS = 200_000;

    @Override
    public String name() {
        return "ioctl";
    }

    @Override
    public List<Row> run(Context context) throws Exception {
        String measure = "kernel backend: ioctl round trip with errno capture (FIONBIO on an eventfd)";
        Goal goal = new Goal.AtMost(1.10);
        try (VfioKernel kernel = KernelBackend.open(); Arena arena = Arena.ofConfined()) {
            Fd eventfd = kernel.eventfd(0, 0);
            MemorySegment arg = arena.allocate(ValueLayout.JAVA_INT);
            Rounds.Round java = () -> {
                long start = System.nanoTime();
                for (int i = 0; i < CALLS; i++) {
                    kernel.ioctl(eventfd, LinuxAbi.FIONBIO, arg);
                }
                return Rounds.per(System.nanoTime() - start, CALLS);
            };
            if (context.c() == null) {
                double[][] f = context.rounds().interleave(5, java);
                return List.of(Row.unmeasured(measure, ns(Rounds.median(f[0])), goal, context.whyNoC()));
            }
            int fd = eventfd.number();
            Rounds.Round c = () -> Rounds.per(context.c().ioctlLoop(fd, LinuxAbi.FIONBIO, CALLS), CALLS);
            double[][] f = context.rounds().interleave(java, c);
            double vfio4j = Rounds.median(f[0]);
            double baseline = Rounds.median(f[1]);
            return List.of(new Row(measure, ns(vfio4j), ns(baseline) + " (C loop, same process)", vfio4j / baseline, goal,
                    "vfio4j / C; medians of " + context.rounds().measured() + " interleaved rounds of 200,000 calls"));
        }
    }

    static String ns(double nanos) {
        return String.format(Locale.ROOT, "%.1f ns", nanos);
    }
}
