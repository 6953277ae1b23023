package org.vfio4j.sim;

import com.google.common.jimfs.Configuration;
import com.google.common.jimfs.Jimfs;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.FileSystem;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.vfio4j.Errno;
import org.vfio4j.KernelProfile;
import org.vfio4j.PciAddress;
import org.vfio4j.PciRegisters;
import org.vfio4j.VfioException;
import org.vfio4j.sim.core.Container;
import org.vfio4j.sim.core.ContainerFile;
import org.vfio4j.sim.core.DeviceFile;
import org.vfio4j.sim.core.DeviceWork;
import org.vfio4j.sim.core.DmaBufFile;
import org.vfio4j.sim.core.EventFdFile;
import org.vfio4j.sim.core.EventFds;
import org.vfio4j.sim.core.FaultGate;
import org.vfio4j.sim.core.FdTable;
import org.vfio4j.sim.core.Group;
import org.vfio4j.sim.core.GroupFile;
import org.vfio4j.sim.core.HostFacts;
import org.vfio4j.sim.core.IommuDriverOps;
import org.vfio4j.sim.core.KernelError;
import org.vfio4j.sim.core.KernelLock;
import org.vfio4j.sim.core.KernelServices;
import org.vfio4j.sim.core.OpenFile;
import org.vfio4j.sim.core.ProcessMemory;
import org.vfio4j.sim.core.ReadWrite;
import org.vfio4j.sim.core.Syscall;
import org.vfio4j.sim.core.SyscallContext;
import org.vfio4j.sim.core.UserArg;
import org.vfio4j.sim.core.VfioDevice;
import org.vfio4j.sim.device.IommuFault;
import org.vfio4j.sim.device.PciDeviceModel;
import org.vfio4j.sim.device.RemoteMemory;
import org.vfio4j.sim.eeh.Eeh;
import org.vfio4j.sim.iommu.DeviceDma;
import org.vfio4j.sim.iommu.FaultLog;
import org.vfio4j.sim.iommu.NoIommuDriver;
import org.vfio4j.sim.iommu.SpaprTceIommu;
import org.vfio4j.sim.iommu.Type1Iommu;
import org.vfio4j.sim.pci.FunctionContext;
import org.vfio4j.sim.pci.FunctionSpec;
import org.vfio4j.sim.pci.PciFunction;
import org.vfio4j.sim.pci.PciHardware;
import org.vfio4j.sim.pci.PciHost;
import org.vfio4j.spi.Fd;
import org.vfio4j.spi.LinuxAbi;
import org.vfio4j.spi.PollFd;
import org.vfio4j.spi.VfioKernel;
import org.vfio4j.uapi.VfioIoctls;

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
 *
 * <p>This class boots the host's devices and is the front door: each seam call takes the kernel
 * lock, finds the file behind its fd and hands it to the part of the kernel that owns it, the fd
 * table ({@code FdTable}), eventfds ({@code EventFds}), read and write ({@code ReadWrite}), the
 * process's mappings ({@code MemoryMaps}), the VFIO files themselves, each device's view of the
 * host ({@code FunctionContext}, {@code DeviceDma}), the trace ({@code KernelTrace}), the lock
 * ({@code KernelLock}). It stays near 950 lines because it is the whole public surface of the
 * simulated kernel, about 40 documented methods (the seam, the trace, the inspection calls a test
 * makes, the resource report and the eventfd diagnosis that look across every part), plus the
 * seam's common path (lock, fd lookup, trace slot, errno), the boot that wires the parts, and the
 * two private adapters through which the parts reach the kernel (the core's kernel services and
 * vfio-pci's view of the host).
 */
public final class SimulatedKernel implements VfioKernel {

    private final SimulatedHost host;
    private final HostFacts facts;
    private final ProcessMemory memory;
    /** The EEH of the host: PEs only on a POWER host with EEH on; an x86 host's answers no PE. */
    private final Eeh eeh;
    private final KernelServices services = new Services();
    private final PciHost pci = new PciServices();
    private final List<IommuDriverOps> iommuDrivers;
    private final IommuDriverOps noIommu;
    private final Map<String, Group> groupNodes = new LinkedHashMap<>();
    private final Map<Integer, Group> groupsById = new LinkedHashMap<>();
    private final Map<PciAddress, PciFunction> functions = new LinkedHashMap<>();
    /** The host's functions booted into vfio-pci functions, in boot order: they hold their models. */
    private final List<HostDevice> booted = new ArrayList<>();
    private final Map<PciAddress, Integer> groupOfDevice = new LinkedHashMap<>();
    private final FaultLog faults = new FaultLog();
    /** BAR, region and dma-buf memory: it dies with the kernel, as the mappings of a closed process do. */
    private final LazySharedArena deviceMemory = new LazySharedArena();
    private final KernelLock kernelLock = new KernelLock();
    private final Object lock = kernelLock.monitor();
    private final KernelTrace trace;
    private final EventFds eventFds;
    private final FaultPlan plan = new FaultPlan(this);
    private final MemoryMaps maps;
    private final FdTable fds;
    private final ReadWrite io;
    private FileSystem fileSystem; // the sysfs/devfs tree, built on the first root(): Jimfs costs ~100 ms cold
    private final DeviceWork devices;
    private int nextContainerId = 1;
    private boolean closed;

    SimulatedKernel(SimulatedHost host) {
        this.host = host;
        this.eventFds = new EventFds(kernelLock, host.profile().virqfdConsumesSignals());
        this.io = new ReadWrite(plan, eventFds);
        this.trace = new KernelTrace(lock, host.traceCapacity());
        this.facts = factsOf(host);
        this.eeh = new Eeh(services, facts.power()); // before the functions: vfio-pci's probe puts each in its PE
        this.memory = new ProcessMemory(facts);
        // vfio_iommu_spapr_tce registers on POWER, vfio_iommu_type1 elsewhere
        this.iommuDrivers = facts.power() != null ? List.of(SpaprTceIommu.driver(services, eeh)) : List.of(Type1Iommu.driver(services));
        this.noIommu = NoIommuDriver.driver(facts);
        this.maps = new MemoryMaps(lock, trace, plan);
        this.fds = new FdTable(this, lock, maps::holds, eventFds::hangUp);
        maps.files(fds);
        this.devices = new DeviceWork(lock, host.name(), (owner, t) -> event(owner, "device work failed", t.toString()));
        PciHardware.BarAllocator allocator = new PciHardware.BarAllocator();
        for (HostGroup g : host.groups()) {
            for (HostDevice d : g.devices()) {
                groupOfDevice.put(d.address(), g.id());
            }
            if (!g.hasVfioDevices()) {
                continue; // no vfio driver in the group: no /dev/vfio node
            }
            Group group = new Group(g.id(), g.viable(), () -> nonViableReason(g), host.isNoIommu(), services);
            for (HostDevice d : g.devices()) {
                if (d.isVfioDevice()) {
                    PciFunction f;
                    try {
                        PciDeviceModel model = d.attachTo(this);
                        FunctionSpec spec = new FunctionSpec(d.address(), d.resettable(), d.physicalFunction(), d.isPhysicalFunction());
                        f = new PciFunction(spec, group, new PciHardware(spec, model, allocator, deviceMemory), services, pci);
                    } catch (RuntimeException e) {
                        booted.forEach(done -> done.detachFrom(this)); // nothing booted holds a model
                        d.detachFrom(this);
                        throw e;
                    }
                    group.devices.add(f);
                    functions.put(d.address(), f);
                    booted.add(d);
                }
            }
            groupNodes.put(group.nodeName(), group);
            groupsById.put(g.id(), group);
        }
        for (PciFunction f : functions.values()) {
            DeviceDma dma = new DeviceDma(f, () -> f.hw.removed,
                    () -> (f.hw.u16(PciRegisters.COMMAND) & PciRegisters.COMMAND_MASTER) != 0, services, eeh, faults);
            f.hw.model.attach(new FunctionContext(f, services, dma, devices));
            f.hw.poweredOn();
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

    /** The host's EEH (no PE on a host without it). */
    Eeh eeh() {
        return eeh;
    }

    KernelProfile profile() {
        return host.profile();
    }

    ProcessMemory memory() {
        return memory;
    }

    /** Where device memory (BARs, regions, dma-bufs) is allocated: closed with the kernel. */
    Arena deviceMemory() {
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
                if (f instanceof Fault.EehError && !eeh.enabled()) {
                    throw new IllegalArgumentException("cannot inject " + f + ": " + FaultPlan.NO_EEH + "; nothing was armed");
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

    /**
     * The DMAs the simulated IOMMU refused a device model, oldest first: the latest {@value
     * FaultLog#CAPACITY} (older ones are counted by {@link #iommuFaultsDropped()}).
     */
    public List<IommuFault> iommuFaults() {
        synchronized (lock) {
            return faults.snapshot();
        }
    }

    /** How many refused DMAs {@link #iommuFaults()} no longer lists, to stay bounded. */
    public long iommuFaultsDropped() {
        synchronized (lock) {
            return faults.dropped();
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
            fds.openFiles().stream().filter(f -> f instanceof EventFdFile).distinct().forEach(f -> out.addAll(((EventFdFile) f).history.sentences()));
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
    public <T extends PciDeviceModel> T model(PciAddress address, Class<T> type) {
        PciFunction f = functions.get(address);
        if (f == null) {
            throw new IllegalArgumentException("no function bound to vfio-pci at " + address + " in this kernel");
        }
        if (!type.isInstance(f.hw.model)) {
            throw new IllegalArgumentException(address + "'s model is a " + f.hw.model.getClass().getName() + ", not a " + type.getName());
        }
        return type.cast(f.hw.model);
    }

    /**
     * The most recent calls and events, oldest first (an immutable snapshot): at most the host's
     * {@link SimulatedHost.Builder#traceCapacity(int) trace capacity}, older ones dropped (counted
     * by {@link #traceDropped()}). A call still in progress (a blocking eventfd read) appears when it
     * returns, at the place it started.
     */
    public List<TraceEntry> trace() {
        return trace.snapshot();
    }

    /** The trace as text, one entry a line, after a line saying how many older entries were dropped, if any. */
    public String traceText() {
        return trace.text();
    }

    /** How many entries the bounded trace has dropped to make room, since boot. */
    public long traceDropped() {
        return trace.dropped();
    }

    /** Forgets the trace so far (sequence numbers keep counting). */
    public void clearTrace() {
        trace.clear();
    }

    /**
     * Turns recording on or off (off for benchmarks; the trace costs an entry per call). Turning it
     * on for a host booted with capacity 0 records up to {@link SimulatedHost#DEFAULT_TRACE_CAPACITY}.
     */
    public void recordTrace(boolean on) {
        trace.record(on);
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
            List<String> open = fds.describeOpen();
            TreeMap<Integer, Container> containers = new TreeMap<>();
            for (OpenFile f : fds.openFiles()) {
                if (f instanceof ContainerFile c) {
                    containers.put(c.container().id, c.container());
                }
            }
            for (Group g : groupsById.values()) {
                if (g.container() != null) {
                    containers.put(g.container().id, g.container());
                }
            }
            List<KernelResources.DmaRange> dma = new ArrayList<>();
            for (Container c : containers.values()) {
                if (c.iommu() instanceof Type1Iommu t) {
                    for (Type1Iommu.Dma d : t.mappings()) {
                        dma.add(new KernelResources.DmaRange(c.toString(), d.iova(), d.size(), d.read(), d.write()));
                    }
                } else if (c.iommu() instanceof SpaprTceIommu t) {
                    for (SpaprTceIommu.TceRun r : t.tceRuns()) {
                        dma.add(new KernelResources.DmaRange(c.toString(), r.iova(), r.size(), true, r.deviceWrites()));
                    }
                }
            }
            List<String> irqs = new ArrayList<>();
            List<String> ioeventfds = new ArrayList<>();
            for (PciFunction f : functions.values()) {
                irqs.addAll(f.irqs.armed());
                ioeventfds.addAll(f.ioeventfdLines());
            }
            List<String> mappings = new ArrayList<>(maps.describeAll());
            mappings.addAll(memory.describeRemote());
            return new KernelResources(open, dma, memory.lockedPages(), irqs, ioeventfds, mappings);
        }
    }

    private Optional<Type1Iommu> type1Of(int groupId) {
        Group g = groupsById.get(groupId);
        return g == null || g.container() == null || !(g.container().iommu() instanceof Type1Iommu t) ? Optional.empty()
                : Optional.of(t);
    }
    // ---- the seam ----

    @Override
    public Fd open(String path, int flags) throws VfioException {
        return kernelLock.held(() -> "open", () -> openHeld(path, flags));
    }

    private Fd openHeld(String path, int flags) throws VfioException {
        synchronized (lock) {
            checkOpen();
            SyscallContext call = new SyscallContext();
            try {
                OpenFile file = openFile(path);
                int n = fds.install(file);
                trace.record("", "open", KernelTrace.described(path), n, null);
                return fds.handle(n);
            } catch (KernelError e) {
                call.describe(() -> path);
                throw trace.fail(path, "open", call, e);
            }
        }
    }

    private OpenFile openFile(String path) throws KernelError {
        if (path.equals("/dev/vfio/vfio")) {
            plan.enter(Syscall.OPEN_CONTAINER);
            return new ContainerFile(new Container(nextContainerId++, services));
        }
        if (path.startsWith("/dev/vfio/")) {
            Group g = groupNodes.get(path.substring("/dev/vfio/".length()));
            if (g != null) {
                plan.enter(Syscall.OPEN_GROUP);
                GroupFile f = new GroupFile(g);
                g.open(f);
                return f;
            }
        }
        throw KernelError.of(Errno.ENOENT, "no such file: " + path + " (this host's VFIO nodes: /dev/vfio/vfio"
                + groupNodes.keySet().stream().map(n -> ", /dev/vfio/" + n).reduce("", String::concat) + ")");
    }

    /** The file behind an fd number, for VFIO_GROUP_SET_CONTAINER's fdget. */
    OpenFile fileOf(int number) {
        return fds.file(number);
    }

    /** A new fd for a dma-buf (VFIO_DEVICE_GET_GFX_DMABUF). */
    int installDmaBuf(DmaBufFile buf) {
        return fds.install(buf);
    }

    /** VFIO_GROUP_GET_DEVICE_FD's success path: a new device fd holding the group file. */
    int openDevice(VfioDevice device, GroupFile groupFile) {
        return fds.openDevice(device, groupFile);
    }

    /** Descriptors the kernel created for ioctl results already have their handle: it is returned. */
    @Override
    public Fd adopt(int number, String description) throws VfioException {
        return kernelLock.held(() -> "adopt", () -> adoptHeld(number, description));
    }

    private Fd adoptHeld(int number, String description) throws VfioException {
        synchronized (lock) {
            Fd fd = fds.handle(number);
            if (fd == null) {
                throw new VfioException(Errno.EBADF, "adopt", "fd " + number, "no such descriptor is open");
            }
            return fd;
        }
    }

    @Override
    public void close(Fd fd) throws VfioException {
        kernelLock.held(() -> "close", () -> {
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
                trace.record(target, "close", new SyscallContext(), 0, KernelError.of(Errno.EBADF, e.explanation().orElse("")));
                throw e;
            }
            trace.record(target, "close", new SyscallContext(), 0, null);
        }
    }

    @FunctionalInterface
    private interface FileCall {
        /**
         * Serves the call on {@code file}; {@code buf}, {@code a} and {@code b} are the call's
         * arguments, passed rather than captured so that one operation object serves every call.
         */
        long apply(OpenFile file, SyscallContext call, MemorySegment buf, long a, long b) throws KernelError;
    }

    private static final Supplier<String> PREAD = () -> "pread";
    private static final Supplier<String> PWRITE = () -> "pwrite";
    private static final Supplier<String> READ = () -> "read";
    private static final Supplier<String> WRITE = () -> "write";
    // one object per operation for the kernel's life: a call passes its arguments instead of capturing them
    private final FileCall preadOp = (f, c, buf, offset, unused) -> io().pread(f, c, buf, offset);
    private final FileCall pwriteOp = (f, c, buf, offset, unused) -> io().pwrite(f, c, buf, offset);
    private final FileCall readOp = (f, c, buf, unused, unused2) -> io().read(f, buf);
    private final FileCall writeOp = (f, c, buf, unused, unused2) -> io().write(f, buf);
    private final FileCall ioctlPointerOp = (f, c, arg, request, unused) -> dispatch(f, request, UserArg.pointer(arg), c);
    private final FileCall ioctlValueOp = (f, c, unused, request, value) -> dispatch(f, request, UserArg.value(value), c);

    private ReadWrite io() {
        return io;
    }

    /** The common path of every call on an fd; {@code name} is only evaluated for the trace and errors. */
    private long call(Fd fd, Supplier<String> name, FileCall op, MemorySegment buf, long a, long b) throws VfioException {
        try {
            // KernelLock.held written out: the hot path of every call allocates no lambda for its body
            Thread[] wake = null;
            try {
                synchronized (lock) {
                    kernelLock.enter();
                    try {
                        return callHeld(fd, name, op, buf, a, b);
                    } finally {
                        wake = kernelLock.exit(name);
                    }
                }
            } finally {
                KernelLock.wake(wake); // before any wait of this call: what it woke must not wait with it
            }
        } catch (CallWaits waits) {
            return waitThenGoOn(name, waits);
        }
    }

    private long callHeld(Fd fd, Supplier<String> name, FileCall op, MemorySegment buf, long a, long b) throws VfioException {
        synchronized (lock) {
            int n;
            try {
                n = fd.enter(this, "syscall");
            } catch (VfioException e) {
                VfioException named = new VfioException(e.errnoNumber(), name.get(), fd.toString(), e.explanation().orElse(null));
                trace.record(fd, name.get(), new SyscallContext(), 0, KernelError.of(Errno.EBADF, e.explanation().orElse("")));
                throw named;
            }
            TraceRing.Slot slot = trace.reserve(); // its place: before what it causes
            SyscallContext call = slot != null ? new SyscallContext() : SyscallContext.UNRECORDED;
            return proceed(fd, name, op, buf, a, b, fds.file(n), call, slot);
        }
    }

    /**
     * Runs a call's operation on its file and ends the call (its trace entry filled, the fd left);
     * an operation that must wait (a blocking eventfd read or write) leaves the call in flight, the
     * file held as the kernel holds it during a system call, and {@link CallWaits} carries it out
     * of the lock.
     */
    private long proceed(Fd fd, Supplier<String> name, FileCall op, MemorySegment buf, long a, long b, OpenFile file,
                         SyscallContext call, TraceRing.Slot slot)
            throws VfioException {
        TraceRing.Slot outer = trace.enterCall(slot);
        boolean waits = false;
        try {
            long r = op.apply(file, call, buf, a, b);
            if (slot != null) {
                KernelTrace.fill(slot, fd, name.get(), call, r, null);
            }
            return r;
        } catch (KernelError e) {
            KernelTrace.fill(slot, fd, name.get(), call, 0, e);
            throw new VfioException(e.errno, name.get(), fd.toString(), e.getMessage());
        } catch (EventFds.MustWait w) {
            waits = true;
            throw new CallWaits(w, () -> proceed(fd, name, op, buf, a, b, file, call, slot));
        } finally {
            trace.exitCall(outer);
            if (!waits) {
                fd.exit();
            }
        }
    }

    /** A call that must wait, on its way out of the kernel lock: its eventfd's waiter, and how it goes on under the lock. */
    private static final class CallWaits extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final transient EventFds.MustWait wait;
        final transient KernelLock.Held<Long, VfioException> goOn;

        CallWaits(EventFds.MustWait wait, KernelLock.Held<Long, VfioException> goOn) {
            super(null, null, false, false);
            this.wait = wait;
            this.goOn = goOn;
        }
    }

    /** Without the lock: parks until the call's eventfd changes, then tries again under the lock (waiting again if it must). */
    private long waitThenGoOn(Supplier<String> name, CallWaits waits) throws VfioException {
        CallWaits w = waits;
        while (true) {
            eventFds.park(w.wait);
            CallWaits current = w;
            try {
                return kernelLock.held(name, () -> {
                    eventFds.leave(current.wait);
                    return current.goOn.run();
                });
            } catch (CallWaits again) {
                w = again;
            }
        }
    }

    @Override
    public int ioctl(Fd fd, long request, MemorySegment arg) throws VfioException {
        return (int) call(fd, () -> requestName(fd, request), ioctlPointerOp, arg, request, 0);
    }

    @Override
    public int ioctl(Fd fd, long request, long value) throws VfioException {
        return (int) call(fd, () -> requestName(fd, request), ioctlValueOp, null, request, value);
    }

    /** How the trace and errors name a request: by the kind of file it is sent to, where numbers alias. */
    private String requestName(Fd fd, long request) {
        return VfioIoctls.name(fds.kindOf(fd), request);
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
        ReadWrite.requireSegment(dst, "pread");
        return call(fd, PREAD, preadOp, dst, offset, 0);
    }

    @Override
    public long pwrite(Fd fd, MemorySegment src, long offset) throws VfioException {
        ReadWrite.requireSegment(src, "pwrite");
        return call(fd, PWRITE, pwriteOp, src, offset, 0);
    }

    @Override
    public long read(Fd fd, MemorySegment dst) throws VfioException {
        ReadWrite.requireSegment(dst, "read");
        return call(fd, READ, readOp, dst, 0, 0);
    }

    @Override
    public long write(Fd fd, MemorySegment src) throws VfioException {
        ReadWrite.requireSegment(src, "write");
        return call(fd, WRITE, writeOp, src, 0, 0);
    }

    /**
     * {@code eventfd_signal} from inside the kernel (interrupts, loop-back triggers): adds 1, wakes
     * readers and kernel consumers. The counter saturates instead of blocking.
     */
    void signal(EventFdFile e) {
        eventFds.signal(e);
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
        call(fd, () -> "mmap", (f, c, unused, unused2, unused3) -> {
            result[0] = maps.map(fd, f, c, offset, length, prot, flags);
            return 0;
        }, null, 0, 0);
        maps.mapped(fd, result[0], offset, length);
        if (maps.isDeviceMapping(result[0])) {
            synchronized (lock) {
                memory.mapped(result[0], (prot & LinuxAbi.PROT_WRITE) != 0);
            }
        }
        return result[0];
    }

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
        kernelLock.held(() -> "munmap", () -> {
            maps.unmap(mapping);
            synchronized (lock) {
                memory.unmapped(mapping);
            }
            return null;
        });
    }

    @Override
    public long load(MemorySegment mapping, long offset, int size) throws VfioException {
        return kernelLock.held(() -> "load", () -> {
            checkMappingsLive(mapping);
            return maps.access(mapping, offset, size, false, 0);
        });
    }

    @Override
    public void store(MemorySegment mapping, long offset, int size, long value) throws VfioException {
        kernelLock.held(() -> "store", () -> {
            checkMappingsLive(mapping);
            return maps.access(mapping, offset, size, true, value);
        });
    }

    @Override
    public long userAddress(MemorySegment segment) {
        if (segment == null) {
            throw new IllegalArgumentException("userAddress needs a segment, not null");
        }
        return kernelLock.held(() -> "userAddress", () -> userAddressHeld(segment));
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

    /**
     * Gives memory of the process that is reached by messages ({@link RemoteMemory}: a vfio-user
     * client's guest RAM shared without an fd) {@code size} bytes of user addresses, page-aligned and
     * never used for anything else, and returns the first. VFIO_IOMMU_MAP_DMA (type1) of addresses in
     * the range maps that memory for devices: their DMA there calls {@code memory} on the thread doing
     * the DMA, under the kernel lock, and a failed access is an IOMMU fault. Nothing is pinned or
     * charged to RLIMIT_MEMLOCK. The range stays until {@link #unmapRemote} or the kernel's close and
     * is listed in {@link #resources()}. Not a Linux call: a seam for a userspace driver that proxies
     * another process's memory.
     *
     * @throws IllegalArgumentException for a null memory or a size that is not positive
     */
    public long mapRemote(RemoteMemory memory, long size) {
        if (memory == null || size <= 0) {
            throw new IllegalArgumentException("mapRemote needs remote memory and a positive size, not " + memory + " and " + size);
        }
        synchronized (lock) {
            checkOpen();
            return this.memory.mapRemote(memory, size);
        }
    }

    /**
     * Ends the range {@link #mapRemote} returned {@code address} for; a DMA mapping still pointing
     * there faults from now on ("the memory behind the mapping is gone"), as the server is expected
     * to VFIO_IOMMU_UNMAP_DMA first. False when no range starts at {@code address}.
     */
    public boolean unmapRemote(long address) {
        synchronized (lock) {
            return memory.unmapRemote(address);
        }
    }

    /**
     * Runs {@code step} holding the kernel lock: no other thread's seam call, device callback or
     * scheduled device work runs until it returns, and the seam calls it makes take the (reentrant)
     * lock again. For a userspace driver in the JVM whose own bookkeeping must not interleave with
     * device work: a vfio-user server takes its client's next command off its queue and handles it in
     * one step, so that a device's DMA waiting for the client (under this lock) finds every command
     * either handled or still queued for it to handle. Not a Linux call; the step should be short.
     *
     * @param <E> what the step may throw
     * @throws E what the step threw
     */
    public <E extends Exception> void locked(Step<E> step) throws E {
        if (step == null) {
            throw new IllegalArgumentException("locked needs a step, not null");
        }
        kernelLock.held(() -> "a step under the kernel lock", () -> {
            step.run();
            return null;
        });
    }

    /**
     * A piece of work for {@link #locked}.
     *
     * @param <E> what it may throw
     */
    @FunctionalInterface
    public interface Step<E extends Exception> {
        /**
         * Does the work.
         *
         * @throws E when it fails
         */
        void run() throws E;
    }

    @Override
    public Fd eventfd(int initialValue, int flags) throws VfioException {
        return kernelLock.held(() -> "eventfd", () -> eventfdHeld(initialValue, flags));
    }

    private Fd eventfdHeld(int initialValue, int flags) throws VfioException {
        synchronized (lock) {
            checkOpen();
            EventFdFile file;
            try {
                file = EventFds.create(initialValue, flags);
            } catch (KernelError e) {
                throw trace.fail("eventfd", "eventfd", new SyscallContext(), e);
            }
            try {
                plan.enter(Syscall.EVENTFD);
            } catch (KernelError e) {
                throw trace.fail("eventfd", "eventfd", KernelTrace.described("{initval=" + initialValue + "}"), e);
            }
            int n = fds.install(file);
            trace.record("eventfd", "eventfd", KernelTrace.described("{initval=" + initialValue + "}"), n, null);
            return fds.handle(n);
        }
    }

    /**
     * {@code eventfd(2)} with a kernel consumer attached: every signal of the new eventfd (an
     * interrupt, a loop-back trigger, a write) also runs {@code onSignal}, as KVM's irqfd consumes an
     * eventfd that VFIO signals. As with {@code vfio_virqfd_enable}, the consumer reads the counter
     * on each signal (Linux 6.0+ profiles; see {@code KernelProfile.virqfdConsumesSignals}), runs at
     * once if the counter starts above 0, and is detached when the eventfd's last descriptor closes.
     *
     * <p>{@code onSignal} runs on the signalling thread while it holds the kernel lock: it must be
     * short, must not call back into this kernel, and should not throw (what it throws reaches the
     * signaller). A vfio-user server uses it to forward a device's interrupt to its client.
     */
    public Fd eventfd(int initialValue, int flags, Runnable onSignal) throws VfioException {
        if (onSignal == null) {
            throw new IllegalArgumentException("an eventfd with a consumer needs the consumer, not null");
        }
        return kernelLock.held(() -> "eventfd", () -> {
            Fd fd = eventfdHeld(initialValue, flags);
            synchronized (lock) {
                ((EventFdFile) fds.file(fd.number())).attachVirqfd(onSignal);
            }
            return fd;
        });
    }

    @Override
    public short[] poll(List<PollFd> fds, int timeoutMillis) throws VfioException {
        return eventFds.poll(this, this.fds, fds, timeoutMillis); // takes the lock for each look, waits without it
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

    /** A load or store after the kernel closed: its mappings went with it (the mmap contract's IllegalStateException). */
    private void checkMappingsLive(MemorySegment mapping) {
        if (closed) {
            throw new IllegalStateException("this simulated kernel was closed, and every mapping it made went with it: "
                    + mapping + " is no longer mapped");
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("this simulated kernel was closed; boot a new one from its SimulatedHost");
        }
    }

    @Override
    public void close() {
        kernelLock.held(() -> "close the kernel", () -> {
            closeHeld();
            return null;
        });
    }

    private void closeHeld() {
        synchronized (lock) {
            closed = true;
            eventFds.shutDown(); // threads waiting on an eventfd or in poll wake with EBADF rather than wait forever
            devices.close(); // pending device work (timers, engines) is cancelled: nothing runs after close
            fds.closeAll();
            maps.clear(); // the process's mappings go with it, and with them the device files they held
            memory.unmappedAll();
            fds.releaseLingering();
            booted.forEach(d -> d.detachFrom(this)); // a model instance may serve another kernel now
        }
        devices.awaitStopped();
        synchronized (lock) {
            maps.clearAll();
            if (!deviceMemory.closed()) { // a second close() finds nothing left to do
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
    /**
     * Writes a line of the program's own into the trace, between the calls it makes, as a program
     * writes to tracefs's {@code trace_marker}: a userspace driver's step (a vfio-user server names
     * each message it received, and the calls that follow are what the message became). The text is
     * made only while the trace records.
     *
     * @param source who writes the line (shown where a call shows its descriptor)
     * @param text   the line
     */
    public void traceMarker(String source, Supplier<String> text) {
        if (source == null || text == null) {
            throw new IllegalArgumentException("a trace marker needs a source and a text");
        }
        trace.event("", source, text);
    }

    /** Records something the hardware or the kernel did (an interrupt, a DMA) in the trace. */
    void event(Object target, String what, String detail) {
        trace.event(target, what, detail);
    }

    /** Like {@link #event(Object, String, String)}, formatting the detail only when the trace is on. */
    void event(Object target, String what, Supplier<String> detail) {
        trace.event(target, what, detail);
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
            if (eventfd.owner() != this || !eventfd.isOpen() || !(fds.file(eventfd.number()) instanceof EventFdFile e)) {
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
        return fds.describeEventFd(e);
    }

    /** The kernel lock, for hardware events that arrive from a model's own thread. */
    Object lock() {
        return lock;
    }

    // ---- lock-hold measurement and state inspection, for the seam fuzzer ----

    /**
     * Starts measuring how long seam calls hold the kernel lock, from zero, in nanoseconds of {@code
     * clock} ({@code System::nanoTime}, or the thread's CPU time so that a descheduled thread or a
     * garbage collection does not count); null stops. Off by default: it costs two clock reads a call.
     */
    void measureLockHolds(LongSupplier clock) {
        kernelLock.measure(clock);
    }

    /** The longest time one seam call held the kernel lock since {@link #measureLockHolds}, waits for an eventfd excluded. */
    long longestLockHoldNanos() {
        return kernelLock.longestHoldNanos();
    }

    /** The name of the call that held the lock longest. */
    String longestLockHoldCall() {
        return kernelLock.longestHoldCall();
    }

    /** Descriptors open in the fd table. */
    int openDescriptorCount() {
        synchronized (lock) {
            return fds.size();
        }
    }

    /** Segments returned by {@link #mmap} and not yet unmapped. */
    int liveMappingCount() {
        synchronized (lock) {
            return maps.count();
        }
    }

    /**
     * The size of every table the kernel keeps per open file, mapping, eventfd, DMA mapping or
     * interrupt, by name, for leak checks: after a program closed all it opened they are back to
     * what a fresh kernel holds. The trace ring is not among them (it fills up to its capacity).
     */
    Map<String, Long> tableSizes() {
        synchronized (lock) {
            Map<String, Long> t = new LinkedHashMap<>();
            t.put("fd table: files", (long) fds.size());
            t.put("fd table: handles", (long) fds.handleCount());
            t.put("fd table: device files kept by a mapping", (long) fds.lingeringCount());
            t.put("mmaps", (long) maps.count());
            t.put("mmap names for the trace", (long) maps.nameCount());
            t.put("user memory segments", (long) memory.segmentCount());
            t.put("device mappings", (long) memory.deviceMappingCount());
            t.put("locked pages", memory.lockedPages());
            t.put("IOMMU faults", (long) faults.size());
            long opened = 0;
            long attached = 0;
            long users = 0;
            long dma = 0;
            for (Group g : groupsById.values()) {
                opened += g.opened() != null ? 1 : 0;
                attached += g.container() != null ? 1 : 0;
                users += g.containerUsers();
                dma += g.container() != null && g.container().iommu() instanceof Type1Iommu t1 ? t1.mappingCount() : 0;
            }
            t.put("open group files", opened);
            t.put("groups in a container", attached);
            t.put("container users", users);
            t.put("type1 DMA mappings", dma);
            long deviceOpens = 0;
            long irqs = 0;
            long ioeventfds = 0;
            for (PciFunction f : functions.values()) {
                deviceOpens += f.openCount();
                irqs += f.irqs.armed().size();
                ioeventfds += f.ioeventfdLines().size();
            }
            t.put("device opens", deviceOpens);
            t.put("armed interrupts", irqs);
            t.put("ioeventfds", ioeventfds);
            long consumers = 0;
            for (OpenFile f : fds.openFiles()) {
                consumers += f instanceof EventFdFile e ? e.virqfds.size() : 0;
            }
            t.put("eventfd kernel consumers", consumers);
            long[] waiters = eventFds.waiterCounts();
            t.put("eventfd waiters", waiters[0]);
            t.put("eventfd wait-queue entries", waiters[1]);
            return t;
        }
    }

    /** Threads the eventfds unparked since boot because an eventfd they waited on changed or the kernel closed. */
    long eventfdWakeUps() {
        return eventFds.wakeUps();
    }

    /** How many entries the trace ring holds now: at most the host's trace capacity. */
    int traceSize() {
        return trace.size();
    }

    /** The groups with a {@code /dev/vfio} node, for state checks (read under {@link #lock()}). */
    List<Group> groupStates() {
        synchronized (lock) {
            return List.copyOf(groupsById.values());
        }
    }


    /** The host's facts as the kernel's parts see them. */
    static HostFacts factsOf(SimulatedHost host) {
        return new HostFacts(host.profile(), host.isNoIommu(), host.iovaPageSizes(), host.iovaRanges(), host.dmaEntryLimit(),
                host.memlockLimit(), host.capIpcLock(), host.capSysRawio(), host.interruptRemapping(), host.nestingSupported(),
                host.enforceCacheCoherency(), host.irqVectorLimit(), host.deviceLatency(), host.power().map(PowerPlatform::facts).orElse(null));
    }

    /** Which functions of an IOMMU group keep it from being viable, for messages. */
    private static String nonViableReason(HostGroup g) {
        return g.devices().stream().filter(d -> !d.allowsViability())
                .map(d -> d.address() + " is bound to " + d.driver().orElse("?")).reduce((a, b) -> a + ", " + b).orElse("");
    }

    /** What the kernel's parts may ask of it; a separate object so that none of it is public API of the kernel. */
    private final class Services implements KernelServices {
        @Override
        public Object lock() {
            return lock;
        }

        @Override
        public KernelProfile profile() {
            return SimulatedKernel.this.profile();
        }

        @Override
        public HostFacts facts() {
            return facts;
        }

        @Override
        public FaultGate faults() {
            return plan;
        }

        @Override
        public ProcessMemory memory() {
            return memory;
        }

        @Override
        public List<IommuDriverOps> iommuDrivers() {
            return iommuDrivers;
        }

        @Override
        public IommuDriverOps noIommuDriver() {
            return noIommu;
        }

        @Override
        public OpenFile fileOf(int number) {
            return SimulatedKernel.this.fileOf(number);
        }

        @Override
        public int openDevice(VfioDevice device, GroupFile groupFile) {
            return SimulatedKernel.this.openDevice(device, groupFile);
        }

        @Override
        public int installDmaBuf(DmaBufFile buf) {
            return SimulatedKernel.this.installDmaBuf(buf);
        }

        @Override
        public void signal(EventFdFile e) {
            SimulatedKernel.this.signal(e);
        }

        @Override
        public String describeEventFd(EventFdFile e) {
            return SimulatedKernel.this.describeEventFd(e);
        }

        @Override
        public void event(Object target, String what, String detail) {
            SimulatedKernel.this.event(target, what, detail);
        }

        @Override
        public void event(Object target, String what, Supplier<String> detail) {
            SimulatedKernel.this.event(target, what, detail);
        }
    }

    /** What vfio-pci may ask of the PCI core and of this kernel. */
    private final class PciServices implements PciHost {
        @Override
        public List<BusFunction> functionsOnBus(PciAddress address) {
            List<BusFunction> out = new ArrayList<>();
            for (HostGroup g : host.groups()) {
                for (HostDevice d : g.devices()) {
                    if (d.address().segment() == address.segment() && d.address().bus() == address.bus()) {
                        out.add(new BusFunction(d.address(), g.id(), d.driver(), d.isVfioDevice()));
                    }
                }
            }
            return out;
        }

        @Override
        public Optional<PciFunction> vfioFunction(PciAddress address) {
            return SimulatedKernel.this.vfioFunction(address);
        }

        @Override
        public Arena deviceMemory() {
            return deviceMemory;
        }

        @Override
        public Eeh eeh() {
            return eeh;
        }
    }
}
