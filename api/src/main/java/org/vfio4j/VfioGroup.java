package org.vfio4j;

import static org.vfio4j.Structs.U32;
import static org.vfio4j.uapi.VfioStructs.*;
import static org.vfio4j.uapi.VfioUapi.*;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import org.vfio4j.spi.Fd;
import org.vfio4j.spi.VfioKernel;

/**
 * A VFIO group ({@code /dev/vfio/<id>}): the unit of ownership. Attach it to a container, set the
 * container's IOMMU, then open its devices. Only one open file per group may exist at a time.
 */
public final class VfioGroup extends FdHandle {
    private final int id;

    VfioGroup(VfioKernel kernel, int id, Fd fd) {
        super(kernel, fd);
        this.id = id;
    }

    /** The IOMMU group number. */
    public int id() {
        return id;
    }

    /** VFIO_GROUP_GET_STATUS. */
    public GroupStatus status() throws VfioException {
        MemorySegment s = Structs.withArgsz(vfio_group_status.SIZE);
        kernel.ioctl(fd, VFIO_GROUP_GET_STATUS, s);
        int flags = s.get(U32, vfio_group_status.flags);
        return new GroupStatus((flags & VFIO_GROUP_FLAGS_VIABLE) != 0, (flags & VFIO_GROUP_FLAGS_CONTAINER_SET) != 0);
    }

    /** VFIO_GROUP_SET_CONTAINER. */
    public void setContainer(VfioContainer container) throws VfioException {
        try (HeldArguments args = new HeldArguments(kernel, "VFIO_GROUP_SET_CONTAINER")) {
            MemorySegment arg = Structs.buffer(4);
            arg.set(U32, 0, args.hold(container, false, "a container"));
            kernel.ioctl(fd, VFIO_GROUP_SET_CONTAINER, arg);
        }
    }

    /** VFIO_GROUP_UNSET_CONTAINER: fails with EBUSY while device fds of the group are open. */
    public void unsetContainer() throws VfioException {
        kernel.ioctl(fd, VFIO_GROUP_UNSET_CONTAINER, 0L);
    }

    /** VFIO_GROUP_GET_DEVICE_FD for {@code name} (a PCI address, optionally followed by {@code " vf_token=<uuid>"}). */
    public VfioDevice openDevice(String name) throws VfioException {
        required(name, "the device name");
        byte[] bytes = name.getBytes(StandardCharsets.UTF_8);
        MemorySegment arg = Structs.buffer(bytes.length + 1);
        MemorySegment.copy(bytes, 0, arg, ValueLayout.JAVA_BYTE, 0, bytes.length);
        int n = new Reply("VFIO_GROUP_GET_DEVICE_FD", fd).descriptor(kernel.ioctl(fd, VFIO_GROUP_GET_DEVICE_FD, arg));
        return new VfioDevice(kernel, name, kernel.adopt(n, "device " + name));
    }

    /** VFIO_GROUP_GET_DEVICE_FD for a PCI function. */
    public VfioDevice openDevice(PciAddress address) throws VfioException {
        return openDevice(required(address, "the PCI address").toString());
    }

    /** Closes the group fd; with device fds open the group stays attached until they close. */
    @Override
    public void close() throws VfioException {
        super.close();
    }
}
