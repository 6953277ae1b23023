package org.vfio4j.conformance;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.vfio4j.PciAddress;
import org.vfio4j.VfioBackend;
import org.vfio4j.VfioException;
import org.vfio4j.fixtures.QemuEdu;
import org.vfio4j.fixtures.QemuNvme;
import org.vfio4j.sim.HostDevice;
import org.vfio4j.sim.SimulatedHost;
import org.vfio4j.sim.SimulatedKernel;
import org.vfio4j.sim.TraceEntry;
import org.vfio4j.sim.device.Bar;
import org.vfio4j.sim.device.ConfigSpace;
import org.vfio4j.sim.device.DeviceContext;
import org.vfio4j.sim.device.DeviceRegion;
import org.vfio4j.sim.device.Display;
import org.vfio4j.sim.device.MmioHandler;
import org.vfio4j.sim.device.PciDeviceModel;
import org.vfio4j.sim.device.Rom;
import org.vfio4j.spi.Fd;
import org.vfio4j.spi.VfioKernel;

/**
 * A simulated machine standing in for a real one in the safety tests: one kernel booted once for
 * the whole run, so that device state outlives each session as it does on real hardware, and each
 * {@link #boot()} a process's view of it whose close releases what that process opened (as the
 * kernel backend's close does). The user names edu at {@code 0000:01:00.0} in group 7 (alone on its
 * bus, with a function reset: both resets can happen); the machine also has a non-viable group 8,
 * an NVMe controller in group 9 and a second edu in group 10, which nobody names.
 *
 * <p>What the run did is read on the simulator's side only: each device's registers through the
 * {@link DeviceContext} its model was given ({@link #state}), interrupts through {@link
 * SimulatedKernel#resources()}, calls and events through the kernel's trace ({@link #seen()}, which
 * collects each process's part of the trace when it closes), and sysfs as files ({@link #sysfs()}).
 */
final class StandInMachine implements VfioBackend, HostView, AutoCloseable {
    static final int NAMED_GROUP = 7;
    static final String NAMED = "0000:01:00.0";
    static final int NON_VIABLE_GROUP = 8;
    static final List<String> UNNAMED = List.of("0000:02:00.0", "0000:02:00.1", "0000:03:00.0", "0000:04:00.0");
    /** The devices with a model whose registers can be read: the named edu, the NVMe and the other edu. */
    static final List<String> OBSERVED = List.of(NAMED, "0000:03:00.0", "0000:04:00.0");
    private static final AtomicInteger MACHINES = new AtomicInteger();

    private final String name = "stand-in machine " + MACHINES.incrementAndGet();
    private final SimulatedKernel sim;
    private final Seen seen = new Seen();

    StandInMachine() {
        SimulatedHost host = SimulatedHost.x86Type1().toBuilder().clearGroups().traceCapacity(500_000)
                .group(NAMED_GROUP, observed(NAMED, QemuEdu::new).boundTo(HostDevice.VFIO_PCI).withReset())
                .group(NON_VIABLE_GROUP, HostDevice.pci("0000:02:00.0", 0x8086, 0x10d3, 0x020000).boundTo(HostDevice.VFIO_PCI),
                        HostDevice.pci("0000:02:00.1", 0x8086, 0x10d3, 0x020000).boundTo("e1000e"))
                .group(9, observed("0000:03:00.0", QemuNvme::new).boundTo(HostDevice.VFIO_PCI))
                .group(10, observed("0000:04:00.0", QemuEdu::new).boundTo(HostDevice.VFIO_PCI))
                .build();
        this.sim = host.boot();
    }

    private static HostDevice observed(String address, Supplier<PciDeviceModel> model) {
        return HostDevice.of(address, () -> new Observed(model.get()));
    }

    @Override
    public String name() {
        return name;
    }

    /** A new process's view of the one kernel. */
    @Override
    public VfioKernel boot() {
        return new Process();
    }

    /** The device's command register, MSI and MSI-X control as its model reads them, and the interrupts armed for it. */
    @Override
    public Optional<DeviceState> state(String device) {
        if (!OBSERVED.contains(device)) {
            return Optional.empty();
        }
        DeviceContext context = sim.model(PciAddress.parse(device), Observed.class).context;
        if (context == null) {
            return Optional.empty();
        }
        byte[] config = new byte[256];
        for (int at = 0; at < config.length; at += 4) {
            int dword = context.readConfig(at, 4);
            for (int i = 0; i < 4; i++) {
                config[at + i] = (byte) (dword >>> 8 * i);
            }
        }
        List<String> irqs = sim.resources().armedInterrupts().stream().filter(s -> s.startsWith(device + " ")).toList();
        return Optional.of(DeviceState.of(config, irqs));
    }

    /** Every observed device's state now. */
    Map<String, DeviceState> states() {
        Map<String, DeviceState> all = new TreeMap<>();
        OBSERVED.forEach(d -> all.put(d, state(d).orElseThrow()));
        return all;
    }

