package org.vfio4j.sim;

import static org.vfio4j.uapi.VfioUapi.*;

import com.google.common.jimfs.Configuration;
import com.google.common.jimfs.Jimfs;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.FileSystem;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.vfio4j.KernelProfile;
import org.vfio4j.PciAddress;
import org.vfio4j.sim.device.DeviceContext;
import org.vfio4j.sim.device.DmaFaultException;
import org.vfio4j.sim.device.IommuFault;
import java.util.TreeMap;
import org.vfio4j.Errno;
import org.vfio4j.VfioException;
import org.vfio4j.spi.Fd;
import org.vfio4j.spi.LinuxAbi;
import org.vfio4j.spi.PollFd;
import org.vfio4j.spi.VfioKernel;

/**
 * A VFIO kernel in the JVM behind the system-call seam: the fd table, the container, group and
 * device files of {@code drivers/vfio}, the type1 IOMMU, eventfds, and a sysfs/devfs tree on an
 * in-memory file system. Every call is decoded from the same bytes the kernel would receive and
 * answered with the same bytes and errno; every errno carries the rule that was broken.
 *
 * <p>Besides the seam it offers what a test needs to look inside: {@link #trace()} (every call
 * with decoded arguments and result), {@link #dmaMappingCount(int)} and friends. Calls are
 * serialized, as if the kernel took one lock; blocking eventfd reads wait without holding it.
 * Uses no restricted methods: it runs in any JVM without flags.
 */
public final class SimulatedKernel implements VfioKernel {

    private final SimulatedHost host;
    private final ProcessMemory memory;
    private final Map<String, Group> groupNodes = new LinkedHashMap<>();
    private final Map<Integer, Group> groupsById = new LinkedHashMap<>();
    private final Map<PciAddress, PciFunction> functions = new LinkedHashMap<>();
    private final Map<PciAddress, Integer> groupOfDevice = new LinkedHashMap<>();
    private final List<IommuFault> faults = new ArrayList<>();
    private final Map<MemorySegment, Mapping> mappings = new java.util.IdentityHashMap<>();
    /** Device files whose fd was closed while mappings of them live on: the file stays open until the last munmap. */
    private final java.util.Set<DeviceFile> lingering = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
    /** BAR, region and dma-buf memory: it dies with the kernel, as the mappings of a closed process do. */
    private final java.lang.foreign.Arena deviceMemory = java.lang.foreign.Arena.ofShared();
    private final TreeMap<Integer, OpenFile> files = new TreeMap<>();
    private final Map<Integer, Fd> handles = new TreeMap<>();
    private final TraceRing trace;
    /**
     * The slot of the call being served and its thread, so that events inside it name it as their
     * cause (a call blocked on an eventfd lets others run: the thread tells whose call it is).
     */
    private TraceRing.Slot activeCall;
    private Thread activeThread;
    /** What the trace says about each live mapping, for its munmap entry. */
    private final Map<MemorySegment, String> mappingNames = new java.util.IdentityHashMap<>();
    private FileSystem fileSystem; // the sysfs/devfs tree, built on the first root(): Jimfs costs ~100 ms cold
    private final Object lock = new Object();
    private final DeviceWork devices;
    private final FaultPlan plan = new FaultPlan(this);
    private int nextContainerId = 1;
    private boolean tracing;
    private boolean closed;

    SimulatedKernel(SimulatedHost host) {
        this.host = host;
        this.trace = new TraceRing(host.traceCapacity());
        this.tracing = host.traceCapacity() > 0;
        this.memory = new ProcessMemory(host);
        this.devices = new DeviceWork(lock, host.name(), (owner, t) -> event(owner, "device work failed", t.toString()));
        PciHardware.BarAllocator allocator = new PciHardware.BarAllocator();
        for (HostGroup g : host.groups()) {
            for (HostDevice d : g.devices()) {
                groupOfDevice.put(d.address(), g.id());
            }
            if (!g.hasVfioDevices()) {
                continue; // no vfio driver in the group: no /dev/vfio node
            }
            Group group = new Group(g, host.isNoIommu(), this);
            for (HostDevice d : g.devices()) {
                if (d.isVfioDevice()) {
                    PciFunction f;
                    try {
                        f = new PciFunction(d, group, new PciHardware(d, d.attachTo(this), allocator, deviceMemory), this);
                    } catch (RuntimeException e) {
                        functions.values().forEach(done -> done.hw.spec.detachFrom(this)); // nothing booted holds a model
                        d.detachFrom(this);
                        throw e;
                    }
                    group.devices.add(f);
                    functions.put(d.address(), f);
                }
            }
            groupNodes.put(group.nodeName(), group);
            groupsById.put(g.id(), group);
        }
        for (PciFunction f : functions.values()) {
            f.hw.model.attach(new Dma(f));
        }
        host.faults().forEach(plan::arm); // the host's plan, checked against its devices when it was built
    }

    /** The armed faults, which the call handlers consult. */
    FaultPlan faultPlan() {
        return plan;
    }

    SimulatedHost host() {
        return host;
    }

    KernelProfile profile() {
        return host.profile();
    }

    ProcessMemory memory() {
        return memory;
    }

    /** Where device memory (BARs, regions, dma-bufs) is allocated: closed with the kernel. */
    java.lang.foreign.Arena deviceMemory() {
        return deviceMemory;
    }

    @Override
    public String name() {
        return "simulated";
    }

    /** The vfio-pci function at {@code address}, if vfio-pci drives one there. */
    Optional<PciFunction> vfioFunction(PciAddress address) {
        return Optional.ofNullable(functions.get(address));
    }

    /** The IOMMU group id of any function of the host. */
    int groupIdOf(PciAddress address) {
        return groupOfDevice.get(address);
    }

    // ---- inspection ----

    /**
     * The host asks for the device at {@code address} back, as an unbind does ({@code
     * vfio_pci_core_request}): its REQ eventfd is signalled. False when the device has no REQ
     * eventfd (the kernel would wait for the user to close the device).
     */
    public boolean requestDevice(PciAddress address) {
        synchronized (lock) {
            return vfioFunction(address).map(f -> f.irqs.request()).orElse(false);
        }
    }

    /** AER reports an error on the device at {@code address}: its ERR eventfd is signalled; false without one. */
    public boolean reportError(PciAddress address) {
        synchronized (lock) {
            return vfioFunction(address).map(f -> f.irqs.error()).orElse(false);
        }
    }

    /**
     * Arms faults at run time (see {@link Fault}): each counts matching calls from now, and an
     * event due {@linkplain Fault.Trigger#NOW now} happens before this returns.
     *
     * @param injected the faults, in the order they take precedence when two hit the same call
     * @throws IllegalArgumentException if a fault names a device vfio-pci does not drive here
     */
    public void inject(Fault... injected) {
        List<Fault> armed = List.of(injected);
        synchronized (lock) {
            checkOpen();
            for (Fault f : armed) {
                if (f instanceof Fault.DmaFault d && vfioFunction(d.device()).isEmpty()
                        || f instanceof Fault.Event e && vfioFunction(e.device()).isEmpty()) {
                    throw new IllegalArgumentException("cannot inject " + f + ": no function bound to vfio-pci at that address in"
                            + " this kernel; nothing was armed");
                }
            }
            armed.forEach(plan::arm);
        }
    }

    /** The injected faults that have fired, in the order they fired. */
    public List<Fault> firedFaults() {
        synchronized (lock) {
            return plan.fired();
        }
    }

    /** The injected faults still armed (not yet fired), in the order they were armed. */
    public List<Fault> pendingFaults() {
        synchronized (lock) {
            return plan.pending();
        }
    }

