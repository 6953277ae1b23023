package org.vfio4j.conformance.run;

import static org.vfio4j.uapi.VfioUapi.*;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.function.Supplier;
import org.vfio4j.VfioException;
import org.vfio4j.spi.Fd;
import org.vfio4j.spi.LinuxAbi;
import org.vfio4j.spi.VfioKernel;

/**
 * Differential testing: seeded random chains of raw VFIO calls (valid and invalid) applied step
 * by step to two backends, normally the real kernel and a simulated host configured like it. After
 * every step the two results are compared: return value (descriptor numbers normalised, since two
 * processes number descriptors differently), errno, and every byte of the argument the kernel may
 * have written. The first difference ends the chain and is reported with the call and both sides.
 *
 * <p>The calls cover what both sides model: containers, the group, SET_CONTAINER with good and bad
 * descriptors, SET_IOMMU and CHECK_EXTENSION values, GET_INFO at many argsz, MAP/UNMAP around a
 * small IOVA window with good and bad sizes and flags, device fds, DEVICE_GET_INFO, REGION_INFO of
 * the config and non-BAR indexes, and identity reads of config space.
 */
public final class DifferentialRunner {

    /** Where two backends disagreed. */
    public record Divergence(long seed, int step, String history, String call, String first, String second) {}

    /** What a run did. */
    public record Summary(int chains, int steps, List<Divergence> divergences) {}

    private static final long BASE = 0x1_0000_0000L;
    private static final long PAGE = 4096;

    private DifferentialRunner() {}

    /** Runs {@code chains} chains of {@code steps} calls from {@code seed}; each chain gets fresh seams. */
    public static Summary run(Supplier<VfioKernel> first, Supplier<VfioKernel> second, int group, String device,
                              long seed, int chains, int steps) {
        List<Divergence> found = new ArrayList<>();
        int done = 0;
        for (int c = 0; c < chains; c++) {
            try (Arena arena = Arena.ofConfined(); Side a = new Side(first.get(), arena, device); Side b = new Side(second.get(), arena, device)) {
                MemorySegment memory = arena.allocate(16 * PAGE, PAGE);
                Random r = new Random(seed + c);
                List<String> history = new ArrayList<>();
                for (int s = 0; s < steps; s++) {
                    Step step = null;
                    for (int draw = 0; step == null && draw < 50; draw++) {
                        step = Step.random(r, a, group, device); // redraw calls the state does not allow yet
                    }
                    if (step == null) {
                        continue;
                    }
                    String ra = a.apply(step, memory);
                    String rb = b.apply(step, memory);
                    done++;
                    if (!ra.equals(rb)) {
                        found.add(new Divergence(seed + c, s, String.join("; ", history), step.toString(), ra, rb));
                        break;
                    }
                    history.add(step + " -> " + ra.replaceAll(" [0-9a-f]{16,}.*", " ..."));
                }
            }
        }
        return new Summary(chains, done, found);
    }