    /** Every file, directory and link under the kernel's sysfs and devfs, with what it holds. */
    Map<String, String> sysfs() {
        Map<String, String> tree = new TreeMap<>();
        for (String top : List.of("sys", "dev")) {
            try (Stream<Path> paths = Files.walk(sim.root().resolve(top))) {
                for (Path p : paths.toList()) {
                    tree.put(p.toString(), Files.isSymbolicLink(p) ? "-> " + Files.readSymbolicLink(p)
                            : Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS) ? "dir" : new String(Files.readAllBytes(p)));
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return tree;
    }

    /** What the kernel's trace showed, collected as each process closed. */
    Seen seen() {
        return seen;
    }

    /** What the processes still hold in the kernel (a leak check). */
    SimulatedKernel kernel() {
        return sim;
    }

    @Override
    public void close() {
        sim.close();
    }

    /** Facts from the trace: paths opened, names asked of GET_DEVICE_FD, calls by name and outcome, lines naming an unnamed device. */
    static final class Seen {
        final Set<String> opened = ConcurrentHashMap.newKeySet();
        final Set<String> deviceNames = ConcurrentHashMap.newKeySet();
        final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
        final Map<String, AtomicInteger> succeeded = new ConcurrentHashMap<>();
        final Map<String, AtomicInteger> events = new ConcurrentHashMap<>();
        final List<String> touchingUnnamed = Collections.synchronizedList(new ArrayList<>());
        /** Entries the bounded trace dropped before they were read: must stay 0 for the facts to be complete. */
        long dropped;

        void take(List<TraceEntry> entries) {
            for (TraceEntry e : entries) {
                String line = e.toString();
                if (UNNAMED.stream().anyMatch(line::contains) && touchingUnnamed.size() < 20) {
                    touchingUnnamed.add(line);
                }
                if (e.event()) {
                    events.computeIfAbsent(e.call(), k -> new AtomicInteger()).incrementAndGet();
                    continue;
                }
                if (e.call().equals("open")) {
                    opened.add((e.arguments().isEmpty() ? e.target() : e.arguments()).replace("\"", ""));
                } else if (e.call().equals("VFIO_GROUP_GET_DEVICE_FD")) {
                    deviceNames.add(e.arguments().replace("\"", ""));
                }
                calls.computeIfAbsent(e.call(), k -> new AtomicInteger()).incrementAndGet();
                if (!e.failed()) {
                    succeeded.computeIfAbsent(e.call(), k -> new AtomicInteger()).incrementAndGet();
                }
            }
        }

        int calls(String call) {
            return calls.getOrDefault(call, new AtomicInteger()).get();
        }

        int succeeded(String call) {
            return succeeded.getOrDefault(call, new AtomicInteger()).get();
        }

        int events(String what) {
            return events.getOrDefault(what, new AtomicInteger()).get();
        }
    }

    /** A process on the machine: the kernel's calls, and at close the release of what it opened, as at process exit. */
    private final class Process extends ForwardingSeam {
        private final Set<MemorySegment> maps = ConcurrentHashMap.newKeySet();

        Process() {
            super(sim);
        }

        @Override
        public MemorySegment mmap(Fd fd, long offset, long length, int prot, int flags) throws VfioException {
            MemorySegment m = super.mmap(fd, offset, length, prot, flags);
            maps.add(m);
            return m;
        }

        @Override
        public void munmap(MemorySegment mapping) throws VfioException {
            maps.remove(mapping);
            super.munmap(mapping);
        }

        /** The mappings go, then every descriptor; then this process's part of the trace is read. */
        @Override
        public void close() {
            for (MemorySegment m : List.copyOf(maps)) {
                try {
                    sim.munmap(m);
                } catch (RuntimeException ignored) {
                    // already gone with its device
                }
            }
            maps.clear();
            for (Fd fd : openHandles()) {
                try {
                    close(fd);
                } catch (VfioException ignored) {
                    // the kernel's close errno has nowhere to go at process exit
                }
            }
            synchronized (seen) {
                seen.dropped = sim.traceDropped();
                seen.take(sim.trace());
                sim.clearTrace();
            }
        }
    }

    /** A device model seen from the simulator's side: the model it wraps, and the context the kernel gave it. */
    static final class Observed implements PciDeviceModel {
        private final PciDeviceModel inner;
        volatile DeviceContext context;

        Observed(PciDeviceModel inner) {
            this.inner = inner;
        }

        @Override
        public ConfigSpace config() {
            return inner.config();
        }

        @Override
        public List<Bar> bars() {
            return inner.bars();
        }

        @Override
        public Optional<Rom> rom() {
            return inner.rom();
        }

        @Override
        public MmioHandler vga() {
            return inner.vga();
        }

        @Override
        public List<DeviceRegion> regions() {
            return inner.regions();
        }

        @Override
        public Optional<Display> display() {
            return inner.display();
        }

        @Override
        public void attach(DeviceContext context) {
            this.context = context;
            inner.attach(context);
        }

        @Override
        public void reset() {
            inner.reset();
        }
    }
}