    /** Every DMA the simulated IOMMU refused a device model, oldest first. */
    public List<IommuFault> iommuFaults() {
        synchronized (lock) {
            return List.copyOf(faults);
        }
    }

    /**
     * The interrupts devices raised that signalled no eventfd (dropped, held pending, not signalled),
     * one counted sentence per source and reason as {@link #diagnose} tells them: those counted
     * against open eventfds, then those with no eventfd to go to. Bounded like the diagnosis.
     */
    public List<String> undeliveredInterrupts() {
        synchronized (lock) {
            List<String> out = new ArrayList<>();
            files.values().stream().filter(f -> f instanceof EventFdFile).distinct().forEach(f -> out.addAll(((EventFdFile) f).history.sentences()));
            functions.values().forEach(f -> out.addAll(f.irqs.unrouted.sentences()));
            return List.copyOf(out);
        }
    }

    /**
     * The device model of the vfio-pci function at {@code address} in this kernel: the instance its
     * {@link HostDevice}'s factory made for this boot, for a test to drive or inspect.
     *
     * @param <T>     the model's class
     * @param address the function's address
     * @param type    the model's class, e.g. {@code QemuEdu.class}
     * @return the model attached in this kernel
     * @throws IllegalArgumentException if vfio-pci drives no function there, or its model is not a {@code type}
     */
    public <T extends org.vfio4j.sim.device.PciDeviceModel> T model(PciAddress address, Class<T> type) {
        PciFunction f = functions.get(address);
        if (f == null) {
            throw new IllegalArgumentException("no function bound to vfio-pci at " + address + " in this kernel");
        }
        if (!type.isInstance(f.hw.model)) {
            throw new IllegalArgumentException(address + "'s model is a " + f.hw.model.getClass().getName() + ", not a " + type.getName());
        }
        return type.cast(f.hw.model);
    }

    /** {@link DeviceContext} of one function: DMA translated by its group's container, and the kernel's device clock. */
    private final class Dma implements DeviceContext {
        private final PciFunction function;

        Dma(PciFunction function) {
            this.function = function;
        }

        @Override
        public PciAddress address() {
            return function.address();
        }

        @Override
        public MemorySegment barMemory(int index) {
            MemorySegment m = function.hw.barMemory[index];
            if (m == null) {
                throw new IllegalArgumentException(function + " has no BAR" + index);
            }
            return m;
        }

        @Override
        public void dmaRead(long iova, MemorySegment dst) throws DmaFaultException {
            transfer(iova, dst, false);
        }

        @Override
        public void dmaWrite(long iova, MemorySegment src) throws DmaFaultException {
            transfer(iova, src, true);
        }

        @Override
        public void setIntx(boolean asserted) {
            synchronized (lock) {
                if (function.hw.removed) {
                    event(function, "INTx", "dropped: the device was surprise-removed");
                    return;
                }
                function.irqs.intxLevel(asserted);
            }
        }

        @Override
        public void signalMsi(int vector) {
            synchronized (lock) {
                if (function.hw.removed) {
                    event(function, "MSI vector " + vector, "dropped: the device was surprise-removed");
                    return;
                }
                function.irqs.message(vector);
            }
        }

        @Override
        public int readConfig(int offset, int size) {
            synchronized (lock) {
                return function.hw.read(offset, size);
            }
        }

        @Override
        public Duration deviceLatency() {
            return host.deviceLatency();
        }

        @Override
        public Scheduled schedule(Duration delay, Runnable work) {
            return devices.schedule(function, delay, work);
        }

        private void transfer(long iova, MemorySegment buf, boolean write) throws DmaFaultException {
            synchronized (lock) {
                String forced = function.hw.removed ? "the device was surprise-removed: nothing of it reaches memory"
                        : plan.dmaFault(function.address());
                long done = 0;
                while (done < buf.byteSize()) {
                    long at = iova + done;
                    Container c = function.group.container;
                    Type1Iommu t = c == null ? null : c.type1();
                    Type1Iommu.Dma d = t == null ? null : t.mappingAt(at);
                    String reason = forced != null ? forced
                            : (function.hw.u16(0x04) & 0x4) == 0 ? "bus mastering is off (PCI_COMMAND_MASTER): the function cannot"
                            + " issue DMA"
                            : c == null ? "group " + function.group.id() + " is in no container: the IOMMU blocks all DMA"
                            : t == null ? "the container has no type1 IOMMU set"
                            : d == null ? String.format("no mapping covers IOVA 0x%x", at)
                            : write && !d.write ? String.format("the mapping [0x%x, +0x%x) is not writable by the device (no"
                                    + " VFIO_DMA_MAP_FLAG_WRITE)", d.iova, d.size)
                            : !write && !d.read ? String.format("the mapping [0x%x, +0x%x) is not readable by the device (no"
                                    + " VFIO_DMA_MAP_FLAG_READ)", d.iova, d.size)
                            : d.memory == null || !d.memory.scope().isAlive() ? "the pinned memory behind the mapping is gone"
                            : !d.memory.isAccessibleBy(Thread.currentThread()) ? String.format("the memory behind the mapping [0x%x,"
                                    + " +0x%x) belongs to a confined arena of another thread, which the simulator cannot reach from"
                                    + " the thread doing the device's DMA (%s; devices finish DMA on the kernel's device thread):"
                                    + " map memory a device can reach, from Arena.ofShared(), Arena.ofAuto() or Arena.global()",
                                    d.iova, d.size, Thread.currentThread().getName())
                            : null;
                    long n = 0;
                    if (reason == null) {
                        long off = at - d.iova;
                        n = Math.min(buf.byteSize() - done, Math.min(d.size - off, d.memory.byteSize() - off));
                        try {
                            if (write) {
                                MemorySegment.copy(buf, done, d.memory, off, n);
                            } else {
                                MemorySegment.copy(d.memory, off, buf, done, n);
                            }
                        } catch (IllegalStateException | WrongThreadException e) {
                            // the arena closed under the transfer (or changed hands): the device sees a fault, no caller an exception
                            reason = "the pinned memory behind the mapping could not be reached during the transfer: " + e.getMessage();
                        }
                    }
                    if (reason != null) {
                        IommuFault fault = new IommuFault(function.address(), at, buf.byteSize() - done, write, reason);
                        faults.add(fault);
                        long left = buf.byteSize() - done;
                        String why = reason;
                        event(function, "DMA fault", () -> String.format("%s of 0x%x bytes at IOVA 0x%x refused: %s",
                                write ? "write" : "read", left, at, why));
                        throw new DmaFaultException(fault);
                    }
                    done += n;
                }
                event(function, "DMA", () -> String.format("%s of 0x%x bytes at IOVA 0x%x (%s host memory)",
                        write ? "write" : "read", buf.byteSize(), iova, write ? "into" : "out of"));
            }
        }
    }

    /**
     * The most recent calls and events, oldest first (an immutable snapshot): at most the host's
     * {@link SimulatedHost.Builder#traceCapacity(int) trace capacity}, older ones dropped (counted
     * by {@link #traceDropped()}). A call still in progress (a blocking eventfd read) appears when it
     * returns, at the place it started.
     */
    public List<TraceEntry> trace() {
        synchronized (lock) {
            return trace.snapshot();
        }
    }

    /** The trace as text, one entry a line, after a line saying how many older entries were dropped, if any. */
    public String traceText() {
        List<TraceEntry> entries;
        long dropped;
        synchronized (lock) {
            entries = trace.snapshot();
            dropped = trace.dropped();
        }
        StringBuilder sb = new StringBuilder();
        if (dropped > 0) {
            sb.append("... ").append(dropped).append(" older entries dropped (trace capacity ").append(trace.capacity()).append(")\n");
        }
        for (TraceEntry e : entries) {
            sb.append(e).append('\n');
        }
        return sb.toString();
    }