    /** One call, chosen from the shared logical state (the same on both sides while they agree). */
    record Step(String kind, int slot, long a, long b, long c, int argsz) {
        static Step random(Random r, Side s, int group, String device) {
            int slot = r.nextInt(2);
            return switch (r.nextInt(17)) {
                case 0 -> s.containers[slot] == null ? new Step("open container", slot, 0, 0, 0, 0) : null;
                case 1 -> s.containers[slot] != null ? new Step("close container", slot, 0, 0, 0, 0) : null;
                case 2 -> new Step("open group", 0, group, 0, 0, 0);
                case 3 -> s.group != null ? new Step("close group", 0, 0, 0, 0, 0) : null;
                case 4 -> s.group != null ? new Step("set container", slot, r.nextInt(4), 0, 0, 0) : null;
                case 5 -> s.group != null ? new Step("unset container", 0, 0, 0, 0, 0) : null;
                case 6 -> s.containers[slot] != null
                        ? new Step("set iommu", slot, new long[] {0, 1, 3, 3, 3, 4, 6, 9}[r.nextInt(8)], 0, 0, 0) : null;
                case 7 -> s.containers[slot] != null ? new Step("check extension", slot, r.nextInt(13), 0, 0, 0) : null;
                case 8 -> s.group != null ? new Step("get status", 0, 0, 0, 0, new int[] {4, 8, 16}[r.nextInt(3)]) : null;
                case 9 -> s.containers[slot] != null
                        ? new Step("get info", slot, 0, 0, 0, new int[] {0, 15, 16, 19, 20, 24, 64, 116, 200}[r.nextInt(9)]) : null;
                case 10, 11 -> s.containers[slot] != null ? new Step("map", slot,
                        r.nextInt(32) * PAGE + (r.nextInt(8) == 0 ? 0x800 : 0),
                        (1 + r.nextInt(4)) * PAGE + (r.nextInt(10) == 0 ? 0x100 : 0),
                        new int[] {3, 3, 3, 1, 2, 0, 8, 4}[r.nextInt(8)], 32) : null;
                case 12 -> s.containers[slot] != null ? (r.nextInt(6) == 0
                        ? new Step("unmap", slot, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL, 24)
                        : new Step("unmap", slot, r.nextInt(36) * PAGE, (1 + r.nextInt(8)) * PAGE, 0, r.nextInt(8) == 0 ? 16 : 24)) : null;
                case 13 -> s.group != null ? new Step("get device fd", 0, r.nextInt(5) == 0 ? 1 : 0, 0, 0, 0) : null;
                case 14 -> !s.devices.isEmpty() ? new Step("close device", 0, 0, 0, 0, 0) : null;
                case 15 -> !s.devices.isEmpty() ? (r.nextBoolean()
                        ? new Step("device info", 0, 0, 0, 0, new int[] {12, 16, 20, 24}[r.nextInt(4)])
                        : new Step("region info", 0, new int[] {7, 8, 9, 10, 100}[r.nextInt(5)], 0, 0, new int[] {16, 32, 48}[r.nextInt(3)])) : null;
                default -> !s.devices.isEmpty() ? new Step("config read", 0, new int[] {0, 2, 9, 10, 253, 255}[r.nextInt(6)],
                        new int[] {1, 2, 4}[r.nextInt(3)], 0, 0) : null;
            };
        }

        @Override
        public String toString() {
            return switch (kind) {
                case "open container", "close container", "close group", "unset container", "close device", "get device fd" ->
                        kind + (kind.contains("container") ? " " + slot : "") + (kind.equals("get device fd") && a == 1 ? " (wrong name)" : "");
                case "open group" -> "open /dev/vfio/" + a;
                case "set container" -> "set container " + new String[] {"container 0", "container 1", "eventfd", "fd -1"}[(int) a];
                case "set iommu", "check extension" -> kind + "(" + a + ") on container " + slot;
                case "map" -> String.format("map iova=0x%x size=0x%x flags=%d on container %d", BASE + a, b, c, slot);
                case "unmap" -> String.format("unmap iova=0x%x size=0x%x flags=%d argsz=%d on container %d", c == 0 ? BASE + a : 0, b, c, argsz, slot);
                case "config read" -> "config read offset " + a + " size " + b;
                case "region info" -> "region info index " + a + " argsz " + argsz;
                default -> kind + " argsz " + argsz + (kind.equals("get info") ? " on container " + slot : "");
            };
        }
    }

    /** One backend's descriptors for the chain's logical objects. */
    static final class Side implements AutoCloseable {
        final VfioKernel k;
        final Arena arena;
        final Fd[] containers = new Fd[2];
        Fd group;
        final List<Fd> devices = new ArrayList<>();
        final Fd eventfd;
        final String deviceName;

        Side(VfioKernel k, Arena arena, String deviceName) {
            this.k = k;
            this.arena = arena;
            this.deviceName = deviceName;
            try {
                eventfd = k.eventfd(0, 0);
            } catch (VfioException e) {
                throw new IllegalStateException(e);
            }
        }

        @FunctionalInterface
        interface Call {
            long run() throws VfioException;
        }

        private static String outcome(Call call, MemorySegment shown) {
            String r;
            try {
                r = "= " + call.run();
            } catch (VfioException e) {
                r = "-1 " + e.errno();
            }
            return shown == null ? r : r + " " + HexFormat.of().formatHex(shown.toArray(ValueLayout.JAVA_BYTE));
        }

        private MemorySegment arg(int size, int argsz) {
            MemorySegment m = arena.allocate(Math.max(size, 8), 8);
            m.fill((byte) 0x5a);
            m.set(ValueLayout.JAVA_INT, 0, argsz);
            return m;
        }

        String apply(Step s, MemorySegment memory) {
            try {
                return doApply(s, memory);
            } catch (VfioException e) {
                return "-1 " + e.errno();
            }
        }

