package org.vfio4j.sim.core;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.vfio4j.VfioException;
import org.vfio4j.spi.Fd;
import org.vfio4j.spi.VfioKernel;
import org.vfio4j.uapi.VfioIoctls;

/**
 * The process's descriptor table ({@code struct fdtable} of {@code fs/file.c}) and the lifetime of
 * the files behind it ({@code struct file}): a new file gets the lowest free number from 3 up, as
 * {@code alloc_fd} gives it; closing a number runs the file's release. A device file still mapped
 * when its fd closes lingers until its last mapping goes, as the kernel's {@code vma->vm_file}
 * reference keeps it. Every method runs under the kernel lock.
 */
public final class FdTable {
    private final VfioKernel owner;
    private final Object lock;
    private final TreeMap<Integer, OpenFile> files = new TreeMap<>();
    private final Map<Integer, Fd> handles = new TreeMap<>();
    /** Device files whose fd was closed while mappings of them live on: the file stays open until the last munmap. */
    private final Set<DeviceFile> lingering = Collections.newSetFromMap(new IdentityHashMap<>());
    private final Predicate<DeviceFile> mapped;
    private final Consumer<EventFdFile> hangUp;

    /**
     * @param owner  the kernel whose handles these are
     * @param lock   the kernel lock
     * @param mapped whether a live mapping holds a device file
     * @param hangUp what closing an eventfd's last fd does to its waiters and consumers
     */
    public FdTable(VfioKernel owner, Object lock, Predicate<DeviceFile> mapped, Consumer<EventFdFile> hangUp) {
        this.owner = owner;
        this.lock = lock;
        this.mapped = mapped;
        this.hangUp = hangUp;
    }

    /** Gives {@code file} the lowest free descriptor number ({@code alloc_fd}) and a handle. */
    public int install(OpenFile file) {
        int n = 3;
        for (int used : files.keySet()) {
            if (used != n) {
                break;
            }
            n++;
        }
        files.put(n, file);
        handles.put(n, new Fd(owner, n, describe(file), this::release));
        return n;
    }

    /** The handle of an open descriptor number, or null. */
    public Fd handle(int number) {
        return handles.get(number);
    }

    /** The file behind an open descriptor number, or null. */
    public OpenFile file(int number) {
        return files.get(number);
    }

    /** The file behind a handle of this kernel that is still open, or null. */
    OpenFile fileOf(Fd fd) {
        synchronized (lock) {
            return fd.owner() == owner && fd.isOpen() ? files.get(fd.number()) : null;
        }
    }

    /** How many descriptors are open. */
    public int size() {
        return files.size();
    }

    /** How many handles the table keeps (one per open descriptor), for leak checks. */
    public int handleCount() {
        return handles.size();
    }

    /** How many device files whose fd was closed are kept open by a mapping, for leak checks. */
    public int lingeringCount() {
        return lingering.size();
    }

    /** The open files, by descriptor number (a file behind two numbers appears twice). */
    public Collection<OpenFile> openFiles() {
        return files.values();
    }

    /** Each open descriptor as its handle describes it, by number. */
    public List<String> describeOpen() {
        List<String> open = new ArrayList<>();
        for (Integer n : files.keySet()) {
            Fd h = handles.get(n);
            open.add(h != null ? h.toString() : "fd " + n + " (" + describe(files.get(n)) + ")");
        }
        return open;
    }

    /** How the trace names an eventfd: {@code fd 7 (eventfd)}, or {@code a closed eventfd}. */
    public String describeEventFd(EventFdFile e) {
        for (Map.Entry<Integer, OpenFile> f : files.entrySet()) {
            if (f.getValue() == e) {
                Fd h = handles.get(f.getKey());
                return h != null ? h.toString() : "fd " + f.getKey() + " (eventfd)";
            }
        }
        return "a closed eventfd";
    }

    /**
     * The kind of VFIO file behind a handle, for naming its ioctls; null for other files. A closed
     * handle's file is gone, but the description {@link #describe} gave it at open still says what
     * it was (a container's IOMMU is then unknown: the plain container's names).
     */
    public VfioIoctls.FileKind kindOf(Fd fd) {
        return switch (fileOf(fd)) {
            // type1 and sPAPR give VFIO_BASE + 17 different meanings; the set IOMMU decides
            case ContainerFile c -> c.container().iommu() != null ? c.container().iommu().fileKind() : VfioIoctls.FileKind.CONTAINER;
            case GroupFile g -> VfioIoctls.FileKind.GROUP;
            case DeviceFile d -> VfioIoctls.FileKind.DEVICE;
            case null -> fd.description().startsWith("container ") ? VfioIoctls.FileKind.CONTAINER
                    : fd.description().startsWith("group ") ? VfioIoctls.FileKind.GROUP
                    : fd.description().startsWith("device ") ? VfioIoctls.FileKind.DEVICE : null;
            default -> null;
        };
    }

    private static String describe(OpenFile file) {
        return switch (file) {
            case ContainerFile c -> c.container().toString();
            case GroupFile g -> g.group.toString();
            case DeviceFile d -> d.device().toString();
            case EventFdFile e -> "eventfd";
            case DmaBufFile b -> "dma-buf " + b.id();
        };
    }

    /** Releases a descriptor number: the file's release runs. */
    private int release(int number) {
        synchronized (lock) {
            OpenFile f = files.remove(number);
            handles.remove(number);
            switch (f) {
                case GroupFile g -> g.release(true);
                case DeviceFile d -> {
                    if (mapped.test(d)) {
                        lingering.add(d); // a mapping holds the file (vma->vm_file): released by the last munmap
                    } else {
                        releaseDevice(d);
                    }
                }
                case ContainerFile c -> { } // the container lives on while groups hold it
                case DmaBufFile b -> { }
                case EventFdFile e -> hangUp.accept(e);
                case null -> { }
            }
            return 0;
        }
    }

    /** The last mapping of {@code d} is gone: a device file whose fd was closed is released now. */
    public void unmapped(DeviceFile d) {
        if (lingering.remove(d)) {
            releaseDevice(d); // the last mapping held the closed device file
        }
    }

    /** The device file's release ({@code vfio_device_fops_release}): the last reference to it is gone. */
    private void releaseDevice(DeviceFile d) {
        d.device().close();
        Group group = d.groupFile().group;
        group.containerUsers--; // vfio_group_unuse_container
        d.groupFile().release(false);
    }

    /** VFIO_GROUP_GET_DEVICE_FD's success path: a new device fd holding the group file. */
    public int openDevice(VfioDevice device, GroupFile groupFile) {
        device.open();
        device.group().containerUsers++;
        groupFile.retain();
        return install(new DeviceFile(device, groupFile));
    }

    /** The process exits: every descriptor is closed (mappings still hold their device files). */
    public void closeAll() {
        for (Fd fd : List.copyOf(handles.values())) {
            try {
                fd.close(owner);
            } catch (VfioException alreadyClosed) {
                // closing everything on the way out
            }
        }
    }

    /** The process's mappings are gone: the device files they held are released. */
    public void releaseLingering() {
        if (lingering.isEmpty()) {
            return;
        }
        List.copyOf(lingering).forEach(this::releaseDevice);
        lingering.clear();
    }
}