    /** How many entries the bounded trace has dropped to make room, since boot. */
    public long traceDropped() {
        synchronized (lock) {
            return trace.dropped();
        }
    }

    /** Forgets the trace so far (sequence numbers keep counting). */
    public void clearTrace() {
        synchronized (lock) {
            trace.clear();
        }
    }

    /**
     * Turns recording on or off (off for benchmarks; the trace costs an entry per call). Turning it
     * on for a host booted with capacity 0 records up to {@link SimulatedHost#DEFAULT_TRACE_CAPACITY}.
     */
    public void recordTrace(boolean on) {
        synchronized (lock) {
            tracing = on;
            if (on && trace.capacity() == 0) {
                trace.capacity(SimulatedHost.DEFAULT_TRACE_CAPACITY);
            }
        }
    }

    /** The number of DMA mappings of the container of group {@code groupId}, or empty if it has no type1 IOMMU. */
    public Optional<Integer> dmaMappingCount(int groupId) {
        synchronized (lock) {
            return type1Of(groupId).map(Type1Iommu::mappingCount);
        }
    }

    /** Mapping slots left in the container of group {@code groupId} ({@code dma_avail}). */
    public Optional<Integer> dmaSlotsAvailable(int groupId) {
        synchronized (lock) {
            return type1Of(groupId).map(Type1Iommu::dmaAvail);
        }
    }

    /** Pages charged against RLIMIT_MEMLOCK by pinning ({@code locked_vm}). */
    public long lockedPages() {
        synchronized (lock) {
            return memory.lockedPages();
        }
    }

    /**
     * What the process still holds in this kernel, for a leak check after a test: open
     * descriptors, live DMA mappings of every container, pages charged to RLIMIT_MEMLOCK, interrupt
     * triggers and INTx unmask eventfds set through SET_IRQS, ioeventfds and live mmaps. A process
     * that closed and unmapped everything holds nothing ({@link KernelResources#isEmpty()}): the
     * kernel releases groups, containers and their mappings, and device interrupt state with the
     * last reference, as Linux does.
     */
    public KernelResources resources() {
        synchronized (lock) {
            List<String> open = new ArrayList<>();
            for (Integer n : files.keySet()) {
                Fd h = handles.get(n);
                open.add(h != null ? h.toString() : "fd " + n + " (" + describe(files.get(n)) + ")");
            }
            TreeMap<Integer, Container> containers = new TreeMap<>();
            for (OpenFile f : files.values()) {
                if (f instanceof ContainerFile c) {
                    containers.put(c.container().id, c.container());
                }
            }
            for (Group g : groupsById.values()) {
                if (g.container != null) {
                    containers.put(g.container.id, g.container);
                }
            }
            List<KernelResources.DmaRange> dma = new ArrayList<>();
            for (Container c : containers.values()) {
                Type1Iommu t = c.type1();
                if (t != null) {
                    for (Type1Iommu.Dma d : t.mappings()) {
                        dma.add(new KernelResources.DmaRange(c.toString(), d.iova, d.size, d.read, d.write));
                    }
                }
            }
            List<String> irqs = new ArrayList<>();
            List<String> ioeventfds = new ArrayList<>();
            for (PciFunction f : functions.values()) {
                irqs.addAll(f.irqs.armed());
                ioeventfds.addAll(f.ioeventfdLines());
            }
            List<String> maps = mappings.entrySet().stream()
                    .sorted(java.util.Comparator.comparingLong(e -> e.getValue().serial()))
                    .map(e -> e.getValue().describe(e.getKey().byteSize())).toList();
            return new KernelResources(open, dma, memory.lockedPages(), irqs, ioeventfds, maps);
        }
    }

    private Optional<Type1Iommu> type1Of(int groupId) {
        Group g = groupsById.get(groupId);
        return g == null || g.container == null ? Optional.empty() : Optional.ofNullable(g.container.type1());
    }

    // ---- the seam ----

    @Override
    public Fd open(String path, int flags) throws VfioException {
        return held(() -> "open", () -> openHeld(path, flags));
    }

    private Fd openHeld(String path, int flags) throws VfioException {
        synchronized (lock) {
            checkOpen();
            SyscallContext call = new SyscallContext();
            try {
                OpenFile file = openFile(path);
                int n = install(file);
                record("", "open", described(path), n, null);
                return handles.get(n);
            } catch (KernelError e) {
                call.describe(() -> path);
                throw fail(path, "open", call, e);
            }
        }
    }

    private OpenFile openFile(String path) throws KernelError {
        if (path.equals("/dev/vfio/vfio")) {
            plan.enter(Call.OPEN_CONTAINER);
            return new ContainerFile(new Container(nextContainerId++, this));
        }
        if (path.startsWith("/dev/vfio/")) {
            Group g = groupNodes.get(path.substring("/dev/vfio/".length()));
            if (g != null) {
                plan.enter(Call.OPEN_GROUP);
                GroupFile f = new GroupFile(g);
                g.open(f);
                return f;
            }
        }
        throw KernelError.of(Errno.ENOENT, "no such file: " + path + " (this host's VFIO nodes: /dev/vfio/vfio"
                + groupNodes.keySet().stream().map(n -> ", /dev/vfio/" + n).reduce("", String::concat) + ")");
    }

    private int install(OpenFile file) {
        int n = 3;
        for (int used : files.keySet()) {
            if (used != n) {
                break;
            }
            n++;
        }
        files.put(n, file);
        handles.put(n, new Fd(this, n, describe(file), this::releaseNumber));
        return n;
    }

    private String describe(OpenFile file) {
        return switch (file) {
            case ContainerFile c -> c.container().toString();
            case GroupFile g -> g.group.toString();
            case DeviceFile d -> d.device().toString();
            case EventFdFile e -> "eventfd";
            case DmaBufFile b -> "dma-buf " + b.id();
        };
    }

    /** The file behind an fd number, for VFIO_GROUP_SET_CONTAINER's fdget. */
    OpenFile fileOf(int number) {
        return files.get(number);
    }

    /** Releases a descriptor number: the file's release runs. */
    private int releaseNumber(int number) {
        synchronized (lock) {
            OpenFile f = files.remove(number);
            handles.remove(number);
            switch (f) {
                case GroupFile g -> g.release(true);
                case DeviceFile d -> {
                    if (mappings.values().stream().anyMatch(m -> m.file() == d)) {
                        lingering.add(d); // a mapping holds the file (vma->vm_file): released by the last munmap
                    } else {
                        releaseDevice(d);
                    }
                }
                case ContainerFile c -> { } // the container lives on while groups hold it
                case DmaBufFile b -> { }
                case EventFdFile e -> {
                    e.virqfds.clear(); // EPOLLHUP: attached ioeventfds stop firing
                    lock.notifyAll();
                }
                case null -> { }
            }
            return 0;
        }
    }

    /** The device file's release ({@code vfio_device_fops_release}): the last reference to it is gone. */
    private void releaseDevice(DeviceFile d) {
        d.device().close();
        Group group = d.groupFile().group;
        group.containerUsers--; // vfio_group_unuse_container
        d.groupFile().release(false);
    }

    /** A new fd for a dma-buf (VFIO_DEVICE_GET_GFX_DMABUF). */
    int installDmaBuf(DmaBufFile buf) {
        return install(buf);
    }

    /** VFIO_GROUP_GET_DEVICE_FD's success path: a new device fd holding the group file. */
    int openDevice(PciFunction device, GroupFile groupFile) {
        device.open();
        device.group.containerUsers++;
        groupFile.retain();
        return install(new DeviceFile(device, groupFile));
    }