        private String doApply(Step s, MemorySegment memory) throws VfioException {
            Fd c = containers[s.slot()];
            switch (s.kind()) {
                case "open container" -> {
                    containers[s.slot()] = k.open("/dev/vfio/vfio", LinuxAbi.O_RDWR);
                    return "= fd";
                }
                case "close container" -> {
                    k.close(c);
                    containers[s.slot()] = null;
                    return "= 0";
                }
                case "open group" -> {
                    Fd g = k.open("/dev/vfio/" + s.a(), LinuxAbi.O_RDWR);
                    if (group == null) {
                        group = g;
                    }
                    return "= fd";
                }
                case "close group" -> {
                    k.close(group);
                    group = null;
                    return "= 0";
                }
                case "set container" -> {
                    int fd = switch ((int) s.a()) {
                        case 0, 1 -> containers[(int) s.a()] == null ? eventfd.number() : containers[(int) s.a()].number();
                        case 2 -> eventfd.number();
                        default -> -1;
                    };
                    MemorySegment m = arg(4, fd);
                    return outcome(() -> k.ioctl(group, VFIO_GROUP_SET_CONTAINER, m), null);
                }
                case "unset container" -> {
                    return outcome(() -> k.ioctl(group, VFIO_GROUP_UNSET_CONTAINER, 0L), null);
                }
                case "set iommu" -> {
                    return outcome(() -> k.ioctl(c, VFIO_SET_IOMMU, s.a()), null);
                }
                case "check extension" -> {
                    return outcome(() -> k.ioctl(c, VFIO_CHECK_EXTENSION, s.a()), null);
                }
                case "get status" -> {
                    MemorySegment m = arg(8, s.argsz());
                    return outcome(() -> k.ioctl(group, VFIO_GROUP_GET_STATUS, m), m.asSlice(0, 8));
                }
                case "get info" -> {
                    MemorySegment m = arg(256, s.argsz());
                    return outcome(() -> k.ioctl(c, VFIO_IOMMU_GET_INFO, m), m);
                }
                case "map" -> {
                    MemorySegment m = arg(32, 32);
                    m.set(ValueLayout.JAVA_INT, 4, (int) s.c());
                    m.set(ValueLayout.JAVA_LONG, 8, k.userAddress(memory) + (s.a() & (8 * PAGE - 1) & -PAGE));
                    m.set(ValueLayout.JAVA_LONG, 16, BASE + s.a());
                    m.set(ValueLayout.JAVA_LONG, 24, s.b());
                    return outcome(() -> k.ioctl(c, VFIO_IOMMU_MAP_DMA, m), m);
                }
                case "unmap" -> {
                    MemorySegment m = arg(24, s.argsz());
                    m.set(ValueLayout.JAVA_INT, 4, (int) s.c());
                    m.set(ValueLayout.JAVA_LONG, 8, s.c() == 0 ? BASE + s.a() : 0);
                    m.set(ValueLayout.JAVA_LONG, 16, s.b());
                    return outcome(() -> k.ioctl(c, VFIO_IOMMU_UNMAP_DMA, m), m);
                }
                case "get device fd" -> {
                    MemorySegment name = arena.allocateFrom(s.a() == 1 ? "0000:7f:1f.7" : deviceName);
                    long[] n = new long[1];
                    String r = outcome(() -> n[0] = k.ioctl(group, VFIO_GROUP_GET_DEVICE_FD, name), null);
                    if (r.startsWith("= ")) {
                        devices.add(k.adopt((int) n[0], "device"));
                        return "= fd";
                    }
                    return r;
                }
                case "close device" -> {
                    k.close(devices.remove(devices.size() - 1));
                    return "= 0";
                }
                case "device info" -> {
                    MemorySegment m = arg(24, s.argsz());
                    return outcome(() -> k.ioctl(devices.get(0), VFIO_DEVICE_GET_INFO, m), m);
                }
                case "region info" -> {
                    MemorySegment m = arg(48, s.argsz());
                    m.set(ValueLayout.JAVA_INT, 8, (int) s.a());
                    return outcome(() -> k.ioctl(devices.get(0), VFIO_DEVICE_GET_REGION_INFO, m), m);
                }
                case "config read" -> {
                    MemorySegment m = arena.allocate(s.b());
                    return outcome(() -> k.pread(devices.get(0), m, (7L << 40) + s.a()), m);
                }
                default -> throw new IllegalArgumentException(s.kind());
            }
        }

        @Override
        public void close() {
            k.close();
        }
    }
}
