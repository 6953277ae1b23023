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
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
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
    private final Map<MemorySegment, Fd> mappings = new java.util.IdentityHashMap<>();
    private final TreeMap<Integer, OpenFile> files = new TreeMap<>();
    private final Map<Integer, Fd> handles = new TreeMap<>();
    private final List<TraceEntry> trace = new ArrayList<>();
    private FileSystem fileSystem; // the sysfs/devfs tree, built on the first root(): Jimfs costs ~100 ms cold
    private final Object lock = new Object();
    private int nextContainerId = 1;
    private boolean tracing = true;
    private boolean closed;

    SimulatedKernel(SimulatedHost host) {
        this.host = host;
        this.memory = new ProcessMemory(host);
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
                    PciFunction f = new PciFunction(d, group, new PciHardware(d, d.hardware(), allocator), this);
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

    /** Every DMA the simulated IOMMU refused a device model, oldest first. */
    public List<IommuFault> iommuFaults() {
        synchronized (lock) {
            return List.copyOf(faults);
        }
    }

    /** {@link DeviceContext} of one function: DMA translated by its group's container. */
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
                function.irqs.intxLevel(asserted);
            }
        }

        @Override
        public void signalMsi(int vector) {
            synchronized (lock) {
                function.irqs.message(vector);
            }
        }

        @Override
        public int readConfig(int offset, int size) {
            synchronized (lock) {
                return function.hw.read(offset, size);
            }
        }

        private void transfer(long iova, MemorySegment buf, boolean write) throws DmaFaultException {
            synchronized (lock) {
                long done = 0;
                while (done < buf.byteSize()) {
                    long at = iova + done;
                    Container c = function.group.container;
                    Type1Iommu t = c == null ? null : c.type1();
                    Type1Iommu.Dma d = t == null ? null : t.mappingAt(at);
                    String reason = (function.hw.u16(0x04) & 0x4) == 0 ? "bus mastering is off (PCI_COMMAND_MASTER): the function cannot"
                            + " issue DMA"
                            : c == null ? "group " + function.group.id() + " is in no container: the IOMMU blocks all DMA"
                            : t == null ? "the container has no type1 IOMMU set"
                            : d == null ? String.format("no mapping covers IOVA 0x%x", at)
                            : write && !d.write ? String.format("the mapping [0x%x, +0x%x) is not writable by the device (no"
                                    + " VFIO_DMA_MAP_FLAG_WRITE)", d.iova, d.size)
                            : !write && !d.read ? String.format("the mapping [0x%x, +0x%x) is not readable by the device (no"
                                    + " VFIO_DMA_MAP_FLAG_READ)", d.iova, d.size)
                            : d.memory == null || !d.memory.scope().isAlive() ? "the pinned memory behind the mapping is gone" : null;
                    if (reason != null) {
                        IommuFault fault = new IommuFault(function.address(), at, buf.byteSize() - done, write, reason);
                        faults.add(fault);
                        throw new DmaFaultException(fault);
                    }
                    long off = at - d.iova;
                    long n = Math.min(buf.byteSize() - done, Math.min(d.size - off, d.memory.byteSize() - off));
                    if (write) {
                        MemorySegment.copy(buf, done, d.memory, off, n);
                    } else {
                        MemorySegment.copy(d.memory, off, buf, done, n);
                    }
                    done += n;
                }
            }
        }
    }

    /** Every call served so far, oldest first (an immutable snapshot). */
    public List<TraceEntry> trace() {
        synchronized (lock) {
            return List.copyOf(trace);
        }
    }

    /** The trace as text, one call a line. */
    public String traceText() {
        StringBuilder sb = new StringBuilder();
        for (TraceEntry e : trace()) {
            sb.append(e).append('\n');
        }
        return sb.toString();
    }

    /** Forgets the trace so far. */
    public void clearTrace() {
        synchronized (lock) {
            trace.clear();
        }
    }

    /** Turns recording on or off (off for benchmarks; the trace costs an entry per call). */
    public void recordTrace(boolean on) {
        synchronized (lock) {
            tracing = on;
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

    private Optional<Type1Iommu> type1Of(int groupId) {
        Group g = groupsById.get(groupId);
        return g == null || g.container == null ? Optional.empty() : Optional.ofNullable(g.container.type1());
    }

    // ---- the seam ----

    @Override
    public Fd open(String path, int flags) throws VfioException {
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
            return new ContainerFile(new Container(nextContainerId++, this));
        }
        if (path.startsWith("/dev/vfio/")) {
            Group g = groupNodes.get(path.substring("/dev/vfio/".length()));
            if (g != null) {
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
                    d.device().close();
                    Group group = d.groupFile().group;
                    group.containerUsers--; // vfio_group_unuse_container
                    d.groupFile().release(false);
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
            try {
                long r = op.apply(files.get(n), call);
                if (tracing) {
                    record(fd, name.get(), call, r, null);
                }
                return r;
            } catch (KernelError e) {
                throw fail(fd.toString(), name.get(), call, e);
            } finally {
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
        return call(fd, () -> "pread", (f, c) -> {
            c.describe(() -> String.format("{count=%d, offset=0x%x}", dst.byteSize(), offset));
            if (offset < 0) {
                throw KernelError.of(Errno.EINVAL, "negative offset (ksys_pread64)");
            }
            return switch (f) {
                case DeviceFile d -> d.device().read(dst, offset);
                case EventFdFile e -> throw KernelError.of(Errno.ESPIPE, "an eventfd has no file position to read at (ksys_pread64)");
                case DmaBufFile b -> throw KernelError.of(Errno.EINVAL, "a dma-buf is read through mmap, not pread (dma_buf_fops)");
                default -> throw KernelError.of(Errno.EINVAL, "a " + f.kind() + " fd cannot be read (vfs_read)");
            };
        });
    }

    @Override
    public long pwrite(Fd fd, MemorySegment src, long offset) throws VfioException {
        return call(fd, () -> "pwrite", (f, c) -> {
            c.describe(() -> String.format("{count=%d, offset=0x%x}", src.byteSize(), offset));
            if (offset < 0) {
                throw KernelError.of(Errno.EINVAL, "negative offset (ksys_pwrite64)");
            }
            return switch (f) {
                case DeviceFile d -> d.device().write(src, offset);
                case EventFdFile e -> throw KernelError.of(Errno.ESPIPE, "an eventfd has no file position to write at (ksys_pwrite64)");
                case DmaBufFile b -> throw KernelError.of(Errno.EINVAL, "a dma-buf is written through mmap, not pwrite (dma_buf_fops)");
                default -> throw KernelError.of(Errno.EINVAL, "a " + f.kind() + " fd cannot be written (vfs_write)");
            };
        });
    }

    @Override
    public long read(Fd fd, MemorySegment dst) throws VfioException {
        return call(fd, () -> "read", (f, c) -> switch (f) {
            case EventFdFile e -> readEventFd(e, dst);
            case DeviceFile d -> d.device().read(dst, 0);
            default -> throw KernelError.of(Errno.EINVAL, "a " + f.kind() + " fd cannot be read (vfs_read)");
        });
    }

    @Override
    public long write(Fd fd, MemorySegment src) throws VfioException {
        return call(fd, () -> "write", (f, c) -> switch (f) {
            case EventFdFile e -> writeEventFd(e, src);
            case DeviceFile d -> d.device().write(src, 0);
            default -> throw KernelError.of(Errno.EINVAL, "a " + f.kind() + " fd cannot be written (vfs_write)");
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
            try {
                lock.wait();
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
                throw KernelError.of(Errno.EINTR, "interrupted while waiting for the eventfd");
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
            try {
                lock.wait();
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
                throw KernelError.of(Errno.EINTR, "interrupted while waiting for room in the eventfd");
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
            c.describe(() -> String.format("{offset=0x%x, length=0x%x}", offset, length));
            if (length <= 0 || (offset & (SimulatedHost.PAGE_SIZE - 1)) != 0) {
                throw KernelError.of(Errno.EINVAL, "mmap needs a length > 0 and a page-aligned offset (do_mmap)");
            }
            if (f instanceof DmaBufFile b) {
                if (offset + length > ((b.pixels().byteSize() + SimulatedHost.PAGE_SIZE - 1) & -SimulatedHost.PAGE_SIZE)) {
                    throw KernelError.of(Errno.EINVAL, "the mapping passes the end of the dma-buf (dma_buf_mmap_internal)");
                }
                result[0] = b.pixels().asSlice(offset, Math.min(length, b.pixels().byteSize() - offset));
                return 0;
            }
            if (!(f instanceof DeviceFile d)) {
                throw KernelError.of(Errno.ENODEV, "a " + f.kind() + " fd has no mmap (do_mmap)");
            }
            result[0] = d.device().mmap(offset, length, flags);
            return 0;
        });
        synchronized (lock) {
            mappings.put(result[0], fd);
        }
        return result[0];
    }

    /**
     * Forgets a mapping. The simulator cannot revoke a Java segment, so unlike the kernel backend
     * the segment stays readable afterwards; a second munmap of it is refused.
     */
    @Override
    public void munmap(MemorySegment mapping) {
        synchronized (lock) {
            if (mappings.remove(mapping) == null) {
                throw new IllegalArgumentException("not a live mapping made by this backend's mmap: " + mapping);
            }
        }
    }

    @Override
    public long userAddress(MemorySegment segment) {
        if (!segment.isNative()) {
            throw new IllegalArgumentException("a heap segment has no stable address for the kernel to use: " + segment);
        }
        synchronized (lock) {
            return memory.register(segment);
        }
    }

    @Override
    public Fd eventfd(int initialValue, int flags) throws VfioException {
        synchronized (lock) {
            checkOpen();
            int known = LinuxAbi.EFD_SEMAPHORE | LinuxAbi.EFD_NONBLOCK | LinuxAbi.EFD_CLOEXEC;
            if ((flags & ~known) != 0) {
                KernelError e = KernelError.of(Errno.EINVAL, "eventfd flags 0x" + Integer.toHexString(flags) + " has unknown bits (do_eventfd)");
                throw fail("eventfd", "eventfd", new SyscallContext(), e);
            }
            int n = install(new EventFdFile(Integer.toUnsignedLong(initialValue), (flags & LinuxAbi.EFD_SEMAPHORE) != 0,
                    (flags & LinuxAbi.EFD_NONBLOCK) != 0));
            record("eventfd", "eventfd", described("{initval=" + initialValue + "}"), n, null);
            return handles.get(n);
        }
    }

    @Override
    public short[] poll(List<PollFd> fds, int timeoutMillis) throws VfioException {
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
                    OpenFile f = p.fd().isOpen() ? files.get(p.fd().number()) : null;
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
                try {
                    lock.wait(Math.max(1, Math.min(left / 1_000_000L, Integer.MAX_VALUE)));
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw new VfioException(Errno.EINTR, "poll", null, "interrupted");
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
        synchronized (lock) {
            closed = true;
            for (Fd fd : List.copyOf(handles.values())) {
                try {
                    fd.close(this);
                } catch (VfioException alreadyClosed) {
                    // closing everything on the way out
                }
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

    /** Records something the hardware did (an interrupt, a request) in the trace, as result 0. */
    void event(Object target, String what, String detail) {
        synchronized (lock) {
            if (tracing) {
                trace.add(new TraceEntry(trace.size() + 1, target.toString(), what, detail, 0, Optional.empty(), Optional.empty()));
            }
        }
    }

    /** The kernel lock, for hardware events that arrive from a model's own thread. */
    Object lock() {
        return lock;
    }

    private void record(Object target, String name, SyscallContext call, long result, KernelError error) {
        if (!tracing) {
            return;
        }
        trace.add(new TraceEntry(trace.size() + 1, target.toString(), name, call.arguments(), result,
                error == null ? Optional.empty() : Optional.of(error.errno),
                error == null ? Optional.empty() : Optional.of(error.getMessage())));
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

}