    /** Descriptors the kernel created for ioctl results already have their handle: it is returned. */
    @Override
    public Fd adopt(int number, String description) throws VfioException {
        return held(() -> "adopt", () -> adoptHeld(number, description));
    }

    private Fd adoptHeld(int number, String description) throws VfioException {
        synchronized (lock) {
            Fd fd = handles.get(number);
            if (fd == null) {
                throw new VfioException(Errno.EBADF, "adopt", "fd " + number, "no such descriptor is open");
            }
            return fd;
        }
    }

    @Override
    public void close(Fd fd) throws VfioException {
        held(() -> "close", () -> {
            closeHeld(fd);
            return null;
        });
    }

    private void closeHeld(Fd fd) throws VfioException {
        synchronized (lock) {
            String target = fd.toString();
            try {
                fd.close(this);
            } catch (VfioException e) {
                record(target, "close", new SyscallContext(), 0, KernelError.of(Errno.EBADF, e.explanation().orElse("")));
                throw e;
            }
            record(target, "close", new SyscallContext(), 0, null);
        }
    }

    @FunctionalInterface
    private interface FileCall {
        long apply(OpenFile file, SyscallContext call) throws KernelError;
    }

    /** The common path of every call on an fd; {@code name} is only evaluated for the trace and errors. */
    private long call(Fd fd, java.util.function.Supplier<String> name, FileCall op) throws VfioException {
        return held(name, () -> callHeld(fd, name, op));
    }

    private long callHeld(Fd fd, java.util.function.Supplier<String> name, FileCall op) throws VfioException {
        synchronized (lock) {
            int n;
            try {
                n = fd.enter(this, "syscall");
            } catch (VfioException e) {
                VfioException named = new VfioException(e.errnoNumber(), name.get(), fd.toString(), e.explanation().orElse(null));
                record(fd, name.get(), new SyscallContext(), 0, KernelError.of(Errno.EBADF, e.explanation().orElse("")));
                throw named;
            }
            SyscallContext call = new SyscallContext();
            TraceRing.Slot slot = tracing ? trace.reserve() : null; // its place: before what it causes
            Thread self = Thread.currentThread();
            TraceRing.Slot outer = activeThread == self ? activeCall : null;
            activeCall = slot;
            activeThread = self;
            try {
                long r = op.apply(files.get(n), call);
                if (slot != null) {
                    fill(slot, fd, name.get(), call, r, null);
                }
                return r;
            } catch (KernelError e) {
                fill(slot, fd, name.get(), call, 0, e);
                throw new VfioException(e.errno, name.get(), fd.toString(), e.getMessage());
            } finally {
                activeCall = outer;
                activeThread = outer == null ? null : self;
                fd.exit();
            }
        }
    }

    @Override
    public int ioctl(Fd fd, long request, MemorySegment arg) throws VfioException {
        return (int) call(fd, () -> requestName(fd, request), (f, c) -> dispatch(f, request, UserArg.pointer(arg), c));
    }

    @Override
    public int ioctl(Fd fd, long request, long value) throws VfioException {
        return (int) call(fd, () -> requestName(fd, request), (f, c) -> dispatch(f, request, UserArg.value(value), c));
    }

    private int dispatch(OpenFile file, long request, UserArg arg, SyscallContext call) throws KernelError {
        return switch (file) {
            case ContainerFile c -> c.container().ioctl(request, arg, call);
            case GroupFile g -> g.group.ioctl(request, arg, call, g);
            case DeviceFile d -> d.device().ioctl(request, arg, call);
            case EventFdFile e -> throw KernelError.of(Errno.ENOTTY, "eventfds have no ioctls");
            case DmaBufFile b -> throw KernelError.of(Errno.ENOTTY, "dma-buf ioctls (sync) are not modelled");
        };
    }

    @Override
    public long pread(Fd fd, MemorySegment dst, long offset) throws VfioException {
        requireSegment(dst, "pread");
        return call(fd, () -> "pread", (f, c) -> {
            checkUserBuffer(dst, true);
            c.describe(() -> "{" + where(f, offset) + ", " + dst.byteSize() + " bytes}");
            if (offset < 0) {
                throw KernelError.of(Errno.EINVAL, "negative offset (ksys_pread64)");
            }
            long n = switch (f) {
                case DeviceFile d -> {
                    plan.enter(Call.REGION_READ);
                    yield d.device().read(dst, offset);
                }
                case EventFdFile e -> throw KernelError.of(Errno.ESPIPE, "an eventfd has no file position to read at (ksys_pread64)");
                case DmaBufFile b -> throw KernelError.of(Errno.EINVAL, "a dma-buf is read through mmap, not pread (dma_buf_fops)");
                default -> throw KernelError.of(Errno.EINVAL, "a " + f.kind() + " fd cannot be read (vfs_read)");
            };
            c.describe(() -> "{" + where(f, offset) + ", " + dst.byteSize() + " bytes} -> " + TraceText.data(dst, n));
            return n;
        });
    }

    @Override
    public long pwrite(Fd fd, MemorySegment src, long offset) throws VfioException {
        requireSegment(src, "pwrite");
        return call(fd, () -> "pwrite", (f, c) -> {
            checkUserBuffer(src, false);
            c.describe(() -> "{" + where(f, offset) + ", " + src.byteSize() + " bytes: " + TraceText.data(src, src.byteSize()) + "}");
            if (offset < 0) {
                throw KernelError.of(Errno.EINVAL, "negative offset (ksys_pwrite64)");
            }
            return switch (f) {
                case DeviceFile d -> {
                    plan.enter(Call.REGION_WRITE);
                    yield d.device().write(src, offset);
                }
                case EventFdFile e -> throw KernelError.of(Errno.ESPIPE, "an eventfd has no file position to write at (ksys_pwrite64)");
                case DmaBufFile b -> throw KernelError.of(Errno.EINVAL, "a dma-buf is written through mmap, not pwrite (dma_buf_fops)");
                default -> throw KernelError.of(Errno.EINVAL, "a " + f.kind() + " fd cannot be written (vfs_write)");
            };
        });
    }

    @Override
    public long read(Fd fd, MemorySegment dst) throws VfioException {
        requireSegment(dst, "read");
        return call(fd, () -> "read", (f, c) -> {
            checkUserBuffer(dst, true);
            return switch (f) {
                case EventFdFile e -> readEventFd(e, dst);
                case DeviceFile d -> {
                    plan.enter(Call.REGION_READ);
                    yield d.device().read(dst, 0);
                }
                default -> throw KernelError.of(Errno.EINVAL, "a " + f.kind() + " fd cannot be read (vfs_read)");
            };
        });
    }

    /** The Java side of a buffer argument: null is a programming error the C ABI cannot express. */
    private static void requireSegment(MemorySegment segment, String operation) {
        if (segment == null) {
            throw new IllegalArgumentException(operation + " needs a buffer segment, not null");
        }
    }

    /**
     * A buffer the kernel cannot reach faults ({@code copy_to_user}/{@code copy_from_user}: EFAULT):
     * memory of a closed arena is unmapped, memory confined to another thread is out of this
     * call's reach, and a read-only segment cannot receive what the kernel writes. Checked before
     * the file is touched, so a refused read consumes nothing.
     */
    private static void checkUserBuffer(MemorySegment buf, boolean kernelWrites) throws KernelError {
        String copy = kernelWrites ? "copy_to_user" : "copy_from_user";
        if (!buf.scope().isAlive()) {
            throw KernelError.of(Errno.EFAULT, copy + " faults: the buffer's arena was closed, so its memory is unmapped");
        }
        if (!buf.isAccessibleBy(Thread.currentThread())) {
            throw KernelError.of(Errno.EFAULT, copy + " faults: the buffer is confined to another thread's arena");
        }
        if (kernelWrites && buf.isReadOnly()) {
            throw KernelError.of(Errno.EFAULT, copy + " faults: the destination buffer is a read-only segment");
        }
    }

