package org.vfio4j.conformance;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.vfio4j.IommuType;
import org.vfio4j.Vfio;
import org.vfio4j.VfioContainer;
import org.vfio4j.VfioException;
import org.vfio4j.VfioGroup;

/**
 * One try's world: a fresh seam on the target, and page-aligned DMA memory. Closing it closes
 * every descriptor and frees the memory, so each try starts from a clean kernel state.
 */
public final class Session implements AutoCloseable {
    /** The x86 page: the alignment unit used by the contracts. */
    public static final long PAGE = 4096;

    /** The target this session runs on. */
    public final ConformanceTarget target;
    /** VFIO over a fresh seam booted from the target. */
    public final Vfio vfio;
    private final Arena arena = Arena.ofShared();

    /** Boots a fresh seam on {@code target}. */
    public Session(ConformanceTarget target) throws VfioException {
        this.target = target;
        this.vfio = Vfio.over(target.boot());
    }

    /** {@code pages} pages of zeroed, page-aligned memory. */
    public MemorySegment memory(long pages) {
        return arena.allocate(pages * PAGE, PAGE);
    }

    /** A container holding the target's group, with {@code type} set. */
    public Attached attach(IommuType type) throws VfioException {
        VfioContainer c = vfio.openContainer();
        VfioGroup g = vfio.openGroup(target.group());
        g.setContainer(c);
        c.setIommu(type);
        return new Attached(c, g);
    }

    /** A container (type1v2) holding {@code device}'s group, and the device opened from it. */
    public Opened open(TargetDevice device) throws VfioException {
        VfioContainer c = vfio.openContainer();
        VfioGroup g = vfio.openGroup(device.group());
        g.setContainer(c);
        c.setIommu(IommuType.TYPE1V2);
        return new Opened(c, g, g.openDevice(device.name()));
    }

    /** A container, a group in it, and a device of the group. */
    public record Opened(VfioContainer container, VfioGroup group, org.vfio4j.VfioDevice device) {}

    /** A container and the target's group attached to it. */
    public record Attached(VfioContainer container, VfioGroup group) {}

    @Override
    public void close() {
        vfio.close();
        arena.close();
    }
}
