package org.vfio4j;

/**
 * VFIO_DEVICE_QUERY_GFX_PLANE's answer ({@code struct vfio_device_gfx_plane_info}) for one plane of
 * a mediated display device. A disabled plane has format, size and id 0.
 *
 * @param id the dma-buf id (planes exported as dma-bufs) or region index (planes in a region)
 */
public record GfxPlane(int drmPlaneType, int drmFormat, long drmFormatModifier, int width, int height, int stride, int size,
                       int xPos, int yPos, int xHot, int yHot, int id) {
    /** Whether the plane shows anything. */
    public boolean enabled() {
        return size != 0;
    }
}