    @Override
    public long write(Fd fd, MemorySegment src) throws VfioException {
        requireSegment(src, "write");
        return call(fd, () -> "write", (f, c) -> {
            checkUserBuffer(src, false);
            return switch (f) {
                case EventFdFile e -> writeEventFd(e, src);
                case DeviceFile d -> {
                    plan.enter(Call.REGION_WRITE);
                    yield d.device().write(src, 0);
                }
                default -> throw KernelError.of(Errno.EINVAL, "a " + f.kind() + " fd cannot be written (vfs_write)");
            };
        });
    }

    /** {@code eventfd_read}: 8 bytes; blocks (releasing the kernel lock) unless non-blocking. */
    private long readEventFd(EventFdFile e, MemorySegment dst) throws KernelError {
        if (dst.byteSize() < 8) {
            throw KernelError.of(Errno.EINVAL, "an eventfd read needs an 8-byte buffer (eventfd_read)");
        }
        while (e.counter == 0) {
            if (e.nonblocking) {
                throw KernelError.of(Errno.EAGAIN, "the eventfd counter is 0 and the fd is non-blocking (eventfd_read)");
            }
            int depth = holdPause();
            try {
                lock.wait();
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
                throw KernelError.of(Errno.EINTR, "interrupted while waiting for the eventfd");
            } finally {
                holdResume(depth);
            }
        }
        long v = e.semaphore ? 1 : e.counter;
        e.counter -= v;
        dst.set(ValueLayout.JAVA_LONG_UNALIGNED, 0, v);
        lock.notifyAll();
        return 8;
    }

    /** {@code eventfd_write}: adds; the counter tops out at 2^64-2. */
    private long writeEventFd(EventFdFile e, MemorySegment src) throws KernelError {
        if (src.byteSize() < 8) {
            throw KernelError.of(Errno.EINVAL, "an eventfd write needs an 8-byte buffer (eventfd_write)");
        }
        long v = src.get(ValueLayout.JAVA_LONG_UNALIGNED, 0);
        if (v == -1L) {
            throw KernelError.of(Errno.EINVAL, "0xffffffffffffffff cannot be added to an eventfd (eventfd_write)");
        }
        while (Long.compareUnsigned(-1L - 1 - e.counter, v) < 0) {
            if (e.nonblocking) {
                throw KernelError.of(Errno.EAGAIN, "adding " + Long.toUnsignedString(v) + " would pass the eventfd maximum 2^64-2 (eventfd_write)");
            }
            int depth = holdPause();
            try {
                lock.wait();
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
                throw KernelError.of(Errno.EINTR, "interrupted while waiting for room in the eventfd");
            } finally {
                holdResume(depth);
            }
        }
        add(e, v);
        return 8;
    }

    /**
     * {@code eventfd_signal} from inside the kernel (interrupts, loop-back triggers): adds 1, wakes
     * readers and kernel consumers. The counter saturates instead of blocking.
     */
    void signal(EventFdFile e) {
        synchronized (lock) {
            e.history.delivered();
            add(e, Long.compareUnsigned(e.counter, -2L) < 0 ? 1 : 0);
        }
    }

    private void add(EventFdFile e, long v) {
        e.counter += v;
        if (!e.virqfds.isEmpty()) {
            // virqfd_wakeup: the kernel consumer reads the counter, then its handler runs
            e.counter = e.semaphore ? e.counter - 1 : 0;
            for (Runnable r : List.copyOf(e.virqfds)) {
                r.run();
            }
        }
        lock.notifyAll();
    }

    @Override
    public long readEventCounter(Fd eventfd) throws VfioException {
        MemorySegment b = MemorySegment.ofArray(new long[1]);
        read(eventfd, b);
        return b.get(ValueLayout.JAVA_LONG, 0);
    }

    @Override
    public void writeEventCounter(Fd eventfd, long value) throws VfioException {
        MemorySegment b = MemorySegment.ofArray(new long[] {value});
        write(eventfd, b);
    }

    @Override
    public MemorySegment mmap(Fd fd, long offset, long length, int prot, int flags) throws VfioException {
        MemorySegment[] result = new MemorySegment[1];
        call(fd, () -> "mmap", (f, c) -> {
            c.describe(() -> String.format("{%s, length=0x%x, prot=%s}", where(f, offset), length, protNames(prot)));
            if (f instanceof DeviceFile || f instanceof DmaBufFile) {
                plan.enter(Call.MMAP);
            }
            checkMmapArguments(offset, length);
            if (f instanceof DmaBufFile b) {
                long pages = (b.pixels().byteSize() + SimulatedHost.PAGE_SIZE - 1) & -SimulatedHost.PAGE_SIZE;
                if (Long.compareUnsigned(offset, pages) >= 0 || length > pages - offset) { // offsets are unsigned page numbers
                    throw KernelError.of(Errno.EINVAL, "the mapping passes the end of the dma-buf (dma_buf_mmap_internal)");
                }
                result[0] = b.pixels().asSlice(offset, Math.min(length, b.pixels().byteSize() - offset));
                return 0;
            }
            if (!(f instanceof DeviceFile d)) {
                throw KernelError.of(Errno.ENODEV, "a " + f.kind() + " fd has no mmap (do_mmap)");
            }
            result[0] = d.device().mmap(offset, length, flags);
            synchronized (lock) {
                mappings.put(result[0], new Mapping(fd.toString(), d, (int) (offset >>> 40), offset & ((1L << 40) - 1), ++mmapSerial));
            }
            return 0;
        });
        synchronized (lock) {
            if (!mappings.containsKey(result[0])) {
                mappings.put(result[0], new Mapping(fd.toString(), null, 0, offset, ++mmapSerial));
            }
            if (tracing) {
                mappingNames.put(result[0], String.format("{%s, length=0x%x}", where(files.get(fd.number()), offset), length));
            }
        }
        return result[0];
    }

    /**
     * The checks of the mmap system call before any driver sees it, in its order: a page-aligned
     * offset ({@code ksys_mmap_pgoff}), a length ({@code do_mmap}: 0 is EINVAL; one that page
     * alignment wraps or that exceeds the 47-bit user address space is ENOMEM), and an end that
     * does not pass the file's largest offset ({@code file_mmap_ok}: EOVERFLOW).
     */
    private static void checkMmapArguments(long offset, long length) throws KernelError {
        long page = SimulatedHost.PAGE_SIZE;
        if ((offset & (page - 1)) != 0) {
            throw KernelError.of(Errno.EINVAL, String.format("offset 0x%x is not page aligned (ksys_mmap_pgoff)", offset));
        }
        if (length == 0) {
            throw KernelError.of(Errno.EINVAL, "a mapping needs a length > 0 (do_mmap)");
        }
        long aligned = (length + page - 1) & -page;
        if (aligned == 0 || Long.compareUnsigned(aligned, 1L << 47) > 0) {
            throw KernelError.of(Errno.ENOMEM, String.format("length 0x%x does not fit the 47-bit user address space"
                    + " (do_mmap, get_unmapped_area)", length));
        }
        // file_mmap_ok: device and dma-buf fds are anonymous inodes, whose largest offset is ULONG_MAX
        long pgoff = offset >>> 12;
        if (Long.compareUnsigned(pgoff, (-1L - aligned) >>> 12) > 0) {
            throw KernelError.of(Errno.EOVERFLOW, String.format("offset 0x%x plus length 0x%x passes the largest file offset"
                    + " (file_mmap_ok in do_mmap)", offset, length));
        }
    }

