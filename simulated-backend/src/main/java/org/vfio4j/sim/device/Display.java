package org.vfio4j.sim.device;

import java.lang.foreign.MemorySegment;
import java.util.Optional;

/**
 * The display output of a mediated graphics device, as display mdev drivers expose it
 * ({@code samples/vfio-mdev/mbochs.c}, i915 GVT-g): VFIO_DEVICE_QUERY_GFX_PLANE describes a plane,
 * and VFIO_DEVICE_GET_GFX_DMABUF hands its pixels out as a dma-buf (or the plane sits in a region).
 * vfio-pci has no display: only models that return one from {@link PciDeviceModel#display()} answer
 * these ioctls; every other device says ENOTTY, as the kernel does.
 */
public interface Display {
    /** How planes reach userspace. */
    enum Export {
        /** As dma-buf fds (VFIO_GFX_PLANE_TYPE_DMABUF), like mbochs. */
        DMABUF,
        /** In a device region (VFIO_GFX_PLANE_TYPE_REGION); {@link Plane#regionIndex()} says which. */
        REGION
    }

    /** {@return how planes are handed to userspace} */
    Export export();

    /** The plane of DRM type {@code drmPlaneType} (1 primary, 2 cursor) as it is now; empty when disabled or absent. */
    Optional<Plane> plane(int drmPlaneType);

    /**
     * One plane's framebuffer.
     *
     * @param drmFormat         DRM fourcc
     * @param drmFormatModifier DRM format modifier (0: linear)
     * @param width             pixels
     * @param height            pixels
     * @param stride            bytes per line
     * @param xPos              position on screen (cursor planes)
     * @param yPos              position on screen
     * @param xHot              cursor hotspot, 0xffffffff when unknown
     * @param yHot              cursor hotspot, 0xffffffff when unknown
     * @param regionIndex       the region holding it, for {@link Export#REGION}
     * @param pixels            the framebuffer's bytes, {@code stride * height} of them (what a dma-buf maps)
     */
    record Plane(int drmFormat, long drmFormatModifier, int width, int height, int stride, int xPos, int yPos, int xHot, int yHot,
                 int regionIndex, MemorySegment pixels) {
        /** Checks that {@code pixels} holds {@code stride * height} bytes. */
        public Plane {
            if (width < 0 || height < 0 || stride < 0 || pixels.byteSize() < (long) stride * height) {
                throw new IllegalArgumentException("a plane needs stride * height bytes of pixels");
            }
        }

        /** The bytes it occupies: stride * height. */
        public long size() {
            return (long) stride * height;
        }
    }
}