    /**
     * What a mapping reaches: a device region ({@code device} set; {@code index} and {@code pos}
     * locate it) or plain memory (a dma-buf).
     */
    private record Mapping(String fd, DeviceFile file, int index, long pos, long serial) {
        PciFunction device() {
            return file == null ? null : file.device();
        }

        /** How {@link #resources()} lists it: the fd it was mapped through, region, offset and length. */
        String describe(long length) {
            String where = file == null ? String.format("offset=0x%x", pos) : TraceText.regionOffset((long) index << 40 | pos);
            return String.format("%s: %s, length=0x%x", fd, where, length);
        }
    }

    /** Counts mmaps, so that {@link #resources()} lists mappings in the order they were made. */
    private long mmapSerial;

    /**
     * Forgets a mapping. The simulator cannot revoke a Java segment before the kernel closes (then
     * all device memory goes), so unlike the kernel backend the segment stays readable after
     * munmap; {@link #load}/{@link #store} and a second munmap of it are refused.
     */
    @Override
    public void munmap(MemorySegment mapping) {
        if (mapping == null) {
            throw new IllegalArgumentException("munmap needs the segment mmap returned, not null");
        }
        held(() -> "munmap", () -> {
            munmapHeld(mapping);
            return null;
        });
    }

    private void munmapHeld(MemorySegment mapping) {
        synchronized (lock) {
            Mapping of = mappings.remove(mapping);
            if (of == null) {
                throw new IllegalArgumentException("not a live mapping made by this backend's mmap: " + mapping);
            }
            if (of.file() != null && lingering.contains(of.file())
                    && mappings.values().stream().noneMatch(m -> m.file() == of.file())) {
                lingering.remove(of.file());
                releaseDevice(of.file()); // the last mapping held the closed device file
            }
            String named = mappingNames.remove(mapping);
            record(of.fd(), "munmap", described(named != null ? named : String.format("{length=0x%x}", mapping.byteSize())), 0, null);
        }
    }

    @Override
    public long load(MemorySegment mapping, long offset, int size) throws VfioException {
        return held(() -> "load", () -> mappedAccess(mapping, offset, size, false, 0));
    }

    @Override
    public void store(MemorySegment mapping, long offset, int size, long value) throws VfioException {
        held(() -> "store", () -> mappedAccess(mapping, offset, size, true, value));
    }

    private long mappedAccess(MemorySegment mapping, long offset, int size, boolean write, long value) throws VfioException {
        if (mapping == null) {
            throw new IllegalArgumentException("a mapped access needs the segment mmap returned, not null");
        }
        if (size != 1 && size != 2 && size != 4 && size != 8) {
            throw new IllegalArgumentException("a mapped access is 1, 2, 4 or 8 bytes, not " + size);
        }
        synchronized (lock) {
            Mapping m = mappings.get(mapping);
            if (m == null) {
                throw new IllegalArgumentException("not a live mapping made by this backend's mmap (unmapped, or a slice): " + mapping);
            }
            if (offset < 0 || offset > mapping.byteSize() - size) {
                throw new IllegalArgumentException(String.format("a %d-byte access at 0x%x leaves the 0x%x-byte mapping", size, offset,
                        mapping.byteSize()));
            }
            String what = write ? "store" : "load";
            try {
                plan.enter(Call.MAPPED_ACCESS);
                if (m.device() == null) {
                    return PciFunction.memoryAccess(mapping, offset, size, write, value);
                }
                long r = m.device().mappedAccess(m.index(), m.pos() + offset, size, write, value);
                if (tracing && m.device().isTrapped(m.index(), m.pos() + offset)) { // loads and stores of plain memory are not events
                    event(m.fd(), what, String.format("%s+0x%x, %d bytes%s", org.vfio4j.RegionIndex.name(m.index()), m.pos() + offset, size,
                            String.format(write ? " <- 0x%x" : " -> 0x%x", write ? value : r)));
                }
                return r;
            } catch (KernelError e) {
                String at = m.device() == null ? String.format("+0x%x", m.pos() + offset)
                        : org.vfio4j.RegionIndex.name(m.index()) + String.format("+0x%x", m.pos() + offset);
                throw fail(m.fd(), what, described(String.format("{%s, %d bytes}", at, size)), e);
            }
        }
    }


    @Override
    public long userAddress(MemorySegment segment) {
        if (segment == null) {
            throw new IllegalArgumentException("userAddress needs a segment, not null");
        }
        return held(() -> "userAddress", () -> userAddressHeld(segment));
    }

    private long userAddressHeld(MemorySegment segment) {
        if (!segment.isNative()) {
            throw new IllegalArgumentException("a heap segment has no stable address for the kernel to use: " + segment);
        }
        synchronized (lock) {
            checkOpen();
            return memory.register(segment);
        }
    }

    @Override
    public Fd eventfd(int initialValue, int flags) throws VfioException {
        return held(() -> "eventfd", () -> eventfdHeld(initialValue, flags));
    }

    private Fd eventfdHeld(int initialValue, int flags) throws VfioException {
        synchronized (lock) {
            checkOpen();
            int known = LinuxAbi.EFD_SEMAPHORE | LinuxAbi.EFD_NONBLOCK | LinuxAbi.EFD_CLOEXEC;
            if ((flags & ~known) != 0) {
                KernelError e = KernelError.of(Errno.EINVAL, "eventfd flags 0x" + Integer.toHexString(flags) + " has unknown bits (do_eventfd)");
                throw fail("eventfd", "eventfd", new SyscallContext(), e);
            }
            try {
                plan.enter(Call.EVENTFD);
            } catch (KernelError e) {
                throw fail("eventfd", "eventfd", described("{initval=" + initialValue + "}"), e);
            }
            int n = install(new EventFdFile(Integer.toUnsignedLong(initialValue), (flags & LinuxAbi.EFD_SEMAPHORE) != 0,
                    (flags & LinuxAbi.EFD_NONBLOCK) != 0));
            record("eventfd", "eventfd", described("{initval=" + initialValue + "}"), n, null);
            return handles.get(n);
        }
    }

    @Override
    public short[] poll(List<PollFd> fds, int timeoutMillis) throws VfioException {
        return held(() -> "poll", () -> pollHeld(fds, timeoutMillis));
    }

    private short[] pollHeld(List<PollFd> fds, int timeoutMillis) throws VfioException {
        long deadline = timeoutMillis < 0 ? Long.MAX_VALUE : System.nanoTime() + timeoutMillis * 1_000_000L;
        synchronized (lock) {
            while (true) {
                short[] revents = new short[fds.size()];
                boolean any = false;
                for (int i = 0; i < fds.size(); i++) {
                    PollFd p = fds.get(i);
                    if (p.fd().owner() != this) {
                        throw new IllegalArgumentException(p.fd() + " belongs to the " + p.fd().owner().name() + " backend");
                    }
                    if (!p.fd().isOpen()) { // its number may belong to another file by now: never poll it
                        throw new VfioException(Errno.EBADF, "poll", p.fd().toString(),
                                "the handle was closed; its number may already belong to another file");
                    }
                    OpenFile f = files.get(p.fd().number());
                    short ready = switch (f) {
                        case null -> LinuxAbi.POLLNVAL;
                        case EventFdFile e -> (short) ((e.counter != 0 ? LinuxAbi.POLLIN : 0) | (e.counter != -2L ? LinuxAbi.POLLOUT : 0));
                        default -> (short) (LinuxAbi.POLLIN | LinuxAbi.POLLOUT);
                    };
                    revents[i] = (short) (ready & (p.events() | LinuxAbi.POLLERR | LinuxAbi.POLLHUP | LinuxAbi.POLLNVAL));
                    any |= revents[i] != 0;
                }
                long left = deadline - System.nanoTime();
                if (any || left <= 0) {
                    return revents;
                }
                int depth = holdPause();
                try {
                    lock.wait(Math.max(1, Math.min(left / 1_000_000L, Integer.MAX_VALUE)));
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw new VfioException(Errno.EINTR, "poll", null, "interrupted");
                } finally {
                    holdResume(depth);
                }
            }
        }
    }

    @Override
    public Path root() {
        synchronized (lock) {
            if (fileSystem == null) {
                fileSystem = Jimfs.newFileSystem("vfio4j-" + System.identityHashCode(this), Configuration.unix());
                try {
                    Sysfs.populate(fileSystem.getPath("/"), host, groupNodes.keySet());
                    if (closed) {
                        fileSystem.close(); // as if built at boot and closed with the kernel
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException("building the simulated sysfs", e);
                }
            }
            return fileSystem.getPath("/");
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("this simulated kernel was closed; boot a new one from its SimulatedHost");
        }
    }

    @Override
    public void close() {
        held(() -> "close the kernel", () -> {
            closeHeld();
            return null;
        });
    }

    private void closeHeld() {
        synchronized (lock) {
            closed = true;
            devices.close(); // pending device work (timers, engines) is cancelled: nothing runs after close
            for (Fd fd : List.copyOf(handles.values())) {
                try {
                    fd.close(this);
                } catch (VfioException alreadyClosed) {
                    // closing everything on the way out
                }
            }
            mappings.clear(); // the process's mappings go with it, and with them the device files they held
            List.copyOf(lingering).forEach(this::releaseDevice);
            lingering.clear();
            functions.values().forEach(f -> f.hw.spec.detachFrom(this)); // a model instance may serve another kernel now
        }
        devices.awaitStopped();
        synchronized (lock) {
            mappings.clear();
            mappingNames.clear();
            if (deviceMemory.scope().isAlive()) { // a second close() finds nothing left to do
                deviceMemory.close(); // every mapping of a device dies with the kernel, as with the kernel backend
            }
        }
        try {
            FileSystem built;
            synchronized (lock) {
                built = fileSystem;
            }
            if (built != null) {
                built.close();
            }
        } catch (IOException ignored) {
            // an in-memory file system has nothing to flush
        }
    }

    // ---- trace ----

    private VfioException fail(String target, String name, SyscallContext call, KernelError e) {
        record(target, name, call, 0, e);
        return new VfioException(e.errno, name, target, e.getMessage());
    }

    /** Records something the hardware or the kernel did (an interrupt, a DMA) in the trace. */
    void event(Object target, String what, String detail) {
        synchronized (lock) {
            if (tracing) {
                eventEntry(target, what, detail);
            }
        }
    }

    /** Like {@link #event(Object, String, String)}, formatting the detail only when the trace is on. */
    void event(Object target, String what, java.util.function.Supplier<String> detail) {
        synchronized (lock) {
            if (tracing) {
                eventEntry(target, what, detail.get());
            }
        }
    }

    private void eventEntry(Object target, String what, String detail) {
        TraceRing.Slot s = trace.reserve();
        if (s != null) {
            s.entry = new TraceEntry(s.sequence, target.toString(), what, detail, 0, Optional.empty(), Optional.empty(), true,
                    activeCall == null || activeThread != Thread.currentThread() ? 0 : activeCall.sequence);
        }
    }

    /** Where a pread/pwrite/mmap offset points: region and offset on a device fd, else the raw offset. */
    private static String where(OpenFile f, long offset) {
        return f instanceof DeviceFile ? TraceText.regionOffset(offset) : String.format("offset=0x%x", offset);
    }

    private static String protNames(int prot) {
        return prot == LinuxAbi.PROT_NONE ? "NONE" : ((prot & LinuxAbi.PROT_READ) != 0 ? "READ" : "")
                + ((prot & LinuxAbi.PROT_READ) != 0 && (prot & LinuxAbi.PROT_WRITE) != 0 ? "|" : "")
                + ((prot & LinuxAbi.PROT_WRITE) != 0 ? "WRITE" : "")
                + ((prot & ~(LinuxAbi.PROT_READ | LinuxAbi.PROT_WRITE)) != 0 ? "|0x" + Integer.toHexString(prot & ~3) : "");
    }

    /**
     * What the simulated kernel knows about why nothing signalled {@code eventfd}: the interrupts
     * routed to it that were dropped or held back (bus mastering off, a masked INTx or vector, an
     * index not enabled) with their counts, or that it is bound to no interrupt at all, or where it
     * is bound when nothing was raised there. Bounded: a few counted notes per eventfd and function.
     */
    @Override
    public Optional<String> diagnose(Fd eventfd) {
        synchronized (lock) {
            if (eventfd.owner() != this || !eventfd.isOpen() || !(files.get(eventfd.number()) instanceof EventFdFile e)) {
                return Optional.empty();
            }
            List<String> bindings = new ArrayList<>();
            List<String> sentences = new ArrayList<>(e.history.sentences());
            for (PciFunction f : functions.values()) {
                List<String> b = f.irqs.bindingsOf(e);
                if (!b.isEmpty()) {
                    bindings.addAll(b);
                    sentences.addAll(f.irqs.unrouted.sentences());
                }
            }
            long n = e.history.deliveredCount();
            String got = n == 1 ? "the 1 signal it got before was read" : "the " + n + " signals it got before were read";
            String before = n == 0 ? "" : "; " + got;
            if (!sentences.isEmpty()) {
                return Optional.of(String.join("; ", sentences) + (bindings.isEmpty() ? "; it is bound to no interrupt now" : ""));
            }
            if (bindings.isEmpty()) {
                return Optional.of("it is bound to no interrupt: no VFIO_DEVICE_SET_IRQS with DATA_EVENTFD names it" + before);
            }
            return Optional.of("it is bound to " + String.join(", ", bindings) + " and no interrupt routed there was dropped or held"
                    + " back: the device raised none" + (n == 0 ? "" : " since; " + got));
        }
    }

    /** How the trace names an eventfd: {@code fd 7 (eventfd)}, or {@code a closed eventfd}. */
    String describeEventFd(EventFdFile e) {
        for (Map.Entry<Integer, OpenFile> f : files.entrySet()) {
            if (f.getValue() == e) {
                Fd h = handles.get(f.getKey());
                return h != null ? h.toString() : "fd " + f.getKey() + " (eventfd)";
            }
        }
        return "a closed eventfd";
    }

    /** The kernel lock, for hardware events that arrive from a model's own thread. */
    Object lock() {
        return lock;
    }

    private void record(Object target, String name, SyscallContext call, long result, KernelError error) {
        if (tracing) {
            fill(trace.reserve(), target, name, call, result, error);
        }
    }

    /** Completes a reserved slot (none when the trace is off). */
    private static void fill(TraceRing.Slot slot, Object target, String name, SyscallContext call, long result, KernelError error) {
        if (slot == null) {
            return;
        }
        slot.entry = new TraceEntry(slot.sequence, target.toString(), name, call.arguments(), result,
                error == null ? Optional.empty() : Optional.of(error.errno),
                error == null ? Optional.empty() : Optional.of(error.getMessage()));
    }

    private static SyscallContext described(String arguments) {
        SyscallContext c = new SyscallContext();
        c.arguments(arguments);
        return c;
    }

    private String requestName(Fd fd, long request) {
        OpenFile f;
        synchronized (lock) {
            f = fd.owner() == this && fd.isOpen() ? files.get(fd.number()) : null;
        }
        String name = switch (f) {
            case ContainerFile c -> CONTAINER_REQUESTS.get(request);
            case GroupFile g -> GROUP_REQUESTS.get(request);
            case DeviceFile d -> DEVICE_REQUESTS.get(request);
            case null, default -> unambiguousName(request); // a closed fd: its type is gone
        };
        return name != null ? name : "ioctl(0x" + Long.toHexString(request) + ")";
    }

    /** The request's name if only one fd type has a request with this number. */
    private static String unambiguousName(long request) {
        java.util.Set<String> names = new java.util.HashSet<>();
        for (Map<Long, String> m : List.of(CONTAINER_REQUESTS, GROUP_REQUESTS, DEVICE_REQUESTS)) {
            if (m.containsKey(request)) {
                names.add(m.get(request));
            }
        }
        return names.size() == 1 ? names.iterator().next() : null;
    }

    private static final Map<Long, String> CONTAINER_REQUESTS = Map.ofEntries(
            Map.entry(VFIO_GET_API_VERSION, "VFIO_GET_API_VERSION"),
            Map.entry(VFIO_CHECK_EXTENSION, "VFIO_CHECK_EXTENSION"),
            Map.entry(VFIO_SET_IOMMU, "VFIO_SET_IOMMU"),
            Map.entry(VFIO_IOMMU_GET_INFO, "VFIO_IOMMU_GET_INFO"),
            Map.entry(VFIO_IOMMU_MAP_DMA, "VFIO_IOMMU_MAP_DMA"),
            Map.entry(VFIO_IOMMU_UNMAP_DMA, "VFIO_IOMMU_UNMAP_DMA"),
            Map.entry(VFIO_IOMMU_ENABLE, "VFIO_IOMMU_ENABLE"),
            Map.entry(VFIO_IOMMU_DISABLE, "VFIO_IOMMU_DISABLE"),
            Map.entry(VFIO_IOMMU_SPAPR_REGISTER_MEMORY, "VFIO_IOMMU_SPAPR_REGISTER_MEMORY"),
            Map.entry(VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY, "VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY"),
            Map.entry(VFIO_IOMMU_SPAPR_TCE_CREATE, "VFIO_IOMMU_SPAPR_TCE_CREATE"),
            Map.entry(VFIO_IOMMU_SPAPR_TCE_REMOVE, "VFIO_IOMMU_SPAPR_TCE_REMOVE"),
            Map.entry(VFIO_EEH_PE_OP, "VFIO_EEH_PE_OP"));

    private static final Map<Long, String> GROUP_REQUESTS = Map.of(
            VFIO_GROUP_GET_STATUS, "VFIO_GROUP_GET_STATUS",
            VFIO_GROUP_SET_CONTAINER, "VFIO_GROUP_SET_CONTAINER",
            VFIO_GROUP_UNSET_CONTAINER, "VFIO_GROUP_UNSET_CONTAINER",
            VFIO_GROUP_GET_DEVICE_FD, "VFIO_GROUP_GET_DEVICE_FD");

    private static final Map<Long, String> DEVICE_REQUESTS = Map.ofEntries(
            Map.entry(VFIO_DEVICE_GET_INFO, "VFIO_DEVICE_GET_INFO"),
            Map.entry(VFIO_DEVICE_GET_REGION_INFO, "VFIO_DEVICE_GET_REGION_INFO"),
            Map.entry(VFIO_DEVICE_GET_IRQ_INFO, "VFIO_DEVICE_GET_IRQ_INFO"),
            Map.entry(VFIO_DEVICE_SET_IRQS, "VFIO_DEVICE_SET_IRQS"),
            Map.entry(VFIO_DEVICE_RESET, "VFIO_DEVICE_RESET"),
            Map.entry(VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, "VFIO_DEVICE_GET_PCI_HOT_RESET_INFO"),
            Map.entry(VFIO_DEVICE_PCI_HOT_RESET, "VFIO_DEVICE_PCI_HOT_RESET"),
            Map.entry(VFIO_DEVICE_QUERY_GFX_PLANE, "VFIO_DEVICE_QUERY_GFX_PLANE"),
            Map.entry(VFIO_DEVICE_GET_GFX_DMABUF, "VFIO_DEVICE_GET_GFX_DMABUF"),
            Map.entry(VFIO_DEVICE_IOEVENTFD, "VFIO_DEVICE_IOEVENTFD"),
            Map.entry(VFIO_DEVICE_FEATURE, "VFIO_DEVICE_FEATURE"));

    // ---- lock-hold measurement and state inspection, for the seam fuzzer ----

    /** A seam call's body, run under the kernel lock. */
    @FunctionalInterface
    private interface Held<T, E extends Exception> {
        T run() throws E;
    }

    private java.util.function.LongSupplier holdClock; // null: not measuring
    private int holdDepth;
    private long holdSince;
    private long longestHold;
    private String longestHoldCall = "";

    /** Runs a seam call's body under the kernel lock, measuring how long it holds the lock when asked to. */
    private <T, E extends Exception> T held(java.util.function.Supplier<String> what, Held<T, E> body) throws E {
        synchronized (lock) {
            if (holdDepth++ == 0 && holdClock != null) {
                holdSince = holdClock.getAsLong();
            }
            try {
                return body.run();
            } finally {
                if (--holdDepth == 0 && holdClock != null) {
                    noteHold(what);
                }
            }
        }
    }

    /** Before {@code lock.wait()}: the wait releases the lock, so it does not count as holding it. */
    private int holdPause() {
        int depth = holdDepth;
        if (depth > 0 && holdClock != null) {
            noteHold(() -> "a call before waiting");
        }
        holdDepth = 0;
        return depth;
    }

    /** After {@code lock.wait()} returns: the lock is held again. */
    private void holdResume(int depth) {
        holdDepth = depth;
        if (holdClock != null) {
            holdSince = holdClock.getAsLong();
        }
    }

    private void noteHold(java.util.function.Supplier<String> what) {
        long held = holdClock.getAsLong() - holdSince;
        if (held > longestHold) {
            longestHold = held;
            longestHoldCall = what.get();
        }
    }

    /**
     * Starts measuring how long seam calls hold the kernel lock, from zero, in nanoseconds of {@code
     * clock} ({@code System::nanoTime}, or the thread's CPU time so that a descheduled thread or a
     * garbage collection does not count); null stops. Off by default: it costs two clock reads a call.
     */
    void measureLockHolds(java.util.function.LongSupplier clock) {
        synchronized (lock) {
            holdClock = clock;
            longestHold = 0;
            longestHoldCall = "";
        }
    }

    /** The longest time one seam call held the kernel lock since {@link #measureLockHolds}, waits in {@code lock.wait()} excluded. */
    long longestLockHoldNanos() {
        synchronized (lock) {
            return longestHold;
        }
    }

    /** The name of the call that held the lock longest. */
    String longestLockHoldCall() {
        synchronized (lock) {
            return longestHoldCall;
        }
    }

    /** Descriptors open in the fd table. */
    int openDescriptorCount() {
        synchronized (lock) {
            return files.size();
        }
    }

    /** Segments returned by {@link #mmap} and not yet unmapped. */
    int liveMappingCount() {
        synchronized (lock) {
            return mappings.size();
        }
    }

    /** The groups with a {@code /dev/vfio} node, for state checks (read under {@link #lock()}). */
    List<Group> groupStates() {
        synchronized (lock) {
            return List.copyOf(groupsById.values());
        }
    }

}
